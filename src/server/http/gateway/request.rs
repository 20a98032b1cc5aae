//! A chat-completions request, checked parameter by parameter before anything is stored:
//! what the gateway passes to the model, what it refuses (400 naming the parameter), and
//! the messages as the turn stores them.

use serde_json::{Map, Value};

use super::openai::{invalid_param, OpenAiError};
use crate::model::{ReplyData, Role, ToolCallData};
use crate::server::agent::{ClientTool, RunOptions, TurnInput};

/// One message of the request, checked.
pub(super) struct Incoming {
    role: Role,
    content: String,
    /// The assistant's calls (an assistant message of a tool round trip).
    tool_calls: Vec<ToolCallData>,
    /// The call a `tool` message answers.
    tool_call_id: Option<String>,
}

/// The most tools one request may define (OpenAI's own limit).
const MAX_TOOLS: usize = 128;

/// Parameters passed to the model as they are, once checked.
const PASSED_ON: [&str; 8] = [
    "temperature",
    "top_p",
    "presence_penalty",
    "frequency_penalty",
    "stop",
    "seed",
    "response_format",
    "user",
];

pub(super) fn parse_messages(value: &Value) -> Result<Vec<Incoming>, OpenAiError> {
    let list = value
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| invalid_param("messages", "messages must be a non-empty array"))?;
    let mut parsed: Vec<Incoming> = Vec::with_capacity(list.len());
    for (i, m) in list.iter().enumerate() {
        let role = match m["role"].as_str() {
            Some("user") => Role::User,
            Some("assistant") => Role::Assistant,
            Some("system") | Some("developer") => Role::System,
            Some("tool") => Role::Tool,
            Some("function") => {
                return Err(invalid_param(
                    &format!("messages[{i}].role"),
                    "The role `function` belongs to OpenAI's retired function calling; define `tools` and answer with `tool` messages.",
                ))
            }
            _ => {
                return Err(invalid_param(
                    &format!("messages[{i}].role"),
                    format!("messages[{i}].role must be one of system, developer, user, assistant, tool"),
                ))
            }
        };
        let content = text_content(&m["content"], i)?;
        let tool_calls = match (role, &m["tool_calls"]) {
            (Role::Assistant, Value::Array(calls)) => calls
                .iter()
                .enumerate()
                .map(|(j, c)| assistant_call(c, i, j))
                .collect::<Result<Vec<_>, _>>()?,
            _ => Vec::new(),
        };
        let tool_call_id = if role == Role::Tool {
            let id = m["tool_call_id"].as_str().ok_or_else(|| {
                invalid_param(
                    &format!("messages[{i}].tool_call_id"),
                    format!("messages[{i}] is a tool result and needs the tool_call_id it answers"),
                )
            })?;
            // Like OpenAI: a result answers a call of the assistant message before it.
            let answers_a_call = parsed
                .iter()
                .rev()
                .find(|p| p.role != Role::Tool)
                .is_some_and(|p| p.tool_calls.iter().any(|c| c.id == id));
            if !answers_a_call {
                return Err(invalid_param(
                    &format!("messages[{i}].tool_call_id"),
                    format!("messages[{i}] answers the tool call `{id}`, which the assistant message before it did not make"),
                ));
            }
            Some(id.to_string())
        } else {
            None
        };
        parsed.push(Incoming {
            role,
            content,
            tool_calls,
            tool_call_id,
        });
    }
    Ok(parsed)
}

