//! `user.md`: the profile document the agent reads (plan section 4.1).
//!
//! Writes go to a temporary file that is renamed over the old one, so a crash never leaves a
//! half-written profile; a lock serialises writers so sections edited at once are never lost.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Mutex;
use uuid::Uuid;

use crate::model::User;

/// The text the Preferences section starts with until the agent learns something.
pub const PREFERENCES_PLACEHOLDER: &str =
    "(Reserved for future use - agent can learn preferences from conversations)";

#[derive(Debug, thiserror::Error)]
pub enum UserMemoryError {
    #[error("profile document I/O failed at {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The sections of `user.md` that can be rewritten; Identity always follows the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileSection {
    About,
    Preferences,
}

impl ProfileSection {
    fn heading(self) -> &'static str {
        match self {
            ProfileSection::About => "About",
            ProfileSection::Preferences => "Preferences",
        }
    }
}

/// Reads and writes `user.md` profiles under one memory directory.
#[derive(Clone, Debug)]
pub struct UserMemory {
    root: PathBuf,
    write_lock: Arc<Mutex<()>>,
}

impl UserMemory {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        UserMemory {
            root: root.into(),
            write_lock: Arc::default(),
        }
    }

    fn user_dir(&self, user_id: Uuid) -> PathBuf {
        self.root.join("users").join(user_id.to_string())
    }

    fn profile_path(&self, user_id: Uuid) -> PathBuf {
        self.user_dir(user_id).join("user.md")
    }

    /// Writes a new profile for a just-registered user.
    pub async fn create_user_profile(&self, user: &User) -> Result<(), UserMemoryError> {
        let _guard = self.write_lock.lock().await;
        let text = render_profile(user, PREFERENCES_PLACEHOLDER);
        let path = self.profile_path(user.id);
        let dir = path.parent().expect("profile paths always have a parent");
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|source| UserMemoryError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        write_atomically(&path, &text).await
    }

    /// The profile document as stored, or `None` when it does not exist.
    pub async fn get_user_profile(&self, user_id: Uuid) -> Result<Option<String>, UserMemoryError> {
        let path = self.profile_path(user_id);
        match tokio::fs::read_to_string(&path).await {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(UserMemoryError::Io { path, source }),
        }
    }

    /// Rewrites Identity and About from `user`, keeping Preferences (and any other section).
    /// A missing profile is written anew (a lost or restored memory directory); the caller
    /// makes sure the account still exists (see `Accounts::update_profile`).
    pub async fn sync_identity(&self, user: &User) -> Result<(), UserMemoryError> {
        let _guard = self.write_lock.lock().await;
        let path = self.profile_path(user.id);
        let dir = path.parent().expect("profile paths always have a parent");
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|source| UserMemoryError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        let preferences = match tokio::fs::read_to_string(&path).await {
            Ok(text) => section(&text, "Preferences").unwrap_or(PREFERENCES_PLACEHOLDER.into()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => PREFERENCES_PLACEHOLDER.into(),
            Err(source) => return Err(UserMemoryError::Io { path, source }),
        };
        write_atomically(&path, &render_profile(user, &preferences)).await
    }

    /// Adds one line to the Preferences section (replacing the placeholder), keeping the rest.
    pub async fn add_preference(&self, user_id: Uuid, line: &str) -> Result<(), UserMemoryError> {
        let _guard = self.write_lock.lock().await;
        let path = self.profile_path(user_id);
        let text = match tokio::fs::read_to_string(&path).await {
            Ok(text) => text,
            Err(source) => return Err(UserMemoryError::Io { path, source }),
        };
        let line = escape_line(line.trim().trim_start_matches("- "));
        let current = section(&text, "Preferences").unwrap_or_default();
        let updated = if current.is_empty() || current == PREFERENCES_PLACEHOLDER {
            format!("- {line}")
        } else {
            format!("{current}\n- {line}")
        };
        let new_text = replace_section(&text, "Preferences", &updated);
        write_atomically(&path, &new_text).await
    }

    /// Replaces one section's text, keeping every other section as it is. Empty Preferences
    /// go back to the placeholder. User text is escaped so it cannot forge a heading.
    pub async fn update_user_profile(
        &self,
        user_id: Uuid,
        section_name: ProfileSection,
        content: &str,
    ) -> Result<(), UserMemoryError> {
        let _guard = self.write_lock.lock().await;
        let path = self.profile_path(user_id);
        let text = match tokio::fs::read_to_string(&path).await {
            Ok(text) => text,
            Err(source) => return Err(UserMemoryError::Io { path, source }),
        };
        let mut body = escape_block(content.trim());
        if body.is_empty() && section_name == ProfileSection::Preferences {
            body = PREFERENCES_PLACEHOLDER.to_string();
        }
        write_atomically(
            &path,
            &replace_section(&text, section_name.heading(), &body),
        )
        .await
    }

    /// The Preferences the agent has learned, without the placeholder (empty when none).
    pub async fn preferences(&self, user_id: Uuid) -> Result<String, UserMemoryError> {
        let text = self.get_user_profile(user_id).await?.unwrap_or_default();
        let body = section(&text, "Preferences").unwrap_or_default();
        Ok(if body == PREFERENCES_PLACEHOLDER {
            String::new()
        } else {
            body
        })
    }

    /// Removes the user's whole folder (an account deleted, or a registration undone). It
    /// holds the write lock, and no other write creates the folder, so a profile write that
    /// comes late fails instead of bringing `user.md` back.
    pub async fn delete_user(&self, user_id: Uuid) -> Result<(), UserMemoryError> {
        let _guard = self.write_lock.lock().await;
        let dir = self.user_dir(user_id);
        match tokio::fs::remove_dir_all(&dir).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(UserMemoryError::Io { path: dir, source }),
        }
    }
}

