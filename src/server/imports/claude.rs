//! Claude.ai's export: `conversations.json`, each conversation with `chat_messages` from the
//! `human` and the `assistant`. Newer exports link messages by `parent_message_uuid` (edits
//! and retries are branches): the branch is followed up from the newest message. Older ones
//! are a list in order.

use std::collections::HashMap;

use serde_json::Value;

use super::{branch_to, from_iso, text, title_or_default, ImportedChat, ImportedMessage, Source};
use crate::model::Role;

pub(super) fn read(value: &Value) -> Option<ImportedChat> {
    let id = text(value, "uuid")?;
    let all = value.get("chat_messages")?.as_array()?;
    let by_id: HashMap<&str, &Value> = all
        .iter()
        .filter_map(|m| Some((text(m, "uuid")?, m)))
        .collect();
    let linked = all.iter().any(|m| text(m, "parent_message_uuid").is_some());
    let branch: Vec<&Value> = match newest(all) {
        Some(last) if linked => {
            let start = text(last, "uuid")?;
            let parent = |m: &str| by_id.get(m).and_then(|v| text(v, "parent_message_uuid"));
            branch_to(start, parent, |m| by_id.contains_key(m))
                .into_iter()
                .filter_map(|m| by_id.get(m).copied())
                .collect()
        }
        _ => all.iter().collect(),
    };
    Some(ImportedChat {
        source: Source::Claude,
        source_id: id.to_string(),
        title: title_or_default(text(value, "name")),
        created_at: from_iso(value.get("created_at")),
        messages: branch.into_iter().filter_map(message).collect(),
    })
}

/// The message written last (the last in the list on a tie).
fn newest(all: &[Value]) -> Option<&Value> {
    all.iter()
        .enumerate()
        .max_by_key(|(i, m)| (from_iso(m.get("created_at")), *i))
        .map(|(_, m)| m)
}

fn message(m: &Value) -> Option<ImportedMessage> {
    let role = match text(m, "sender")? {
        "human" => Role::User,
        "assistant" => Role::Assistant,
        _ => return None,
    };
    // The text blocks; `thinking` and tool blocks are left out. Without blocks, `text`.
    let blocks: Vec<&str> = m
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|b| text(b, "type") == Some("text"))
        .filter_map(|b| text(b, "text"))
        .filter(|t| !t.trim().is_empty())
        .collect();
    let content = if blocks.is_empty() {
        text(m, "text").unwrap_or("").to_string()
    } else {
        blocks.join("\n\n")
    };
    if content.trim().is_empty() {
        return None;
    }
    Some(ImportedMessage {
        source_id: text(m, "uuid").map(str::to_string),
        role,
        content,
        created_at: from_iso(m.get("created_at")),
        model: (role == Role::Assistant).then(|| Source::Claude.assistant_name().to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_blocks_in_order_without_thinking() {
        let chat = read(&json!({
            "uuid": "c1", "name": "Soup", "created_at": "2025-01-02T03:04:05Z",
            "chat_messages": [
                {"uuid": "1", "sender": "human", "text": "Borscht?", "created_at": "2025-01-02T03:04:05Z"},
                {"uuid": "2", "sender": "assistant", "created_at": "2025-01-02T03:04:09Z", "text": "ignored",
                 "content": [{"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "Beets first."},
                             {"type": "text", "text": "Then cabbage."}]}
            ]
        }))
        .unwrap();
        assert_eq!(chat.title, "Soup");
        let texts: Vec<&str> = chat.messages.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(texts, ["Borscht?", "Beets first.\n\nThen cabbage."]);
        assert_eq!(chat.messages[1].model.as_deref(), Some("Claude"));
        assert_eq!(
            chat.messages[1].created_at.unwrap().timestamp(),
            1_735_787_049
        );
    }

    #[test]
    fn a_retry_branch_is_followed_from_the_newest_message() {
        let root = "00000000-0000-4000-8000-000000000000";
        let chat = read(&json!({
            "uuid": "c2", "name": "",
            "chat_messages": [
                {"uuid": "q", "sender": "human", "text": "Pick a colour", "parent_message_uuid": root,
                 "created_at": "2025-01-01T00:00:00Z"},
                {"uuid": "a1", "sender": "assistant", "text": "Red", "parent_message_uuid": "q",
                 "created_at": "2025-01-01T00:00:01Z"},
                {"uuid": "a2", "sender": "assistant", "text": "Blue", "parent_message_uuid": "q",
                 "created_at": "2025-01-01T00:00:05Z"}
            ]
        }))
        .unwrap();
        assert_eq!(chat.title, "Imported chat");
        let texts: Vec<&str> = chat.messages.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(texts, ["Pick a colour", "Blue"]);
    }
}
