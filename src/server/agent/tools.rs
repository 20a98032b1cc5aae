//! The agent's tools. They act only on the calling user's data: the user comes from the
//! runner, never from the arguments the model wrote.

use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{Role, SearchResult, SearchScope, User};
use crate::server::memory::UserMemory;
use crate::server::search::{ChatSearch, SearchRequest};

/// Results the agent sees per search.
pub const MAX_RESULTS: i64 = 5;

/// Who and where a tool runs for.
pub struct ToolEnv<'a> {
    pub search: &'a ChatSearch,
    pub user_memory: &'a UserMemory,
    pub user: &'a User,
    pub chat_id: Uuid,
    /// The message being answered: never a search result for itself.
    pub answering: Option<Uuid>,
}

/// What a tool returns: text for the model, and one line for the person watching.
pub struct ToolOutcome {
    pub for_model: String,
    pub summary: String,
}

/// OpenAI `tools` entries for the named tools.
pub fn specs(names: &[String]) -> Vec<Value> {
    names
        .iter()
        .filter_map(|name| match name.as_str() {
            "chat_history_search" => Some(json!({"type": "function", "function": {
                "name": "chat_history_search",
                "description": "Search the user's earlier chats for what was said about a topic.",
                "parameters": {"type": "object", "properties": {
                    "query": {"type": "string", "description": "Words to search for"},
                    "scope": {"type": "string", "enum": ["current", "all"], "description": "'current' for this chat, 'all' for all of the user's chats"}
                }, "required": ["query"]}
            }})),
            "update_user_preferences" => Some(json!({"type": "function", "function": {
                "name": "update_user_preferences",
                "description": "Remember a lasting preference of the user (one short line).",
                "parameters": {"type": "object", "properties": {
                    "preference": {"type": "string", "description": "The preference, e.g. 'Prefers answers in Russian'"}
                }, "required": ["preference"]}
            }})),
            _ => None,
        })
        .collect()
}

#[derive(Deserialize)]
struct SearchArgs {
    query: String,
    #[serde(default)]
    scope: Option<String>,
}

#[derive(Deserialize)]
struct PreferenceArgs {
    preference: String,
}

/// Runs a tool. A failure is returned as text for the model, never as a broken run.
pub async fn run(name: &str, arguments: &str, env: &ToolEnv<'_>) -> Result<ToolOutcome, String> {
    match name {
        "chat_history_search" => {
            let args: SearchArgs = serde_json::from_str(arguments)
                .map_err(|e| format!("invalid arguments for chat_history_search: {e}"))?;
            let scope = match args.scope.as_deref() {
                Some("current") => SearchScope::Current,
                _ => SearchScope::All,
            };
            let hits = search(env, &args.query, scope, MAX_RESULTS)
                .await
                .map_err(|e| e.to_string())?;
            let results: Vec<Value> = hits
                .iter()
                .map(|h| {
                    json!({
                        "chat_title": h.chat_title,
                        "chat_id": h.chat_id,
                        "date": h.created_at.format("%Y-%m-%d %H:%M").to_string(),
                        "role": h.role.as_str(),
                        "text": h.snippet,
                    })
                })
                .collect();
            Ok(ToolOutcome {
                for_model: json!({"results": results}).to_string(),
                summary: search_summary(&args.query, hits.len()),
            })
        }
        "update_user_preferences" => {
            let args: PreferenceArgs = serde_json::from_str(arguments)
                .map_err(|e| format!("invalid arguments for update_user_preferences: {e}"))?;
            let line = args.preference.trim();
            if line.is_empty() || line.chars().count() > 300 {
                return Err("preference must be 1 to 300 characters".into());
            }
            env.user_memory
                .add_preference(env.user.id, line)
                .await
                .map_err(|e| {
                    tracing::error!("saving a preference: {e}");
                    "the preference could not be saved".to_string()
                })?;
            Ok(ToolOutcome {
                for_model: "saved".into(),
                summary: format!("Remembered: {line}"),
            })
        }
        other => Err(format!("unknown tool {other}")),
    }
}

/// The step line people see for a search.
pub fn search_summary(query: &str, found: usize) -> String {
    format!(
        "Searched your chats for '{}': {found} result{}",
        query.trim(),
        if found == 1 { "" } else { "s" }
    )
}

/// The user's history search, scoped by the runner: this user, and this chat for `current`.
pub async fn search(
    env: &ToolEnv<'_>,
    query: &str,
    scope: SearchScope,
    limit: i64,
) -> Result<Vec<SearchResult>, AppError> {
    env.search
        .search_chats(&SearchRequest {
            user_id: env.user.id,
            query: &query
                .chars()
                .take(crate::server::search::MAX_QUERY)
                .collect::<String>(),
            scope,
            current_chat_id: Some(env.chat_id),
            limit,
            exclude: env.answering,
            filters: Default::default(),
        })
        .await
}

/// The first `max` characters of `text` on one line, with an ellipsis when cut.
pub fn quote(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        format!("{}…", flat.chars().take(max).collect::<String>())
    }
}

/// Who wrote a hit, for quoting it.
pub fn speaker(hit: &SearchResult, user: &User) -> String {
    match hit.role {
        Role::User => user.display_name.clone(),
        _ => "the agent".into(),
    }
}
