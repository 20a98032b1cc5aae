//! The agent runner: one loop for the web UI and the OpenAI gateway. A run answers a chat's
//! latest user message, publishes its events to the run registry (anyone allowed follows
//! them), and stores the reply itself, so a client that goes away loses nothing.
//!
//! Every run is bounded: the reply's length (sent as `max_tokens` and counted as it arrives),
//! the run's time, and through the model client the size of one event and of an error body.
//!
//! This file is a run's life (start, how it ended, what is stored and sent at its end); the
//! rooms beside it do one job each: `answer` (the turn's history and agent, recall mode),
//! `model_loop` (the streaming tool loop against a model), `progress` (what a run produced and
//! its token count), `replies` (storing the reply).

mod answer;
mod model_loop;
mod progress;
mod replies;

use std::sync::Arc;

use super::agents::AgentCatalog;
use super::llm::{LlmClient, ToolCall};
use super::options::RunOptions;
use super::runs::{Run, RunRegistry, RunSlot};
use crate::error::AppError;
use crate::model::{Chat, Message, RunEvent, User};
use crate::server::chats::ChatService;
use crate::server::memory::UserMemory;
use crate::server::search::ChatSearch;
use crate::server::store::{RunUsage, Store};
use progress::Progress;
use replies::Reply;

#[derive(Clone)]
pub struct AgentRunner {
    pub(super) chats: ChatService,
    search: ChatSearch,
    user_memory: UserMemory,
    pub(super) llm: Option<LlmClient>,
    catalog: Arc<AgentCatalog>,
    pub(super) context_chars: usize,
    pub(super) registry: RunRegistry,
    pub(super) store: Store,
}

/// How a run ended.
enum Outcome {
    /// The model finished its answer.
    Done,
    /// A limit cut the reply (its length or the run's time).
    Cut,
    Stopped,
    Failed(String),
    /// The model called the gateway client's own tools: the client runs them.
    ClientTools(Vec<ToolCall>),
}

/// What a run needs besides its slot: who, where, and the limits.
pub struct RunPlan {
    pub user: User,
    pub chat: Chat,
    /// The user message answered.
    pub question: Message,
    /// The gateway request's own tools and parameters (none from the web UI).
    pub options: RunOptions,
}

impl AgentRunner {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        chats: ChatService,
        search: ChatSearch,
        user_memory: UserMemory,
        llm: Option<LlmClient>,
        catalog: AgentCatalog,
        context_chars: usize,
        registry: RunRegistry,
        store: Store,
    ) -> Self {
        AgentRunner {
            chats,
            search,
            user_memory,
            llm,
            catalog: Arc::new(catalog),
            context_chars,
            registry,
            store,
        }
    }

    pub fn catalog(&self) -> &AgentCatalog {
        &self.catalog
    }

    pub fn registry(&self) -> &RunRegistry {
        &self.registry
    }

    /// Deletes a chat and stops its run, on whichever process runs it: a run stops spending
    /// on a chat that is gone. Both adapters delete chats through this.
    pub async fn delete_chat(
        &self,
        user_id: uuid::Uuid,
        chat_id: uuid::Uuid,
    ) -> Result<(), AppError> {
        self.chats.delete_chat(user_id, chat_id).await?;
        self.registry.stop_anywhere(user_id, chat_id).await?;
        Ok(())
    }

    /// Runs the turn in the background; the slot (the chat's turn) is held until the reply
    /// is stored, then the next waiting turn goes.
    /// The quota hold goes once the run's usage is stored.
    pub(super) fn spawn(&self, plan: RunPlan, slot: RunSlot, hold: super::turn::QuotaHold) {
        let runner = self.clone();
        tokio::spawn(async move {
            let final_event = runner.execute(plan, slot.run()).await;
            hold.release().await;
            slot.end(final_event);
        });
    }

    /// Runs the turn; returns its final event (sent when the slot is released).
    async fn execute(&self, plan: RunPlan, run: &Arc<Run>) -> RunEvent {
        let RunPlan {
            user,
            chat,
            question,
            options,
        } = plan;
        run.emit(RunEvent::Started {
            run_id: run.id,
            chat_id: chat.id,
            question,
        });
        let mut progress = Progress::default();
        let outcome = self
            .answer(&user, &chat, run, &options, &mut progress)
            .await;
        // Recall mode spends no tokens; a model run records what it spent, with its reply.
        let usage = self.llm.is_some().then_some(RunUsage {
            run_id: run.id,
            usage: progress.usage,
        });
        if let Some(usage) = &usage {
            run.emit(RunEvent::Usage { usage: usage.usage });
        }
        let final_event = match outcome {
            Outcome::Failed(error) => {
                tracing::warn!(chat_id = %chat.id, "agent run failed: {error}");
                // What arrived before the failure is kept, marked as failed.
                let message = if progress.text.trim().is_empty() && progress.steps.is_empty() {
                    self.record_usage(&user, &chat, usage.as_ref()).await;
                    None
                } else {
                    let reply = Reply {
                        failed: Some(error.clone()),
                        ..Reply::default()
                    };
                    match self
                        .store_reply(&user, &chat, progress, reply, usage.as_ref())
                        .await
                    {
                        Ok(message) => Some(message),
                        Err(_) => {
                            self.record_usage(&user, &chat, usage.as_ref()).await;
                            None
                        }
                    }
                };
                RunEvent::Failed { error, message }
            }
            Outcome::ClientTools(calls) => {
                match self
                    .store_client_calls(&user, &chat, progress, calls, usage.as_ref())
                    .await
                {
                    Ok(message) => RunEvent::Finished {
                        message,
                        finish_reason: "tool_calls".into(),
                    },
                    Err(e) => {
                        self.record_usage(&user, &chat, usage.as_ref()).await;
                        RunEvent::Failed {
                            error: e.to_string(),
                            message: None,
                        }
                    }
                }
            }
            outcome => {
                let reply = Reply {
                    stopped: matches!(outcome, Outcome::Stopped),
                    cut: matches!(outcome, Outcome::Cut),
                    failed: None,
                };
                let (stopped, cut) = (reply.stopped, reply.cut);
                match self
                    .store_reply(&user, &chat, progress, reply, usage.as_ref())
                    .await
                {
                    Ok(message) if stopped => RunEvent::Stopped { message },
                    Ok(message) => RunEvent::Finished {
                        message,
                        finish_reason: if cut { "length" } else { "stop" }.into(),
                    },
                    Err(e) => {
                        // The chat went meanwhile (deleted), say: what was spent stays spent.
                        self.record_usage(&user, &chat, usage.as_ref()).await;
                        RunEvent::Failed {
                            error: e.to_string(),
                            message: None,
                        }
                    }
                }
            }
        };
        final_event
    }

    /// Usage of a run whose reply was not stored (it failed before any text, or its chat
    /// is gone).
    async fn record_usage(&self, user: &User, chat: &Chat, usage: Option<&RunUsage>) {
        let Some(usage) = usage.filter(|u| u.usage.total_tokens > 0) else {
            return;
        };
        if let Err(e) = self
            .store
            .record_usage(user.id, chat.id, crate::server::store::now(), usage)
            .await
        {
            tracing::error!(run_id = %usage.run_id, "recording usage: {e}");
        }
    }
}
