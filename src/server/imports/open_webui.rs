//! Open WebUI's "Export chats": a list of chats, each with `chat.history.messages` keyed by
//! id and linked by `parentId`; `chat.history.currentId` is the message the person last saw.

use serde_json::Value;

use super::Source;
use super::{branch_to, from_seconds, text, title_or_default, ImportedChat, ImportedMessage};
use crate::model::Role;

pub(super) fn read(value: &Value) -> Option<ImportedChat> {
    let id = text(value, "id")?;
    let chat = value.get("chat")?;
    let messages = chat.pointer("/history/messages")?.as_object()?;
    let current = chat.pointer("/history/currentId").and_then(Value::as_str)?;
    let parent = |m: &str| messages.get(m).and_then(|v| text(v, "parentId"));
    let branch = branch_to(current, parent, |m| messages.contains_key(m));
    let title = text(value, "title").or_else(|| text(chat, "title"));
    Some(ImportedChat {
        source: Source::OpenWebUi,
        source_id: id.to_string(),
        title: title_or_default(title),
        created_at: from_seconds(value.get("created_at")),
        messages: branch
            .into_iter()
            .filter_map(|m| message(m, messages.get(m)?))
            .collect(),
    })
}

fn message(id: &str, m: &Value) -> Option<ImportedMessage> {
    let role = match text(m, "role")? {
        "user" => Role::User,
        "assistant" => Role::Assistant,
        _ => return None,
    };
    let content = text(m, "content")?;
    if content.trim().is_empty() {
        return None;
    }
    let model = (role == Role::Assistant).then(|| {
        text(m, "modelName")
            .or_else(|| text(m, "model"))
            .unwrap_or(Source::OpenWebUi.assistant_name())
            .to_string()
    });
    Some(ImportedMessage {
        source_id: Some(id.to_string()),
        role,
        content: content.to_string(),
        created_at: from_seconds(m.get("timestamp")),
        model,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_current_branch_from_the_history() {
        let chat = read(&json!({
            "id": "w1", "title": "Trip", "created_at": 1_700_000_000,
            "chat": {"title": "ignored", "history": {"currentId": "a2", "messages": {
                "q": {"id": "q", "parentId": null, "role": "user", "content": "Where to?", "timestamp": 1_700_000_000},
                "a1": {"id": "a1", "parentId": "q", "role": "assistant", "content": "Oslo", "model": "llama3"},
                "a2": {"id": "a2", "parentId": "q", "role": "assistant", "content": "Kazan",
                       "model": "qwen2", "timestamp": 1_700_000_009}
            }}}
        }))
        .unwrap();
        assert_eq!(chat.title, "Trip");
        let texts: Vec<&str> = chat.messages.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(texts, ["Where to?", "Kazan"]);
        assert_eq!(chat.messages[1].model.as_deref(), Some("qwen2"));
        assert_eq!(
            chat.messages[1].created_at.unwrap().timestamp(),
            1_700_000_009
        );
    }
}
