//! ChatGPT's data export: `conversations.json` (or `conversations-000.json` …), each
//! conversation a `mapping` of nodes linked by `parent`. Every edit and regeneration is a
//! branch; `current_node` is where the person left it, so the walk goes from there to the root.

use serde_json::Value;

use super::Source;
use super::{branch_to, from_seconds, text, title_or_default, ImportedChat, ImportedMessage};
use crate::model::Role;

pub(super) fn read(value: &Value) -> Option<ImportedChat> {
    let mapping = value.get("mapping")?.as_object()?;
    let id = text(value, "conversation_id").or_else(|| text(value, "id"))?;
    // Without a current node (older exports), the newest leaf is the branch last seen.
    let current = text(value, "current_node")
        .filter(|c| mapping.contains_key(*c))
        .or_else(|| newest_leaf(mapping))?;
    let parent = |node: &str| mapping.get(node).and_then(|n| text(n, "parent"));
    let messages = branch_to(current, parent, |node| mapping.contains_key(node))
        .into_iter()
        .filter_map(|node| message(mapping.get(node)?.get("message")?))
        .collect();
    Some(ImportedChat {
        source: Source::ChatGpt,
        source_id: id.to_string(),
        title: title_or_default(text(value, "title")),
        created_at: from_seconds(value.get("create_time")),
        messages,
    })
}

/// The leaf written last, by its message's time.
fn newest_leaf(mapping: &serde_json::Map<String, Value>) -> Option<&str> {
    mapping
        .iter()
        .filter(|(_, n)| {
            n.get("children")
                .and_then(Value::as_array)
                .is_none_or(|c| c.is_empty())
        })
        .max_by(|(_, a), (_, b)| {
            let time = |n: &Value| {
                n.pointer("/message/create_time")
                    .and_then(Value::as_f64)
                    .unwrap_or(0.0)
            };
            time(a).total_cmp(&time(b))
        })
        .map(|(id, _)| id.as_str())
}