/// The profile in the plan's format. User text is escaped so it cannot fake a section heading.
fn render_profile(user: &User, preferences: &str) -> String {
    let about = escape_block(&user.about);
    format!(
        "# User Profile\n\n## Identity\n- **ID:** {id}\n- **Login:** {login}\n- **Display Name:** {name}\n- **Registered:** {registered}\n\n## About\n{about}\n\n## Preferences\n{preferences}\n",
        id = user.id,
        login = user.login,
        name = escape_line(&user.display_name),
        registered = user.created_at.format("%Y-%m-%d %H:%M:%S"),
        preferences = preferences.trim_end(),
    )
}

/// A line of user text that starts with `#` would read as a heading: a backslash keeps
/// Markdown showing the same text while the parser no longer sees a section.
fn escape_block(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.trim_start().starts_with('#') {
                format!("\\{line}")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn escape_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

/// `text` with the body of `## {name}` replaced (the section is added at the end if missing).
fn replace_section(text: &str, name: &str, body: &str) -> String {
    let heading = format!("## {name}");
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines.iter().position(|l| l.trim_end() == heading) else {
        return format!("{}\n\n{heading}\n{body}\n", text.trim_end());
    };
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.starts_with("## "))
        .map_or(lines.len(), |i| start + 1 + i);
    let mut out: Vec<String> = lines[..=start].iter().map(|l| l.to_string()).collect();
    out.push(body.trim_end().to_string());
    if end < lines.len() {
        out.push(String::new());
        out.extend(lines[end..].iter().map(|l| l.to_string()));
    }
    out.join("\n") + "\n"
}

/// The body of `## {name}` up to the next `## ` heading, trimmed.
fn section(text: &str, name: &str) -> Option<String> {
    let heading = format!("## {name}");
    let mut lines = text.lines().skip_while(|l| l.trim_end() != heading);
    lines.next()?;
    let body: Vec<&str> = lines.take_while(|l| !l.starts_with("## ")).collect();
    Some(body.join("\n").trim().to_string())
}

async fn write_atomically(path: &Path, text: &str) -> Result<(), UserMemoryError> {
    let io = |source| UserMemoryError::Io {
        path: path.to_path_buf(),
        source,
    };
    // The folder must exist: only `create_user_profile` makes it.
    let dir = path.parent().expect("profile paths always have a parent");
    let tmp = dir.join(format!(".user.md.{}.tmp", Uuid::new_v4()));
    tokio::fs::write(&tmp, text).await.map_err(io)?;
    if let Err(e) = tokio::fs::rename(&tmp, path).await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(io(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(about: &str) -> User {
        User {
            id: Uuid::nil(),
            login: "ann".into(),
            display_name: "Анна".into(),
            about: about.into(),
            created_at: chrono::DateTime::from_timestamp(1_767_882_615, 0).unwrap(),
            role: Default::default(),
            language: None,
        }
    }

    #[test]
    fn the_profile_renders_in_the_plan_format() {
        let text = render_profile(&user("Loves tea."), PREFERENCES_PLACEHOLDER);
        assert_eq!(
            text,
            "# User Profile\n\n## Identity\n- **ID:** 00000000-0000-0000-0000-000000000000\n- **Login:** ann\n- **Display Name:** Анна\n- **Registered:** 2026-01-08 14:30:15\n\n## About\nLoves tea.\n\n## Preferences\n(Reserved for future use - agent can learn preferences from conversations)\n"
        );
    }

    #[test]
    fn about_text_cannot_forge_a_section() {
        let text = render_profile(&user("hi\n## Preferences\nevil"), "- likes short answers");
        assert_eq!(
            section(&text, "Preferences").unwrap(),
            "- likes short answers"
        );
        assert!(text.contains("\\## Preferences\nevil"));
    }

    #[tokio::test]
    async fn preferences_are_added_as_lines() {
        let dir = tempfile::tempdir().unwrap();
        let memory = UserMemory::new(dir.path());
        let u = user("about");
        memory.create_user_profile(&u).await.unwrap();
        memory
            .add_preference(u.id, "Prefers short answers")
            .await
            .unwrap();
        memory
            .add_preference(u.id, "- Uses metric units")
            .await
            .unwrap();
        let text = memory.get_user_profile(u.id).await.unwrap().unwrap();
        assert!(
            text.ends_with("## Preferences\n- Prefers short answers\n- Uses metric units\n"),
            "{text}"
        );
        assert_eq!(section(&text, "About").unwrap(), "about");
    }

    #[tokio::test]
    async fn sections_are_replaced_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        let memory = UserMemory::new(dir.path());
        let u = user("about me");
        memory.create_user_profile(&u).await.unwrap();
        memory
            .update_user_profile(
                u.id,
                ProfileSection::Preferences,
                "- tea\n## Identity\n- coffee",
            )
            .await
            .unwrap();
        memory
            .update_user_profile(u.id, ProfileSection::About, "new about")
            .await
            .unwrap();
        let text = memory.get_user_profile(u.id).await.unwrap().unwrap();
        assert_eq!(section(&text, "About").unwrap(), "new about");
        assert_eq!(
            memory.preferences(u.id).await.unwrap(),
            "- tea\n\\## Identity\n- coffee"
        );
        assert!(text.contains("- **Login:** ann\n"));
        memory
            .update_user_profile(u.id, ProfileSection::Preferences, "  ")
            .await
            .unwrap();
        assert_eq!(memory.preferences(u.id).await.unwrap(), "");
        let text = memory.get_user_profile(u.id).await.unwrap().unwrap();
        assert!(text.ends_with(&format!("## Preferences\n{PREFERENCES_PLACEHOLDER}\n")));
    }

    #[tokio::test]
    async fn an_identity_update_keeps_learned_preferences() {
        let dir = tempfile::tempdir().unwrap();
        let memory = UserMemory::new(dir.path());
        let mut u = user("first");
        memory.create_user_profile(&u).await.unwrap();
        let path = memory.profile_path(u.id);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            text.replace(PREFERENCES_PLACEHOLDER, "- prefers metric units"),
        )
        .unwrap();
        u.about = "second".into();
        memory.sync_identity(&u).await.unwrap();
        let text = memory.get_user_profile(u.id).await.unwrap().unwrap();
        assert_eq!(section(&text, "About").unwrap(), "second");
        assert_eq!(
            section(&text, "Preferences").unwrap(),
            "- prefers metric units"
        );
    }

    #[tokio::test]
    async fn a_write_after_the_account_is_deleted_does_not_bring_user_md_back() {
        let dir = tempfile::tempdir().unwrap();
        let memory = UserMemory::new(dir.path());
        let u = user("about");
        memory.create_user_profile(&u).await.unwrap();
        memory.delete_user(u.id).await.unwrap();
        assert!(memory.add_preference(u.id, "late").await.is_err());
        assert!(memory
            .update_user_profile(u.id, ProfileSection::About, "late")
            .await
            .is_err());
        assert!(!memory.user_dir(u.id).exists(), "the folder stays gone");
    }
}
