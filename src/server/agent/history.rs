//! A chat's stored messages as the model sees them: user and assistant text, and the
//! gateway client's tool calls with their results (stored as `tool` messages whose data
//! says which). What the model is sent must be a valid conversation: every tool result
//! follows the call it answers and every call offered has its result, so calls nobody
//! answered (the client moved on) are left out, and trimming drops a call with its results.

use crate::model::{Message, Role};

use super::llm::WireMessage;

/// One unit of context: a text message, or a tool-call message with its results.
struct Unit {
    messages: Vec<WireMessage>,
    chars: usize,
}

/// The chat's messages, newest kept first within `budget` characters (the latest unit
/// always), in chronological order.
pub fn wire_history(history: &[Message], budget: usize) -> Vec<WireMessage> {
    let units = units(history);
    let mut kept: Vec<Unit> = Vec::new();
    let mut used = 0;
    for unit in units.into_iter().rev() {
        if !kept.is_empty() && used + unit.chars > budget {
            break;
        }
        used += unit.chars;
        kept.push(unit);
    }
    kept.into_iter().rev().flat_map(|u| u.messages).collect()
}

fn units(history: &[Message]) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut i = 0;
    while i < history.len() {
        let message = &history[i];
        i += 1;
        let role = match message.role {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => {
                let calls = message.reply_data().tool_calls;
                if calls.is_empty() {
                    continue; // a result with no call before it
                }
                // The results that follow this call message, in the order they came.
                let mut results = Vec::new();
                while i < history.len() && history[i].role == Role::Tool {
                    let answered = history[i].reply_data().tool_call_id;
                    if answered.is_none() {
                        break; // the next call message
                    }
                    results.push((answered.unwrap_or_default(), &history[i]));
                    i += 1;
                }
                let answered: Vec<_> = calls
                    .iter()
                    .filter(|c| results.iter().any(|(id, _)| *id == c.id))
                    .collect();
                let text = (!message.content.is_empty()).then(|| message.content.clone());
                let mut unit = Unit {
                    messages: Vec::new(),
                    chars: message.content.chars().count(),
                };
                if answered.is_empty() {
                    // Nobody answered: what the model said before calling still counts.
                    if let Some(text) = text {
                        unit.messages.push(WireMessage::text("assistant", text));
                        units.push(unit);
                    }
                    continue;
                }
                unit.messages.push(WireMessage {
                    role: "assistant",
                    content: text,
                    tool_calls: answered
                        .iter()
                        .map(|c| {
                            serde_json::json!({"id": c.id, "type": "function",
                                "function": {"name": c.name, "arguments": c.arguments}})
                        })
                        .collect(),
                    tool_call_id: None,
                });
                for call in &answered {
                    // The first result for each call (a client may send one twice).
                    if let Some((_, result)) = results.iter().find(|(id, _)| *id == call.id) {
                        unit.chars += result.content.chars().count() + call.arguments.len();
                        unit.messages.push(WireMessage {
                            role: "tool",
                            content: Some(result.content.clone()),
                            tool_calls: Vec::new(),
                            tool_call_id: Some(call.id.clone()),
                        });
                    }
                }
                units.push(unit);
                continue;
            }
            Role::System => continue,
        };
        units.push(Unit {
            chars: message.content.chars().count(),
            messages: vec![WireMessage::text(role, message.content.clone())],
        });
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ReplyData, ToolCallData};
    use uuid::Uuid;

    fn msg(role: Role, content: &str, data: Option<ReplyData>) -> Message {
        Message {
            id: Uuid::new_v4(),
            role,
            content: content.into(),
            created_at: chrono::Utc::now(),
            data: data.map(|d| serde_json::to_string(&d).unwrap()),
            cursor: "0".into(),
            html: None,
            shortened: false,
        }
    }

    fn call(ids: &[&str]) -> Message {
        let tool_calls = ids
            .iter()
            .map(|id| ToolCallData {
                id: id.to_string(),
                name: "get_weather".into(),
                arguments: "{}".into(),
            })
            .collect();
        msg(
            Role::Tool,
            "",
            Some(ReplyData {
                tool_calls,
                ..ReplyData::default()
            }),
        )
    }

    fn result(id: &str, content: &str) -> Message {
        msg(
            Role::Tool,
            content,
            Some(ReplyData {
                tool_call_id: Some(id.into()),
                ..ReplyData::default()
            }),
        )
    }

    #[test]
    fn history_is_trimmed_from_the_oldest() {
        let history = vec![
            msg(Role::User, "aaaaaaaaaa", None),
            msg(Role::Assistant, "bbbbbbbbbb", None),
            msg(Role::System, "ignored", None),
            msg(Role::User, "cccccccccc", None),
        ];
        let kept = wire_history(&history, 20);
        let texts: Vec<_> = kept.iter().map(|m| m.content.clone().unwrap()).collect();
        assert_eq!(texts, ["bbbbbbbbbb", "cccccccccc"]);
        // The latest message stays even when it alone is over budget.
        assert_eq!(wire_history(&history, 3).len(), 1);
    }

    #[test]
    fn a_call_goes_with_its_results_and_unanswered_calls_are_left_out() {
        let history = vec![
            msg(Role::User, "weather?", None),
            call(&["c1", "c2"]),
            result("c1", "sunny"),
            msg(Role::User, "and then?", None),
        ];
        let wire = wire_history(&history, 10_000);
        let roles: Vec<_> = wire.iter().map(|m| m.role).collect();
        assert_eq!(roles, ["user", "assistant", "tool", "user"]);
        // c2 never got a result: the model is not shown a call without one.
        assert_eq!(wire[1].tool_calls.len(), 1);
        assert_eq!(wire[1].tool_calls[0]["id"], "c1");
        assert_eq!(wire[1].content, None);
        assert_eq!(wire[2].tool_call_id.as_deref(), Some("c1"));
        // A budget that cannot hold the call with its result drops both, never half.
        let short = wire_history(&history, 12);
        let roles: Vec<_> = short.iter().map(|m| m.role).collect();
        assert_eq!(roles, ["user"]);
        // A result whose call is gone is not sent alone.
        let orphan = wire_history(&[result("c9", "x"), msg(Role::User, "hi", None)], 100);
        assert_eq!(orphan.len(), 1);
    }
}
