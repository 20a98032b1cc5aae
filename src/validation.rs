//! Field rules shared by the server (authoritative) and the browser (early feedback).
//!
//! The list of common passwords is checked on the server only; shipping it to every
//! browser would cost more than it saves.

use crate::error::AppError;

pub const LOGIN_MIN: usize = 3;
pub const LOGIN_MAX: usize = 50;
pub const DISPLAY_NAME_MAX: usize = 100;
pub const ABOUT_MAX: usize = 4_000;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 1_024;
pub const API_KEY_NAME_MAX: usize = 100;

/// Logins are ASCII letters, digits, `.`, `_` and `-`: an identifier people type and read
/// aloud, where look-alike Unicode letters would invite impersonation. Display names are free.
pub fn validate_login(login: &str) -> Result<(), AppError> {
    let len = login.chars().count();
    if !(LOGIN_MIN..=LOGIN_MAX).contains(&len) {
        return Err(AppError::validation(
            "login",
            format!("Login must be {LOGIN_MIN} to {LOGIN_MAX} characters long."),
        ));
    }
    if !login
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(AppError::validation(
            "login",
            "Login may contain only letters (a-z), digits, '.', '_' and '-'.",
        ));
    }
    Ok(())
}

/// The key under which logins are unique: case does not make a new login.
pub fn login_key(login: &str) -> String {
    login.to_ascii_lowercase()
}

/// Returns the trimmed display name.
pub fn validate_display_name(name: &str) -> Result<String, AppError> {
    reject_nul("display_name", name)?;
    let trimmed = name.trim();
    let len = trimmed.chars().count();
    if len == 0 {
        return Err(AppError::validation(
            "display_name",
            "Display name is required.",
        ));
    }
    if len > DISPLAY_NAME_MAX {
        return Err(AppError::validation(
            "display_name",
            format!("Display name must be at most {DISPLAY_NAME_MAX} characters."),
        ));
    }
    Ok(trimmed.to_string())
}

/// Returns the about text with surrounding whitespace removed.
pub fn validate_about(about: &str) -> Result<String, AppError> {
    reject_nul("about", about)?;
    let trimmed = about.trim();
    if trimmed.chars().count() > ABOUT_MAX {
        return Err(AppError::validation(
            "about",
            format!("About must be at most {ABOUT_MAX} characters."),
        ));
    }
    Ok(trimmed.to_string())
}

/// Length rules only; the password is never trimmed, truncated or case-folded.
pub fn validate_password_length(field: &str, password: &str) -> Result<(), AppError> {
    let len = password.chars().count();
    if len < PASSWORD_MIN {
        return Err(AppError::validation(
            field,
            format!("Password must be at least {PASSWORD_MIN} characters."),
        ));
    }
    if len > PASSWORD_MAX {
        return Err(AppError::validation(
            field,
            format!("Password must be at most {PASSWORD_MAX} characters."),
        ));
    }
    Ok(())
}

/// The languages the web UI speaks, as accounts choose them.
pub const LANGUAGES: [&str; 2] = ["en", "ru"];

/// A language an account may choose: one of [`LANGUAGES`].
pub fn validate_language(language: &str) -> Result<String, AppError> {
    let language = language.trim().to_ascii_lowercase();
    if LANGUAGES.contains(&language.as_str()) {
        Ok(language)
    } else {
        Err(AppError::validation(
            "language",
            format!(
                "Language must be one of: {} (or null to follow the browser).",
                LANGUAGES.join(", ")
            ),
        ))
    }
}

/// Returns the trimmed key name.
pub fn validate_api_key_name(name: &str) -> Result<String, AppError> {
    reject_nul("name", name)?;
    let trimmed = name.trim();
    let len = trimmed.chars().count();
    if len == 0 || len > API_KEY_NAME_MAX {
        return Err(AppError::validation(
            "name",
            format!("Key name must be 1 to {API_KEY_NAME_MAX} characters."),
        ));
    }
    Ok(trimmed.to_string())
}

/// Where to go after logging in: only a path on this site, never another origin; the chats
/// by default.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_site_path(n) => n.to_string(),
        _ => "/chat".to_string(),
    }
}

/// A path of this site and nothing else: it starts with one `/`, and has no `\`, no control
/// character and no whitespace anywhere (browsers drop tabs and newlines from URLs, so
/// `/<TAB>/evil.example` would become `//evil.example`, another site).
fn is_site_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
}

/// Percent-encodes a query value (RFC 3986 unreserved characters and `/` stay as they are).
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Refuses text no database can store: PostgreSQL keeps no U+0000 in text (SQLite would),
/// so both engines give the same clear answer.
pub fn reject_nul(field: &str, value: &str) -> Result<(), AppError> {
    if value.contains('\0') {
        return Err(AppError::validation(
            field,
            format!("The {field} contains a NUL character (U+0000), which cannot be stored."),
        ));
    }
    Ok(())
}

