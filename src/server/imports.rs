//! History brought from other products: ChatGPT, Claude.ai, Open WebUI and LibreChat exports,
//! read conversation by conversation into [`ImportedChat`]s.
//!
//! Formats are recognised by content, one conversation at a time: an element that matches no
//! format (a folder entry, a project, something newer than this code) is counted as skipped and
//! never fails the file. Each format's reader keeps only the branch the person last saw, and
//! only what people and models said (no hidden system messages, tool traffic or thinking).

mod chatgpt;
mod claude;
pub mod file;
pub mod job;
mod librechat;
mod open_webui;
pub mod reader;
pub mod running;
pub mod slot;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::model::Role;

/// Where a conversation came from; with its id there, it names the chat for re-imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    ChatGpt,
    Claude,
    OpenWebUi,
    LibreChat,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::ChatGpt => "chatgpt",
            Source::Claude => "claude",
            Source::OpenWebUi => "openwebui",
            Source::LibreChat => "librechat",
        }
    }

    /// Who answered, when the export does not name the model.
    pub fn assistant_name(self) -> &'static str {
        match self {
            Source::ChatGpt => "ChatGPT",
            Source::Claude => "Claude",
            Source::OpenWebUi => "Open WebUI",
            Source::LibreChat => "LibreChat",
        }
    }
}

/// One conversation as another product exported it, reduced to what a chat keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedChat {
    pub source: Source,
    /// The conversation's id in its source.
    pub source_id: String,
    pub title: String,
    pub created_at: Option<DateTime<Utc>>,
    /// Oldest first, the branch the person last saw.
    pub messages: Vec<ImportedMessage>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportedMessage {
    /// The message's id in its source, where it has one.
    pub source_id: Option<String>,
    /// [`Role::User`] or [`Role::Assistant`].
    pub role: Role,
    pub content: String,
    pub created_at: Option<DateTime<Utc>>,
    /// The assistant's name or model, on the assistant's messages.
    pub model: Option<String>,
}

/// Reads one exported conversation in whichever format it is; `None` when it is none of them
/// or holds no conversation (a folder entry, an empty chat).
pub fn read_conversation(value: &Value) -> Option<ImportedChat> {
    let chat = if value.get("mapping").is_some() {
        chatgpt::read(value)
    } else if value.get("chat_messages").is_some() {
        claude::read(value)
    } else if value.pointer("/chat/history").is_some() {
        open_webui::read(value)
    } else if value.get("messages").is_some() || value.get("messagesTree").is_some() {
        librechat::read(value)
    } else {
        None
    }?;
    (!chat.messages.is_empty() && !chat.source_id.is_empty()).then_some(chat)
}

/// A string field, if present and a string.
fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// Seconds since the epoch (an integer or a float, as exports write them).
fn from_seconds(value: Option<&Value>) -> Option<DateTime<Utc>> {
    let seconds = value?.as_f64()?;
    DateTime::from_timestamp_millis((seconds * 1000.0).round() as i64)
}

/// An ISO 8601 / RFC 3339 time.
fn from_iso(value: Option<&Value>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value?.as_str()?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A title, or a fallback when the export has none.
fn title_or_default(title: Option<&str>) -> String {
    match title.map(str::trim) {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => "Imported chat".to_string(),
    }
}

/// Follows `parent` links from `start` to the root and returns the ids oldest first; stops at
/// an id it has seen (a cycle in a broken export) or that is not there.
fn branch_to<'a>(
    start: &'a str,
    parent: impl Fn(&str) -> Option<&'a str>,
    exists: impl Fn(&str) -> bool,
) -> Vec<&'a str> {
    let mut ids = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut at = Some(start);
    while let Some(id) = at {
        if !exists(id) || !seen.insert(id) {
            break;
        }
        ids.push(id);
        at = parent(id);
    }
    ids.reverse();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn elements_of_no_known_format_are_none() {
        assert_eq!(
            read_conversation(&json!({"id": "folder-1", "name": "Work"})),
            None
        );
        assert_eq!(read_conversation(&json!([1, 2])), None);
        assert_eq!(read_conversation(&json!("text")), None);
    }

    #[test]
    fn times_read_as_exports_write_them() {
        let t = from_seconds(Some(&json!(1_700_000_000.25))).unwrap();
        assert_eq!(t.timestamp_millis(), 1_700_000_000_250);
        assert_eq!(
            from_seconds(Some(&json!(1_700_000_000)))
                .unwrap()
                .timestamp(),
            1_700_000_000
        );
        assert_eq!(from_seconds(Some(&json!(null))), None);
        let iso = from_iso(Some(&json!("2024-05-01T10:00:00.123456Z"))).unwrap();
        assert_eq!(iso.timestamp(), 1_714_557_600);
        assert_eq!(from_iso(Some(&json!("yesterday"))), None);
    }

    #[test]
    fn a_branch_survives_a_cycle() {
        let parent = |id: &str| match id {
            "c" => Some("b"),
            "b" => Some("a"),
            "a" => Some("c"),
            _ => None,
        };
        assert_eq!(branch_to("c", parent, |_| true), vec!["a", "b", "c"]);
        assert_eq!(branch_to("c", parent, |id| id != "a"), vec!["b", "c"]);
    }
}