/// A message's text: a string, or text parts joined by lines.
fn text_content(value: &Value, i: usize) -> Result<String, OpenAiError> {
    let param = format!("messages[{i}].content");
    let content = match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(parts) => parts
            .iter()
            .map(|p| {
                p["text"].as_str().map(str::to_string).ok_or_else(|| {
                    invalid_param(&param, format!("messages[{i}].content parts must be text"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?
            .join("\n"),
        _ => {
            return Err(invalid_param(
                &param,
                format!("messages[{i}].content must be a string or an array of text parts"),
            ))
        }
    };
    if content.contains('\0') {
        return Err(invalid_param(
            &param,
            format!(
                "messages[{i}].content contains a NUL character (U+0000), which cannot be stored."
            ),
        ));
    }
    Ok(content)
}

fn assistant_call(call: &Value, i: usize, j: usize) -> Result<ToolCallData, OpenAiError> {
    let param = format!("messages[{i}].tool_calls[{j}]");
    let bad = |what: &str| invalid_param(&param, format!("{param} {what}"));
    let id = call["id"].as_str().ok_or_else(|| bad("needs an id"))?;
    let name = call["function"]["name"]
        .as_str()
        .ok_or_else(|| bad("needs function.name"))?;
    let arguments = match &call["function"]["arguments"] {
        Value::String(s) => s.clone(),
        Value::Null => "{}".to_string(),
        // Some clients send the arguments as an object rather than JSON text.
        other @ Value::Object(_) => other.to_string(),
        _ => return Err(bad("function.arguments must be JSON text")),
    };
    if [id, name, arguments.as_str()]
        .iter()
        .any(|s| s.contains('\0'))
    {
        return Err(bad(
            "contains a NUL character (U+0000), which cannot be stored",
        ));
    }
    Ok(ToolCallData {
        id: id.to_string(),
        name: name.to_string(),
        arguments,
    })
}

/// The request's system and developer messages (the client application's instructions).
pub(super) fn instructions(messages: &[Incoming]) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m.role == Role::System && !m.content.trim().is_empty())
        .map(|m| m.content.clone())
        .collect()
}

/// What the turn stores, from the request's messages. Continuing a chat (`continuing`):
/// the stored history is the context, and only the request's newest part is added (its
/// trailing tool results, or its latest user message). A new chat stores the conversation
/// as sent: user and assistant text, the assistant's tool calls and their results.
pub(super) fn turn_input(
    messages: Vec<Incoming>,
    continuing: bool,
) -> Result<TurnInput, OpenAiError> {
    if continuing && messages.last().is_some_and(|m| m.role == Role::Tool) {
        let start = messages
            .iter()
            .rposition(|m| m.role != Role::Tool)
            .map_or(0, |p| p + 1);
        let results = messages
            .into_iter()
            .skip(start)
            .map(|m| (m.tool_call_id.unwrap_or_default(), m.content))
            .collect();
        return Ok(TurnInput::ToolResults(results));
    }
    let last_user = messages
        .iter()
        .rposition(|m| m.role == Role::User && !m.content.trim().is_empty())
        .ok_or_else(|| {
            invalid_param(
                "messages",
                "messages must include a user message with content",
            )
        })?;
    if continuing {
        return Ok(TurnInput::Message(
            messages
                .into_iter()
                .nth(last_user)
                .expect("found above")
                .content,
        ));
    }
    let data = |d: ReplyData| Some(serde_json::to_string(&d).expect("reply data serialises"));
    Ok(TurnInput::History(
        messages
            .into_iter()
            .filter_map(|m| match m.role {
                Role::Assistant if !m.tool_calls.is_empty() => Some((
                    Role::Tool,
                    m.content,
                    data(ReplyData {
                        tool_calls: m.tool_calls,
                        ..ReplyData::default()
                    }),
                )),
                Role::Tool => Some((
                    Role::Tool,
                    m.content,
                    data(ReplyData {
                        tool_call_id: m.tool_call_id,
                        ..ReplyData::default()
                    }),
                )),
                Role::User | Role::Assistant if !m.content.trim().is_empty() => {
                    Some((m.role, m.content, None))
                }
                _ => None,
            })
            .collect(),
    ))
}

/// The request's tools, tool choice and model parameters, checked.
pub(super) fn run_options(request: &Value) -> Result<RunOptions, OpenAiError> {
    refuse_unsupported(request)?;
    let mut params = Map::new();
    for key in PASSED_ON {
        let value = &request[key];
        if value.is_null() {
            continue;
        }
        check_param(key, value)?;
        params.insert(key.to_string(), value.clone());
    }
    let max_tokens = ["max_completion_tokens", "max_tokens"]
        .iter()
        .filter_map(|key| match &request[*key] {
            Value::Null => None,
            value => Some(
                value
                    .as_u64()
                    .filter(|n| (1..=u32::MAX as u64).contains(n))
                    .map(|n| n as u32)
                    .ok_or_else(|| {
                        invalid_param(key, format!("{key} must be a whole number of at least 1"))
                    }),
            ),
        })
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .min();
    let parallel_tool_calls = match &request["parallel_tool_calls"] {
        Value::Null => None,
        Value::Bool(b) => Some(*b),
        _ => {
            return Err(invalid_param(
                "parallel_tool_calls",
                "parallel_tool_calls must be true or false",
            ))
        }
    };
    Ok(RunOptions {
        client_tools: client_tools(&request["tools"])?,
        tool_choice: tool_choice(&request["tool_choice"])?,
        parallel_tool_calls,
        params,
        max_tokens,
        instructions: Vec::new(),
    })
}

/// Parameters whose request the gateway cannot honour: refused rather than ignored.
fn refuse_unsupported(request: &Value) -> Result<(), OpenAiError> {
    match &request["n"] {
        Value::Null => {}
        n if n.as_u64() == Some(1) => {}
        _ => {
            return Err(invalid_param(
                "n",
                "maruntime answers with one choice: leave n out or send 1.",
            ))
        }
    }
    match &request["logprobs"] {
        Value::Null | Value::Bool(false) => {}
        _ => {
            return Err(invalid_param(
                "logprobs",
                "maruntime does not return log probabilities: leave logprobs out or send false.",
            ))
        }
    }
    if !request["top_logprobs"].is_null() {
        return Err(invalid_param(
            "top_logprobs",
            "maruntime does not return log probabilities: leave top_logprobs out.",
        ));
    }
    for legacy in ["functions", "function_call"] {
        if !request[legacy].is_null() {
            return Err(invalid_param(legacy, format!("{legacy} is OpenAI's retired function calling; send tools and tool_choice instead.")));
        }
    }
    Ok(())
}

fn check_param(key: &str, value: &Value) -> Result<(), OpenAiError> {
    let range = |lo: f64, hi: f64| {
        value
            .as_f64()
            .filter(|v| (lo..=hi).contains(v))
            .map(|_| ())
            .ok_or_else(|| invalid_param(key, format!("{key} must be a number from {lo} to {hi}")))
    };
    match key {
        "temperature" => range(0.0, 2.0),
        "top_p" => range(0.0, 1.0),
        "presence_penalty" | "frequency_penalty" => range(-2.0, 2.0),
        "seed" => value
            .as_i64()
            .map(|_| ())
            .ok_or_else(|| invalid_param(key, "seed must be a whole number")),
        "user" => value
            .as_str()
            .filter(|u| u.chars().count() <= 256 && !u.contains('\0'))
            .map(|_| ())
            .ok_or_else(|| invalid_param(key, "user must be text of at most 256 characters")),
        "stop" => {
            let ok = match value {
                Value::String(s) => !s.is_empty(),
                Value::Array(list) => {
                    list.len() <= 4
                        && list
                            .iter()
                            .all(|s| s.as_str().is_some_and(|s| !s.is_empty()))
                }
                _ => false,
            };
            ok.then_some(()).ok_or_else(|| {
                invalid_param(key, "stop must be a non-empty string or up to 4 of them")
            })
        }
        "response_format" => match value["type"].as_str() {
            Some("text") | Some("json_object") => Ok(()),
            Some("json_schema") if value["json_schema"]["name"].is_string() => Ok(()),
            Some("json_schema") => Err(invalid_param(
                "response_format.json_schema",
                "response_format of type json_schema needs json_schema with a name and a schema",
            )),
            _ => Err(invalid_param(
                "response_format.type",
                "response_format.type must be text, json_object or json_schema",
            )),
        },
        _ => Ok(()),
    }
}

/// A tool name OpenAI accepts: letters, digits, `_` and `-`, at most 64.
fn valid_tool_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn client_tools(value: &Value) -> Result<Vec<ClientTool>, OpenAiError> {
    let list = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(list) if list.len() <= MAX_TOOLS => list,
        _ => {
            return Err(invalid_param(
                "tools",
                format!("tools must be an array of at most {MAX_TOOLS} function tools"),
            ))
        }
    };
    let mut tools: Vec<ClientTool> = Vec::with_capacity(list.len());
    for (i, tool) in list.iter().enumerate() {
        if tool["type"] != "function" {
            return Err(invalid_param(
                &format!("tools[{i}].type"),
                format!("tools[{i}].type must be \"function\" (the only kind of client tool maruntime passes on)"),
            ));
        }
        let name = tool["function"]["name"].as_str().unwrap_or_default();
        if !valid_tool_name(name) {
            return Err(invalid_param(
                &format!("tools[{i}].function.name"),
                format!("tools[{i}].function.name must be 1-64 letters, digits, _ or -"),
            ));
        }
        let parameters = &tool["function"]["parameters"];
        if !(parameters.is_null() || parameters.is_object()) {
            return Err(invalid_param(
                &format!("tools[{i}].function.parameters"),
                format!("tools[{i}].function.parameters must be a JSON Schema object"),
            ));
        }
        if tools.iter().any(|t| t.name == name) {
            return Err(invalid_param(
                &format!("tools[{i}].function.name"),
                format!("The tool name `{name}` is defined twice."),
            ));
        }
        tools.push(ClientTool {
            name: name.to_string(),
            spec: tool.clone(),
        });
    }
    Ok(tools)
}

fn tool_choice(value: &Value) -> Result<Option<Value>, OpenAiError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if ["auto", "none", "required"].contains(&s.as_str()) => Ok(Some(value.clone())),
        Value::Object(_)
            if value["type"] == "function" && value["function"]["name"].is_string() =>
        {
            Ok(Some(value.clone()))
        }
        _ => Err(invalid_param(
            "tool_choice",
            "tool_choice must be \"auto\", \"none\", \"required\" or {\"type\":\"function\",\"function\":{\"name\":…}}",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn param_of(result: Result<RunOptions, OpenAiError>) -> String {
        result.err().and_then(|e| e.param).unwrap_or_default()
    }

    #[test]
    fn out_of_range_parameters_name_themselves() {
        assert_eq!(
            param_of(run_options(&json!({"temperature": 3}))),
            "temperature"
        );
        assert_eq!(param_of(run_options(&json!({"top_p": -0.1}))), "top_p");
        assert_eq!(
            param_of(run_options(&json!({"max_tokens": 0}))),
            "max_tokens"
        );
        assert_eq!(
            param_of(run_options(&json!({"stop": ["a", "b", "c", "d", "e"]}))),
            "stop"
        );
        assert_eq!(param_of(run_options(&json!({"n": 2}))), "n");
        assert_eq!(
            param_of(run_options(&json!({"logprobs": true}))),
            "logprobs"
        );
        assert_eq!(
            param_of(run_options(&json!({"tool_choice": "sometimes"}))),
            "tool_choice"
        );
        assert_eq!(
            param_of(run_options(
                &json!({"tools": [{"type": "function", "function": {"name": "a b"}}]})
            )),
            "tools[0].function.name"
        );
        let ok = run_options(&json!({"temperature": 0.2, "n": 1, "max_tokens": 50, "max_completion_tokens": 40, "seed": 7})).unwrap();
        assert_eq!(ok.max_tokens, Some(40));
        assert_eq!(ok.params["seed"], 7);
    }

    #[test]
    fn a_tool_result_must_answer_the_call_before_it() {
        let messages = json!([
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c2", "content": "sunny"},
        ]);
        let e = parse_messages(&messages).err().unwrap();
        assert_eq!(e.param.as_deref(), Some("messages[2].tool_call_id"));
        let mut ok = messages.clone();
        ok[2]["tool_call_id"] = json!("c1");
        let parsed = parse_messages(&ok).unwrap();
        let TurnInput::ToolResults(results) = turn_input(parsed, true).unwrap() else {
            panic!("a chat continued with tool results")
        };
        assert_eq!(results, vec![("c1".to_string(), "sunny".to_string())]);
        let TurnInput::History(history) = turn_input(parse_messages(&ok).unwrap(), false).unwrap()
        else {
            panic!("a new chat")
        };
        let roles: Vec<_> = history.iter().map(|(r, ..)| *r).collect();
        assert_eq!(roles, [Role::User, Role::Tool, Role::Tool]);
    }
}
