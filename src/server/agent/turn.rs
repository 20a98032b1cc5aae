//! The one turn operation: everything that starts an agent run (the web UI, the gateway,
//! Retry) comes through [`AgentRunner::start_turn`]. It waits for the chat's turn, stores
//! what the turn brings, and hands back the run, which goes on in the background.

use std::sync::Arc;

use uuid::Uuid;

use super::options::RunOptions;
use super::runner::{AgentRunner, RunPlan};
use super::runs::Run;
use crate::error::AppError;
use crate::model::{Chat, Message, ReplyData, Role, User};
use crate::server::store::{Reservation, Store};
use crate::validation::validate_message;

/// What a turn brings to the chat.
#[derive(Debug, Clone)]
pub enum TurnInput {
    /// A person's new message, to be answered.
    Message(String),
    /// The history a new chat starts with (oldest first), as an OpenAI client sends it:
    /// user and assistant text, and tool calls and results as `tool` messages with their
    /// [`crate::model::ReplyData`] (JSON) beside them. The run goes on from its end.
    History(Vec<(Role, String, Option<String>)>),
    /// Results of the client tool calls the chat's latest run ended with (call id, result),
    /// as an OpenAI client sends them back; the run goes on with them.
    ToolResults(Vec<(String, String)>),
    /// Answer the latest user message again: replies after it (a failed or stopped one, or
    /// the answer being regenerated) are replaced, the user's message is not repeated.
    Retry,
    /// The latest user message, edited: it and the replies after it are replaced by the new
    /// text, which is answered.
    Edit { message_id: Uuid, content: String },
}

pub struct TurnRequest {
    pub user: User,
    /// An existing chat of the user's, or `None` to start one.
    pub chat_id: Option<Uuid>,
    pub input: TurnInput,
    /// The agent of a new chat (ignored for an existing one).
    pub agent: Option<String>,
    /// The gateway request's own tools and model parameters (the default elsewhere).
    pub options: RunOptions,
}

/// A started turn: the run (follow it, stop it), the chat, and the user message answered.
pub struct Turn {
    pub run: Arc<Run>,
    pub chat: Chat,
    pub message: Message,
}

/// Tokens a run in flight holds against its account's daily limit; released when dropped
/// (the run's own usage is recorded before that).
pub(super) struct QuotaHold(Option<(Uuid, Store)>);

impl QuotaHold {
    /// Ends the hold before the run's end is announced, so a client that starts another run
    /// on the answer finds the tokens released.
    pub(super) async fn release(mut self) {
        if let Some((id, store)) = self.0.take() {
            release_tokens(store, id).await;
        }
    }
}

async fn release_tokens(store: Store, id: Uuid) {
    if let Err(e) = store.release_tokens(id).await {
        tracing::error!("releasing a run's reserved tokens: {e}");
    }
}

/// A hold dropped on another path (a turn that failed to start) is released in the background.
impl Drop for QuotaHold {
    fn drop(&mut self) {
        let Some((id, store)) = self.0.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(release_tokens(store, id));
        }
    }
}

/// The start of `now`'s UTC day, in milliseconds: daily limits count from there.
fn day_start_ms(now: chrono::DateTime<chrono::Utc>) -> i64 {
    now.date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_millis()
}

fn quota_spent(limit: i64) -> AppError {
    AppError::QuotaExceeded(format!(
        "You have used your {limit} tokens for today. New answers can start again after \
         midnight UTC; ask the administrator if you need more."
    ))
}

impl AgentRunner {
    /// The account's tokens today (UTC) and its daily limit: its own if an admin set one,
    /// else the instance's (`None`: unlimited).
    pub async fn quota(&self, user_id: Uuid) -> Result<crate::model::QuotaInfo, AppError> {
        let day_start = day_start_ms(chrono::Utc::now());
        let (own, used) = self.store.daily_tokens(user_id, day_start).await?;
        let default = self.registry.limits().user_daily_tokens;
        Ok(crate::model::QuotaInfo {
            used_today: used.max(0),
            daily_limit: own
                .map(|l| l.max(0))
                .or(default.map(|d| d.min(i64::MAX as u64) as i64)),
        })
    }

    /// Refuses a new run, before anything is stored or the model is called, once the account
    /// used its tokens for the UTC day.
    /// Says whether a limit applies.
    async fn check_quota(&self, user_id: Uuid) -> Result<bool, AppError> {
        let quota = self.quota(user_id).await?;
        match quota.daily_limit {
            Some(limit) if quota.used_today >= limit => Err(quota_spent(limit)),
            limit => Ok(limit.is_some()),
        }
    }

