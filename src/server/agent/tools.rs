//! The agent's tools. They act only on the calling user's data: the user comes from the
//! runner, never from the arguments the model wrote.

use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{Role, User};
use crate::server::memory::UserMemory;
use crate::server::store::{MessageHit, Store};

/// Messages of the user examined per search until the full-text index replaces this scan.
const SEARCH_WINDOW: i64 = 5_000;
const MAX_RESULTS: usize = 5;

/// Words that say how someone asks, not what about ("what did we say about Atlas"), in
/// English and Russian. Without them every question would match every other question.
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "an",
    "and",
    "any",
    "anything",
    "are",
    "as",
    "at",
    "be",
    "but",
    "by",
    "can",
    "could",
    "did",
    "discuss",
    "discussed",
    "do",
    "does",
    "for",
    "from",
    "had",
    "has",
    "have",
    "how",
    "i",
    "in",
    "is",
    "it",
    "last",
    "me",
    "mention",
    "mentioned",
    "my",
    "of",
    "on",
    "or",
    "our",
    "remember",
    "said",
    "say",
    "talk",
    "talked",
    "tell",
    "that",
    "the",
    "there",
    "this",
    "time",
    "to",
    "us",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "who",
    "why",
    "with",
    "you",
    "your",
    "а",
    "в",
    "во",
    "вы",
    "говорили",
    "да",
    "для",
    "до",
    "же",
    "за",
    "и",
    "из",
    "или",
    "как",
    "когда",
    "ли",
    "мы",
    "на",
    "не",
    "но",
    "о",
    "об",
    "обсуждали",
    "от",
    "по",
    "помнишь",
    "про",
    "с",
    "так",
    "там",
    "то",
    "ты",
    "у",
    "что",
    "это",
    "я",
];

/// Who and where a tool runs for.
pub struct ToolEnv<'a> {
    pub store: &'a Store,
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
            let all = args.scope.as_deref() != Some("current");
            let hits = search(env, &args.query, all)
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
                        "text": quote(&h.content, 400),
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

/// History search over the user's stored messages: every query word is matched without case
/// inside words; more matched words rank first, then newer messages.
pub async fn search(
    env: &ToolEnv<'_>,
    query: &str,
    all_chats: bool,
) -> Result<Vec<MessageHit>, AppError> {
    let terms: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| t.chars().count() >= 2)
        .map(str::to_lowercase)
        .filter(|t| !STOPWORDS.contains(&t.as_str()))
        .collect();
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let scope = (!all_chats).then_some(env.chat_id);
    let candidates = env
        .store
        .recent_messages_of_user(env.user.id, scope, SEARCH_WINDOW)
        .await?;
    let mut scored: Vec<(usize, MessageHit)> = candidates
        .into_iter()
        .filter(|h| Some(h.message_id) != env.answering)
        .filter_map(|h| {
            let text = h.content.to_lowercase();
            let score = terms.iter().filter(|t| text.contains(t.as_str())).count();
            (score > 0).then_some((score, h))
        })
        .collect();
    // Stable sort keeps the newest-first order among equal scores.
    scored.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
    Ok(scored
        .into_iter()
        .map(|(_, h)| h)
        .take(MAX_RESULTS)
        .collect())
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
pub fn speaker(hit: &MessageHit, user: &User) -> String {
    match hit.role {
        Role::User => user.display_name.clone(),
        _ => "the agent".into(),
    }
}
