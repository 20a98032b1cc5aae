//! LibreChat's conversation export: one conversation with its `messages` as a flat list linked
//! by `parentMessageId`, or as `messagesTree` nested by `children` (`recursive: true`). The
//! export has no "current" message, so at each fork the newest child (by `createdAt`) is
//! taken: the one written last is the one the person was reading.

use std::collections::HashMap;

use serde_json::Value;

use super::{from_iso, text, title_or_default, ImportedChat, ImportedMessage, Source};
use crate::model::Role;

/// A message with its parent, as the export links them.
struct Linked<'a> {
    id: &'a str,
    parent: Option<&'a str>,
    value: &'a Value,
}

pub(super) fn read(value: &Value) -> Option<ImportedChat> {
    let id = text(value, "conversationId")?;
    // A flat list is linked by `parentMessageId`; a tree (or a flat list with nested
    // `children`, `recursive`) by its nesting too: one flattening reads both.
    let list = match value.get("messagesTree").and_then(Value::as_array) {
        Some(tree) => tree,
        None => value.get("messages")?.as_array()?,
    };
    let mut all = Vec::new();
    for m in list {
        flatten(m, None, &mut all);
    }
    let known: HashMap<&str, usize> = all.iter().enumerate().map(|(i, m)| (m.id, i)).collect();
    let mut children: HashMap<Option<&str>, Vec<usize>> = HashMap::new();
    for (i, m) in all.iter().enumerate() {
        // A parent that is not in the export (the all-zero root id) makes a root.
        let parent = m.parent.filter(|p| known.contains_key(p));
        children.entry(parent).or_default().push(i);
    }
    let newest = |ids: &Vec<usize>| {
        ids.iter()
            .copied()
            .max_by_key(|&i| (from_iso(all[i].value.get("createdAt")), i))
    };
    let mut branch = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut at = children.get(&None).and_then(newest);
    while let Some(i) = at {
        if !seen.insert(i) {
            break;
        }
        branch.push(i);
        at = children.get(&Some(all[i].id)).and_then(newest);
    }
    Some(ImportedChat {
        source: Source::LibreChat,
        source_id: id.to_string(),
        title: title_or_default(text(value, "title")),
        created_at: from_iso(value.get("createdAt")),
        messages: branch
            .into_iter()
            .filter_map(|i| message(&all[i]))
            .collect(),
    })
}

fn flatten<'a>(m: &'a Value, parent: Option<&'a str>, all: &mut Vec<Linked<'a>>) {
    let Some(id) = text(m, "messageId") else {
        return;
    };
    all.push(Linked {
        id,
        parent: text(m, "parentMessageId").or(parent),
        value: m,
    });
    for child in m
        .get("children")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        flatten(child, Some(id), all);
    }
}

fn message(m: &Linked) -> Option<ImportedMessage> {
    let v = m.value;
    let role = match v.get("isCreatedByUser").and_then(Value::as_bool) {
        Some(true) => Role::User,
        Some(false) => Role::Assistant,
        None => return None,
    };
    // `text`, or the text parts of `content` (a string, or `{ "value": … }`).
    let content = match text(v, "text").filter(|t| !t.trim().is_empty()) {
        Some(t) => t.to_string(),
        None => v
            .get("content")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|p| text(p, "type") == Some("text"))
            .filter_map(|p| {
                let t = p.get("text")?;
                t.as_str().or_else(|| text(t, "value"))
            })
            .collect::<Vec<_>>()
            .join("\n\n"),
    };
    if content.trim().is_empty() {
        return None;
    }
    let model = (role == Role::Assistant).then(|| {
        text(v, "sender")
            .or_else(|| text(v, "model"))
            .unwrap_or(Source::LibreChat.assistant_name())
            .to_string()
    });
    Some(ImportedMessage {
        source_id: Some(m.id.to_string()),
        role,
        content,
        created_at: from_iso(v.get("createdAt")),
        model,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ROOT: &str = "00000000-0000-0000-0000-000000000000";

    fn texts(chat: &ImportedChat) -> Vec<&str> {
        chat.messages.iter().map(|m| m.content.as_str()).collect()
    }

    #[test]
    fn a_flat_list_takes_the_newest_child_at_each_fork() {
        let chat = read(&json!({
            "conversationId": "l1", "title": "Cats",
            "messages": [
                {"messageId": "q", "parentMessageId": ROOT, "isCreatedByUser": true, "sender": "User",
                 "text": "Name a cat", "createdAt": "2024-05-01T10:00:00.000Z"},
                {"messageId": "a1", "parentMessageId": "q", "isCreatedByUser": false, "sender": "GPT-4",
                 "text": "Tom", "createdAt": "2024-05-01T10:00:01.000Z"},
                {"messageId": "a2", "parentMessageId": "q", "isCreatedByUser": false, "sender": "GPT-4",
                 "text": "", "content": [{"type": "text", "text": {"value": "Murka"}}],
                 "createdAt": "2024-05-01T10:00:09.000Z"}
            ]
        }))
        .unwrap();
        assert_eq!(texts(&chat), ["Name a cat", "Murka"]);
        assert_eq!(chat.messages[1].model.as_deref(), Some("GPT-4"));
    }

    #[test]
    fn a_recursive_tree_reads_the_same() {
        let chat = read(&json!({
            "conversationId": "l2", "recursive": true,
            "messagesTree": [
                {"messageId": "q", "parentMessageId": ROOT, "isCreatedByUser": true, "text": "Hi",
                 "createdAt": "2024-05-01T10:00:00Z", "children": [
                    {"messageId": "a", "isCreatedByUser": false, "model": "claude-3", "text": "Hello",
                     "createdAt": "2024-05-01T10:00:02Z", "children": []}
                 ]}
            ]
        }))
        .unwrap();
        assert_eq!(texts(&chat), ["Hi", "Hello"]);
        assert_eq!(chat.messages[1].model.as_deref(), Some("claude-3"));
        assert_eq!(chat.title, "Imported chat");
    }
}
