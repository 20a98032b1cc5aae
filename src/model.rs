//! Types that cross the wire between server and browser.
//!
//! Nothing here carries a hash, a token the client did not ask for, or a database type.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub mod page_event;
mod timestamp;
pub use timestamp::{now, Moment, Timestamp};

/// A user as every client sees it. Deliberately has no password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Uuid,
    pub login: String,
    pub display_name: String,
    pub about: String,
    pub created_at: Timestamp,
    pub role: AccountRole,
    /// The web UI's language chosen by the account ("en", "ru"); `None` follows the browser.
    #[serde(default)]
    pub language: Option<String>,
}

/// What an account may do: an admin also runs the instance (`/admin`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountRole {
    Admin,
    #[default]
    User,
}

impl AccountRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountRole::Admin => "admin",
            AccountRole::User => "user",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "admin" => Some(AccountRole::Admin),
            "user" => Some(AccountRole::User),
            _ => None,
        }
    }
}

/// An account as the administration lists it: never a hash or a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUser {
    pub id: Uuid,
    pub login: String,
    pub display_name: String,
    pub role: AccountRole,
    pub disabled: bool,
    pub created_at: Timestamp,
    pub last_active_at: Option<Timestamp>,
    pub chats: i64,
    pub messages: i64,
    pub tokens_30d: i64,
    /// Tokens per UTC day for this account; `None`: the instance's default.
    pub daily_token_limit: Option<i64>,
}

/// An account's tokens today (UTC) against its daily limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaInfo {
    pub used_today: i64,
    /// `None`: unlimited.
    pub daily_limit: Option<i64>,
}

/// Who may register on this instance now, for the register page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationInfo {
    /// `open`, `invite` or `closed` (`MARUNTIME_REGISTRATION`).
    pub mode: String,
    /// No account exists yet: the next one is the instance's admin, whatever the mode.
    pub first_account: bool,
}

/// An invite as listed: the token itself is only ever shown once, at creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteInfo {
    pub id: Uuid,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

/// A new invite: the token and the link that carries it, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewInvite {
    pub id: Uuid,
    pub token: String,
    pub url: String,
    pub expires_at: Timestamp,
}

/// One login session, as the sessions list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: Uuid,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// True for the session making the request.
    pub current: bool,
}

/// An API key as listed: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyInfo {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the key, so the user can tell keys apart.
    pub prefix: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    /// After this the key no longer works; `None`: until revoked.
    pub expires_at: Option<Timestamp>,
}

/// A freshly created API key: the only time `key` is ever shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKey {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub key: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

/// A chat as listed and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chat {
    pub id: Uuid,
    pub title: String,
    /// The id of the agent that answers in this chat.
    pub agent: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
    Tool,
    System,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
            Role::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "user" => Some(Role::User),
            "assistant" => Some(Role::Assistant),
            "tool" => Some(Role::Tool),
            "system" => Some(Role::System),
            _ => None,
        }
    }
}

/// One message of a chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: Uuid,
    pub role: Role,
    pub content: String,
    pub created_at: Timestamp,
    /// Tool calls and agent steps (JSON text), when the message has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// Opaque position of this message, usable as a pagination cursor.
    pub cursor: String,
    /// The agent's Markdown as safe HTML, for the web UI: its server functions fill it
    /// (`crate::server::markdown`), the JSON API never does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// The web UI got only the first [`PAGE_MESSAGE_CHARS`] characters of this message (an
    /// imported document); the whole text is loaded when the reader asks. Never set by the
    /// JSON API.
    #[serde(default, skip_serializing_if = "is_false")]
    pub shortened: bool,
}

/// The most characters of one message a page renders at first.
pub const PAGE_MESSAGE_CHARS: usize = 32_000;

fn is_false(value: &bool) -> bool {
    !*value
}

impl Message {
    /// What the message keeps besides its text (empty when it keeps nothing readable).
    pub fn reply_data(&self) -> ReplyData {
        self.data
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or_default()
    }
}

/// One page of a list, with the cursor for the next page (`None` at the end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next: Option<String>,
}

/// One thing the agent did on the way to its answer (a tool call).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentStep {
    pub tool: String,
    /// The arguments as JSON text.
    pub arguments: String,
    /// One line for people: "Searched your chats for 'Atlas': 3 results".
    pub summary: String,
    pub ok: bool,
    pub duration_ms: u64,
}

/// What an assistant or tool message keeps besides its text (`Message::data`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyData {
    #[serde(default)]
    pub steps: Vec<AgentStep>,
    /// The run was stopped by the user; the text is what had arrived.
    #[serde(default)]
    pub stopped: bool,
    /// The run failed after this much of the reply had arrived: why, in words for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
    /// The reply was cut at a limit (the longest reply or the longest run).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cut: bool,
    /// Calls the model made to the gateway client's own tools: the client runs them and
    /// sends their results back (a message of role `tool` holds these calls).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCallData>,
    /// The call this message answers (a `tool` message holding a client tool's result).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// The reply is the recall agent's list of search hits (no model was connected): it quotes
    /// other messages, so it is kept out of the search index.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recall: bool,
}

