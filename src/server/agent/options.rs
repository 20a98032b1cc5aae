//! What a gateway request asks of the model besides its messages: the client's own function
//! tools, how the model may choose among tools, and sampling parameters. The gateway checks
//! their shapes and ranges; what depends on the agent (a tool name clash, a named tool that
//! does not exist) is checked here once the chat's agent is known.

use serde_json::{json, Map, Value};

use crate::error::AppError;

/// A function tool the client defined; the model may call it, the client runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientTool {
    pub name: String,
    /// The tool as the client sent it (`{"type":"function","function":{…}}`), passed on.
    pub spec: Value,
}

/// Per-run requests for the model. The web UI sends none of these (the default).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunOptions {
    pub client_tools: Vec<ClientTool>,
    /// `"auto"`, `"none"`, `"required"` or `{"type":"function","function":{"name"}}`.
    pub tool_choice: Option<Value>,
    pub parallel_tool_calls: Option<bool>,
    /// Checked sampling parameters passed to the model as they are (`temperature`, `stop`…).
    pub params: Map<String, Value>,
    /// The reply limit the client asked for (the server's own limit still applies).
    pub max_tokens: Option<u32>,
    /// The request's own system (or developer) messages: the client application's
    /// instructions, given to the model after the agent's system prompt; not stored.
    pub instructions: Vec<String>,
}

impl RunOptions {
    pub fn is_client_tool(&self, name: &str) -> bool {
        self.client_tools.iter().any(|t| t.name == name)
    }

    /// Refuses client tools that share a name with the agent's own, and a `tool_choice`
    /// that needs a tool when there is none or names one that does not exist.
    pub fn check_against(&self, agent_tools: &[String]) -> Result<(), AppError> {
        if let Some(clash) = self
            .client_tools
            .iter()
            .find(|t| agent_tools.contains(&t.name))
        {
            return Err(AppError::validation(
                "tools",
                format!(
                    "The tool name `{}` is one of this agent's own tools; give your tool another name.",
                    clash.name
                ),
            ));
        }
        let Some(choice) = &self.tool_choice else {
            return Ok(());
        };
        let any_tools = !agent_tools.is_empty() || !self.client_tools.is_empty();
        if let Some(name) = choice["function"]["name"].as_str() {
            if !self.is_client_tool(name) && !agent_tools.iter().any(|t| t == name) {
                return Err(AppError::validation(
                    "tool_choice",
                    format!("tool_choice names the tool `{name}`, which is not among the tools."),
                ));
            }
        } else if choice == "required" && !any_tools {
            return Err(AppError::validation(
                "tool_choice",
                "tool_choice is \"required\" but there are no tools to call.",
            ));
        }
        Ok(())
    }

    /// Adds these options to a model request body. `offered` says whether tools go with this
    /// call; `first` whether it is the run's first call (a forcing `tool_choice` applies only
    /// there, or a model made to call a tool would never get to answer).
    pub fn apply(&self, body: &mut Value, offered: bool, first: bool, server_max_tokens: u32) {
        for (key, value) in &self.params {
            body[key] = value.clone();
        }
        body["max_tokens"] = json!(self
            .max_tokens
            .map_or(server_max_tokens, |m| m.min(server_max_tokens)));
        if !offered {
            return;
        }
        if let Some(choice) = &self.tool_choice {
            let forcing = choice == "required" || choice.is_object();
            if first || !forcing {
                body["tool_choice"] = choice.clone();
            }
        }
        if let Some(parallel) = self.parallel_tool_calls {
            body["parallel_tool_calls"] = json!(parallel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(name: &str) -> ClientTool {
        ClientTool {
            name: name.into(),
            spec: json!({"type": "function", "function": {"name": name}}),
        }
    }

    #[test]
    fn a_clash_or_an_unknown_named_tool_is_refused() {
        let agent = vec!["chat_history_search".to_string()];
        let options = RunOptions {
            client_tools: vec![tool("chat_history_search")],
            ..RunOptions::default()
        };
        let err = options.check_against(&agent).unwrap_err();
        assert!(err.to_string().contains("chat_history_search"), "{err}");
        let options = RunOptions {
            client_tools: vec![tool("get_weather")],
            tool_choice: Some(json!({"type": "function", "function": {"name": "nope"}})),
            ..RunOptions::default()
        };
        assert!(options.check_against(&agent).is_err());
        let options = RunOptions {
            tool_choice: Some(
                json!({"type": "function", "function": {"name": "chat_history_search"}}),
            ),
            ..RunOptions::default()
        };
        assert!(options.check_against(&agent).is_ok());
        let options = RunOptions {
            tool_choice: Some(json!("required")),
            ..RunOptions::default()
        };
        assert!(options.check_against(&[]).is_err());
        assert!(options.check_against(&agent).is_ok());
    }

    #[test]
    fn a_forcing_choice_goes_only_with_the_first_call_and_max_tokens_stays_under_the_limit() {
        let options = RunOptions {
            tool_choice: Some(json!("required")),
            parallel_tool_calls: Some(false),
            max_tokens: Some(5000),
            params: [("temperature".to_string(), json!(0.5))]
                .into_iter()
                .collect(),
            ..RunOptions::default()
        };
        let mut first = json!({});
        options.apply(&mut first, true, true, 1000);
        assert_eq!(
            first,
            json!({"temperature": 0.5, "max_tokens": 1000, "tool_choice": "required", "parallel_tool_calls": false})
        );
        let mut later = json!({});
        options.apply(&mut later, true, false, 1000);
        assert!(later.get("tool_choice").is_none());
        let mut bare = json!({});
        options.apply(&mut bare, false, true, 1000);
        assert_eq!(bare, json!({"temperature": 0.5, "max_tokens": 1000}));
    }
}