    /// Admits the run against the daily limit by reserving what it may spend (checked when
    /// its turn comes, so turns waiting in one chat see the usage of those before them). A
    /// burst of requests thus spends at most the limit and one run's worth: each admitted
    /// run holds its estimate until it ends and its real usage is recorded.
    async fn reserve_quota(&self, user_id: Uuid, limited: bool) -> Result<QuotaHold, AppError> {
        // Recall mode (no model) spends no tokens.
        if !limited || self.llm.is_none() {
            return Ok(QuotaHold(None));
        }
        let limits = self.registry.limits();
        let now = chrono::Utc::now();
        let now_ms = now.timestamp_millis();
        let day_start = day_start_ms(now);
        // A run may send the whole trimmed history (about 4 characters a token) and write its
        // longest reply; one that calls tools may spend more, within its one run's worth.
        let estimate = (self.context_chars / 4) as i64 + i64::from(limits.max_reply_tokens);
        // Only a dead process leaves a reservation behind; it counts until the longest run
        // it could have been would have ended.
        let expires = now_ms + (limits.run_timeout_secs as i64 + 60) * 1000;
        let default = limits
            .user_daily_tokens
            .map(|d| d.min(i64::MAX as u64) as i64);
        let id = Uuid::new_v4();
        match self
            .store
            .reserve_tokens(user_id, id, estimate, default, day_start, now_ms, expires)
            .await?
        {
            Reservation::Unlimited => Ok(QuotaHold(None)),
            Reservation::Held => Ok(QuotaHold(Some((id, self.store.clone())))),
            Reservation::Refused { limit } => Err(quota_spent(limit)),
        }
    }

    /// Starts a turn. Checks come first and write nothing: a foreign or unknown chat is 404,
    /// bad content 422. Then the turn waits behind the chat's running turn (429 when too
    /// many wait, or when the user or server runs too many); only then is anything stored,
    /// so the chat reads question, answer, question, answer however many arrive at once.
    pub async fn start_turn(&self, request: TurnRequest) -> Result<Turn, AppError> {
        let TurnRequest {
            user,
            chat_id,
            input,
            agent,
            options,
        } = request;
        match &input {
            TurnInput::Message(content) | TurnInput::Edit { content, .. } => {
                validate_message(content)?;
            }
            TurnInput::History(history) => {
                if !history.iter().any(|(role, ..)| *role == Role::User) {
                    return Err(AppError::validation(
                        "messages",
                        "There must be a user message with content to answer.",
                    ));
                }
                // Checked before the chat exists, so a refused history leaves nothing behind.
                for (role, content, _) in history {
                    if *role == Role::User {
                        validate_message(content)?;
                    }
                }
            }
            TurnInput::ToolResults(results) => {
                if results.is_empty() || chat_id.is_none() {
                    return Err(AppError::validation(
                        "messages",
                        "Tool results continue a chat whose answer called your tools.",
                    ));
                }
            }
            TurnInput::Retry => {}
        }
        let (chat_id, existing, agent_id) = match chat_id {
            Some(id) => {
                let chat = self.chats.get_chat(user.id, id).await?;
                let agent_id = chat.agent.clone();
                (id, Some(chat), agent_id)
            }
            None => {
                let agent_id = self.chats.check_agent(agent.as_deref())?;
                (Uuid::new_v4(), None, agent_id)
            }
        };
        let agent_tools = self
            .catalog()
            .get(&agent_id)
            .map(|a| a.tools.clone())
            .unwrap_or_default();
        options.check_against(&agent_tools)?;
        // Edit and Retry are checked before waiting too (and again once the turn is theirs).
        if existing.is_some() {
            match &input {
                TurnInput::Edit { message_id, .. } => {
                    self.chats
                        .check_latest_user_message(&user, chat_id, Some(*message_id))
                        .await?;
                }
                TurnInput::Retry => {
                    self.chats
                        .check_latest_user_message(&user, chat_id, None)
                        .await?;
                }
                TurnInput::ToolResults(results) => {
                    self.check_tool_results(&user, chat_id, results).await?;
                }
                _ => {}
            }
        }
        let limited = self.check_quota(user.id).await?;
        let slot = self.registry.begin(user.id, chat_id).await?;
        let hold = match self.reserve_quota(user.id, limited).await {
            Ok(hold) => hold,
            Err(e) => {
                slot.end(crate::model::RunEvent::Failed {
                    error: e.to_string(),
                    message: None,
                });
                return Err(e);
            }
        };
        // From here on the turn completes even if its caller goes away (a client that closes
        // the connection drops this future): storing and starting run on their own task.
        let runner = self.clone();
        let new_chat = existing.is_none();
        tokio::spawn(async move {
            runner
                .store_and_run(user, chat_id, new_chat, input, agent, options, slot, hold)
                .await
        })
        .await
        .map_err(|e| {
            tracing::error!("a turn's task failed: {e}");
            AppError::Internal
        })?
    }