/// One tool call as OpenAI's clients see it: its id, the function's name, JSON arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCallData {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// Tokens one run used, from the model's own `usage` or estimated when it reports none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    /// True when some of these figures are estimates (the model reported no usage).
    #[serde(default)]
    pub estimated: bool,
}

/// One day of a user's token use (`GET /v1/usage`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageDay {
    /// `YYYY-MM-DD`, UTC.
    pub date: String,
    pub runs: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    /// Runs of that day whose figures are estimates.
    pub estimated_runs: u64,
}

/// The events of one agent run, in order. `GET /v1/chats/{id}/run` sends them as SSE, and the
/// web UI receives them rendered for the page (`crate::api::agent::PageEvent`); every follower
/// sees the same list from the start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RunEvent {
    /// The run began answering `question` (always the first event).
    Started {
        run_id: Uuid,
        chat_id: Uuid,
        question: Message,
    },
    /// The model asked for a tool; its result follows as a `Step`.
    ToolCall {
        tool: String,
        arguments: String,
    },
    /// A tool finished (the step as stored with the reply).
    Step {
        step: AgentStep,
    },
    Delta {
        text: String,
    },
    /// The tokens the run used; sent just before the final event.
    Usage {
        usage: Usage,
    },
    /// The reply is stored. `finish_reason` is `stop`, `length` when a limit cut it, or
    /// `tool_calls` when the model called the gateway client's tools (`message` is then the
    /// `tool` message holding the calls).
    Finished {
        message: Message,
        finish_reason: String,
    },
    /// Stopped by someone; what had arrived is stored, marked as stopped.
    Stopped {
        message: Message,
    },
    /// The model failed; what had arrived (if anything) is stored, marked as failed.
    Failed {
        error: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<Message>,
    },
}

impl RunEvent {
    /// Whether this event ends the run.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            RunEvent::Finished { .. } | RunEvent::Stopped { .. } | RunEvent::Failed { .. }
        )
    }
}

/// Where a history search looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SearchScope {
    /// Only the chat the search is made from.
    Current,
    /// All of the user's chats.
    #[default]
    All,
}

/// One message found by a history search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResult {
    pub chat_id: Uuid,
    pub chat_title: String,
    pub message_id: Uuid,
    pub role: Role,
    pub created_at: Timestamp,
    /// A piece of the message around the match, on one line. Matched words are wrapped in
    /// `**`; a `*` or `\` of the message itself is escaped with `\` (Markdown reads it so).
    pub snippet: String,
    /// Higher is better: messages with every query word score above those with some.
    pub score: f64,
}

/// A snippet split into plain and matched runs, for showing it with highlights.
pub fn snippet_parts(snippet: &str) -> Vec<(String, bool)> {
    let mut parts: Vec<(String, bool)> = Vec::new();
    let mut current = String::new();
    let mut marked = false;
    let mut chars = snippet.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if !current.is_empty() {
                    parts.push((std::mem::take(&mut current), marked));
                }
                marked = !marked;
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        parts.push((current, marked));
    }
    parts
}

/// Where an import is: receiving the upload, checking the file, writing chats; then done
/// or failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportStatus {
    pub id: Uuid,
    /// `running`, `done` or `failed`.
    pub state: String,
    /// While running: `receiving`, `waiting` (for another import on the server to end),
    /// `checking` or `importing`.
    pub phase: String,
    /// The upload's size, when the client said it.
    pub bytes_total: Option<i64>,
    /// Bytes received, then bytes of the file read.
    pub bytes_done: i64,
    /// Elements of the export, once checked.
    pub conversations_total: Option<i64>,
    pub conversations_done: i64,
    pub imported: i64,
    pub skipped: i64,
    pub messages: i64,
    /// Imported messages cut to the server's limit (`MARUNTIME_IMPORT_MAX_MESSAGE_BYTES`).
    #[serde(default)]
    pub truncated: i64,
    /// What went wrong (failed only).
    pub error: Option<String>,
    pub started_at: Timestamp,
    pub updated_at: Timestamp,
}

impl ImportStatus {
    pub fn is_running(&self) -> bool {
        self.state == "running"
    }
}

/// What an import brought in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    /// Conversations that became chats, or added messages to chats imported before.
    pub imported: i64,
    /// Elements that added nothing: already imported, empty, or not a conversation.
    pub skipped: i64,
    /// Messages written.
    pub messages: i64,
    /// Messages cut to the server's limit (`MARUNTIME_IMPORT_MAX_MESSAGE_BYTES`), each with a
    /// visible marker where the cut is.
    #[serde(default)]
    pub truncated: i64,
    pub chats: Vec<ImportedChatRef>,
}

/// A chat an import wrote to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedChatRef {
    pub id: Uuid,
    pub title: String,
    /// Where it came from: `chatgpt:<id>`, `claude:<id>`, `openwebui:<id>`, `librechat:<id>`.
    pub source: String,
}