pub const TITLE_MAX: usize = 255;
pub const MESSAGE_MAX: usize = 32_000;
/// The title a chat has until its first message or a rename.
pub const DEFAULT_TITLE: &str = "New Chat";
/// The agent that answers when a chat names none.
pub const DEFAULT_AGENT: &str = "memory-agent";
/// How long a title made from the first message may be.
pub const AUTO_TITLE_MAX: usize = 60;

/// Returns the trimmed title.
pub fn validate_title(title: &str) -> Result<String, AppError> {
    reject_nul("title", title)?;
    let trimmed = title.trim();
    let len = trimmed.chars().count();
    if len == 0 || len > TITLE_MAX {
        return Err(AppError::validation(
            "title",
            format!("Title must be 1 to {TITLE_MAX} characters."),
        ));
    }
    Ok(trimmed.to_string())
}

/// A message must say something and fit the limit; it is stored exactly as typed.
pub fn validate_message(content: &str) -> Result<(), AppError> {
    reject_nul("content", content)?;
    if content.trim().is_empty() {
        return Err(AppError::validation("content", "Message is empty."));
    }
    let len = content.chars().count();
    if len > MESSAGE_MAX {
        return Err(AppError::validation(
            "content",
            format!("Message is too long ({len} characters); the limit is {MESSAGE_MAX}."),
        ));
    }
    Ok(())
}

/// A title from the opening words of a message: whitespace collapsed, at most
/// [`AUTO_TITLE_MAX`] characters, cut at a word boundary (a single overlong word is cut).
pub fn title_from_message(content: &str) -> String {
    let mut title = String::new();
    for word in content.split_whitespace() {
        let extra = usize::from(!title.is_empty()) + word.chars().count();
        if title.chars().count() + extra > AUTO_TITLE_MAX {
            if title.is_empty() {
                title = word.chars().take(AUTO_TITLE_MAX).collect();
            }
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(word);
    }
    if title.is_empty() {
        DEFAULT_TITLE.to_string()
    } else {
        title
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            super::encode_query_value("/chat/1?a=b&c"),
            "/chat/1%3Fa%3Db%26c"
        );
    }

    use super::*;

    #[test]
    fn logins_follow_the_character_and_length_rules() {
        assert!(validate_login("ann").is_ok());
        assert!(validate_login("a.b_c-9").is_ok());
        assert!(validate_login("ab").is_err());
        assert!(validate_login(&"a".repeat(51)).is_err());
        assert!(validate_login("ann smith").is_err());
        assert!(validate_login("анна").is_err());
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(validate_display_name("  Анна ").unwrap(), "Анна");
        assert!(validate_display_name("   ").is_err());
        assert!(validate_display_name(&"я".repeat(100)).is_ok());
        assert!(validate_display_name(&"я".repeat(101)).is_err());
    }

    #[test]
    fn passwords_are_measured_in_characters_not_bytes() {
        assert!(validate_password_length("password", "пароль12").is_ok());
        assert!(validate_password_length("password", "short").is_err());
        assert!(validate_password_length("password", &"x".repeat(1024)).is_ok());
        assert!(validate_password_length("password", &"x".repeat(1025)).is_err());
    }

    #[test]
    fn next_only_follows_paths_on_this_site() {
        assert_eq!(safe_next(Some("/profile")), "/profile");
        assert_eq!(safe_next(Some("//evil.example")), "/chat");
        assert_eq!(safe_next(Some("https://evil.example")), "/chat");
        assert_eq!(safe_next(Some("/\\evil.example")), "/chat");
        assert_eq!(safe_next(None), "/chat");
        // Browsers strip these from URLs; each would make `//evil.example`.
        for trick in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/ /evil.example",
        ] {
            assert_eq!(safe_next(Some(trick)), "/chat", "{trick:?}");
        }
        assert_eq!(safe_next(Some("/chat/x\u{0}")), "/chat");
        assert_eq!(safe_next(Some("javascript:alert(1)")), "/chat");
        assert_eq!(safe_next(Some("/chat?m=1#x")), "/chat?m=1#x");
    }

    #[test]
    fn titles_come_from_the_opening_words_cut_at_a_word_boundary() {
        assert_eq!(title_from_message("  Hello\n  world  "), "Hello world");
        let long = "Какая погода сегодня в Москве и что надеть на прогулку вечером после работы";
        let title = title_from_message(long);
        assert!(title.chars().count() <= 60);
        assert!(long.starts_with(&title));
        assert_eq!(
            title,
            "Какая погода сегодня в Москве и что надеть на прогулку"
        );
        assert_eq!(title_from_message(&"x".repeat(80)).chars().count(), 60);
        assert_eq!(title_from_message("   "), DEFAULT_TITLE);
    }

    #[test]
    fn messages_must_say_something_and_fit() {
        assert!(validate_message("hi").is_ok());
        assert!(validate_message(" \n ").is_err());
        assert!(validate_message(&"я".repeat(32_000)).is_ok());
        assert!(validate_message(&"я".repeat(32_001)).is_err());
    }
}