/// A node's message, if a person or the model said it to the other: `message: null` nodes,
/// system and tool messages, hidden ones, calls to tools and empty ones are left out.
fn message(message: &Value) -> Option<ImportedMessage> {
    let role = match message.pointer("/author/role").and_then(Value::as_str)? {
        "user" => Role::User,
        "assistant" => Role::Assistant,
        _ => return None,
    };
    let hidden = message
        .pointer("/metadata/is_visually_hidden_from_conversation")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    // An assistant message addressed to a tool (`python`, `browser`) is a call, not an answer.
    let to_someone_else = text(message, "recipient").is_some_and(|r| r != "all");
    if hidden || to_someone_else {
        return None;
    }
    let parts = message
        .pointer("/content/parts")
        .and_then(Value::as_array)?;
    let content = parts
        .iter()
        .filter_map(Value::as_str)
        .filter(|p| !p.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    if content.trim().is_empty() {
        return None;
    }
    let model = (role == Role::Assistant).then(|| {
        message
            .pointer("/metadata/model_slug")
            .and_then(Value::as_str)
            .unwrap_or(Source::ChatGpt.assistant_name())
            .to_string()
    });
    Some(ImportedMessage {
        source_id: text(message, "id").map(str::to_string),
        role,
        content,
        created_at: from_seconds(message.get("create_time")),
        model,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(id: &str, parent: Option<&str>, children: &[&str], message: Value) -> (String, Value) {
        (
            id.to_string(),
            json!({"id": id, "parent": parent, "children": children, "message": message}),
        )
    }

    fn said(role: &str, text: &str, time: f64) -> Value {
        json!({"id": format!("m-{text}"), "author": {"role": role}, "create_time": time,
               "content": {"content_type": "text", "parts": [text]}})
    }

    /// A conversation with a regenerated answer and an edited question: the person last saw
    /// the second edit's answer.
    fn branched() -> Value {
        let nodes: serde_json::Map<String, Value> = [
            node("root", None, &["sys"], Value::Null),
            node(
                "sys",
                Some("root"),
                &["q1"],
                json!({"id": "s", "author": {"role": "system"},
                "content": {"content_type": "text", "parts": ["You are ChatGPT"]},
                "metadata": {"is_visually_hidden_from_conversation": true}}),
            ),
            node(
                "q1",
                Some("sys"),
                &["a1", "a1b"],
                said("user", "Name a river", 1.0),
            ),
            node(
                "a1",
                Some("q1"),
                &["q2"],
                said("assistant", "The Volga", 2.0),
            ),
            node(
                "a1b",
                Some("q1"),
                &[],
                said("assistant", "The Nile (regenerated)", 3.0),
            ),
            node(
                "q2",
                Some("a1"),
                &["a2"],
                said("user", "How long is it?", 4.0),
            ),
            node(
                "a2",
                Some("q2"),
                &[],
                json!({"id": "m-a2", "author": {"role": "assistant"},
                "create_time": 5.5, "recipient": "all",
                "content": {"content_type": "text", "parts": ["3,530 km", {"asset": "img"}, ""]},
                "metadata": {"model_slug": "gpt-4o"}}),
            ),
        ]
        .into_iter()
        .collect();
        json!({"title": "Rivers", "create_time": 1.0, "conversation_id": "conv-1",
               "current_node": "a2", "mapping": nodes})
    }

    #[test]
    fn the_branch_the_person_saw_is_kept() {
        let chat = read(&branched()).unwrap();
        assert_eq!(chat.source_id, "conv-1");
        assert_eq!(chat.title, "Rivers");
        let texts: Vec<&str> = chat.messages.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(
            texts,
            ["Name a river", "The Volga", "How long is it?", "3,530 km"]
        );
        let last = chat.messages.last().unwrap();
        assert_eq!(last.role, Role::Assistant);
        assert_eq!(last.model.as_deref(), Some("gpt-4o"));
        assert_eq!(last.created_at.unwrap().timestamp_millis(), 5_500);
        assert_eq!(chat.messages[1].model.as_deref(), Some("ChatGPT"));
        assert_eq!(chat.messages[0].model, None);
    }

    #[test]
    fn missing_metadata_names_and_times_are_tolerated() {
        let nodes: serde_json::Map<String, Value> = [
            node(
                "q",
                None,
                &["a"],
                json!({"author": {"role": "user"},
                "content": {"parts": ["hi"]}}),
            ),
            node(
                "a",
                Some("q"),
                &[],
                json!({"author": {"role": "assistant"},
                "content": {"parts": ["hello"]}, "create_time": null}),
            ),
        ]
        .into_iter()
        .collect();
        let chat = read(&json!({"id": "c2", "mapping": nodes})).unwrap();
        assert_eq!(chat.title, "Imported chat");
        assert_eq!(chat.messages.len(), 2, "no current_node: the newest leaf");
        assert_eq!(chat.messages[1].created_at, None);
    }

    #[test]
    fn tool_calls_and_empty_messages_are_left_out() {
        let nodes: serde_json::Map<String, Value> = [
            node("q", None, &["call"], said("user", "plot it", 1.0)),
            node(
                "call",
                Some("q"),
                &["out"],
                json!({"author": {"role": "assistant"},
                "recipient": "python", "content": {"content_type": "code", "text": "plot()"}}),
            ),
            node(
                "out",
                Some("call"),
                &["a"],
                json!({"author": {"role": "tool", "name": "python"},
                "content": {"parts": ["<image>"]}}),
            ),
            node(
                "a",
                Some("out"),
                &[],
                json!({"author": {"role": "assistant"},
                "content": {"parts": ["  "]}}),
            ),
        ]
        .into_iter()
        .collect();
        let chat = read(&json!({"id": "c3", "current_node": "a", "mapping": nodes})).unwrap();
        assert_eq!(chat.messages.len(), 1);
        assert_eq!(chat.messages[0].content, "plot it");
    }
}