    /// Tool results must answer calls of the chat's latest run that have none yet.
    async fn check_tool_results(
        &self,
        user: &User,
        chat_id: Uuid,
        results: &[(String, String)],
    ) -> Result<(), AppError> {
        let pending = self.chats.pending_tool_calls(user, chat_id).await?;
        for (id, _) in results {
            if !pending.iter().any(|c| c.id == *id) {
                return Err(AppError::validation(
                    "messages",
                    format!(
                        "The tool result for `{id}` answers no open tool call of this chat \
                         (its latest answer did not make that call, or it was answered already)."
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Stores what the turn brings (the chat too, when new) and starts its run.
    #[allow(clippy::too_many_arguments)]
    async fn store_and_run(
        &self,
        user: User,
        chat_id: Uuid,
        new_chat: bool,
        input: TurnInput,
        agent: Option<String>,
        options: RunOptions,
        slot: super::runs::RunSlot,
        hold: QuotaHold,
    ) -> Result<Turn, AppError> {
        let (chat, message) = match self
            .store_turn(&user, chat_id, new_chat, input, agent)
            .await
        {
            Ok(stored) => stored,
            Err(e) => {
                // Whoever follows the chat sees why this turn did not run.
                slot.end(crate::model::RunEvent::Failed {
                    error: e.to_string(),
                    message: None,
                });
                return Err(e);
            }
        };
        let run = slot.run().clone();
        self.spawn(
            RunPlan {
                user,
                chat: chat.clone(),
                question: message.clone(),
                options,
            },
            slot,
            hold,
        );
        Ok(Turn { run, chat, message })
    }

    async fn store_turn(
        &self,
        user: &User,
        chat_id: Uuid,
        new_chat: bool,
        input: TurnInput,
        agent: Option<String>,
    ) -> Result<(Chat, Message), AppError> {
        if new_chat {
            self.chats
                .start_chat_with_id(user, chat_id, None, agent.as_deref())
                .await?;
        }
        let (chat, message) = match input {
            TurnInput::Message(content) => {
                self.chats
                    .append_message(user, chat_id, Role::User, &content, None)
                    .await?
            }
            TurnInput::History(history) => {
                let rows: Vec<(Role, &str, Option<&str>)> = history
                    .iter()
                    .map(|(role, content, data)| (*role, content.as_str(), data.as_deref()))
                    .collect();
                let (chat, stored) = self.chats.append_messages(user, chat_id, &rows).await?;
                let question = stored
                    .into_iter()
                    .rev()
                    .find(|m| m.role == Role::User)
                    .expect("checked above: the history has a user message");
                (chat, question)
            }
            TurnInput::Edit {
                message_id,
                content,
            } => {
                self.chats
                    .take_back_last_message(user, chat_id, message_id)
                    .await?;
                self.chats
                    .append_message(user, chat_id, Role::User, &content, None)
                    .await?
            }
            TurnInput::ToolResults(results) => {
                // Checked again now that the turn is ours: another may have answered them.
                self.check_tool_results(user, chat_id, &results).await?;
                let data: Vec<String> = results
                    .iter()
                    .map(|(id, _)| {
                        serde_json::to_string(&ReplyData {
                            tool_call_id: Some(id.clone()),
                            ..ReplyData::default()
                        })
                        .expect("reply data serialises")
                    })
                    .collect();
                let rows: Vec<(Role, &str, Option<&str>)> = results
                    .iter()
                    .zip(&data)
                    .map(|((_, content), data)| (Role::Tool, content.as_str(), Some(data.as_str())))
                    .collect();
                let (chat, _) = self.chats.append_messages(user, chat_id, &rows).await?;
                let question = self
                    .chats
                    .check_latest_user_message(user, chat_id, None)
                    .await?;
                (chat, question)
            }
            TurnInput::Retry => {
                let question = self.chats.reopen_last_turn(user, chat_id).await?;
                let chat = self.chats.get_chat(user.id, chat_id).await?;
                (chat, question)
            }
        };
        Ok((chat, message))
    }
}
