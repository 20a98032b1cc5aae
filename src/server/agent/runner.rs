//! The agent runner: one loop for the web UI and the OpenAI gateway. It answers a chat's
//! latest user message, streams events, and stores the reply itself, so a client that goes
//! away loses nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{mpsc, watch};
use uuid::Uuid;

use super::agents::{Agent, AgentCatalog};
use super::llm::{Chunk, LlmClient, WireMessage};
use super::recall;
use super::tools::{self, ToolEnv};
use crate::error::AppError;
use crate::model::{AgentStep, Chat, Message, ReplyData, Role, RunEvent, User};
use crate::server::chats::{ChatService, MessageQuery};
use crate::server::memory::UserMemory;
use crate::server::search::ChatSearch;
use crate::validation::DEFAULT_AGENT;

/// Stored messages fed to the model at most (before the character budget trims them).
const HISTORY_LIMIT: i64 = 200;

#[derive(Clone)]
pub struct AgentRunner {
    chats: ChatService,
    search: ChatSearch,
    user_memory: UserMemory,
    llm: Option<LlmClient>,
    catalog: Arc<AgentCatalog>,
    context_chars: usize,
    runs: Arc<Mutex<HashMap<Uuid, RunningRun>>>,
}

/// A run in progress, by chat: its owner and its stop switch.
type RunningRun = (Uuid, watch::Sender<bool>);

/// What a run produced, as far as it got.
struct Progress {
    text: String,
    steps: Vec<AgentStep>,
    stopped: bool,
}

impl AgentRunner {
    pub fn new(
        chats: ChatService,
        search: ChatSearch,
        user_memory: UserMemory,
        llm: Option<LlmClient>,
        catalog: AgentCatalog,
        context_chars: usize,
    ) -> Self {
        AgentRunner {
            chats,
            search,
            user_memory,
            llm,
            catalog: Arc::new(catalog),
            context_chars,
            runs: Arc::default(),
        }
    }

    pub fn catalog(&self) -> &AgentCatalog {
        &self.catalog
    }

    /// Starts answering the latest user message of the user's chat (404 when not theirs).
    pub async fn start(
        &self,
        user: User,
        chat_id: Uuid,
    ) -> Result<mpsc::Receiver<RunEvent>, AppError> {
        let chat = self.chats.get_chat(user.id, chat_id).await?;
        let (tx, rx) = mpsc::channel(256);
        let (stop_tx, stop_rx) = watch::channel(false);
        self.runs
            .lock()
            .expect("runs lock")
            .insert(chat_id, (user.id, stop_tx));
        let runner = self.clone();
        tokio::spawn(async move {
            runner.run(user, chat, tx, stop_rx).await;
            runner.runs.lock().expect("runs lock").remove(&chat_id);
        });
        Ok(rx)
    }

    /// Stops the run in the user's chat; false when there is none.
    pub fn stop(&self, user_id: Uuid, chat_id: Uuid) -> bool {
        let runs = self.runs.lock().expect("runs lock");
        match runs.get(&chat_id) {
            Some((owner, stop)) if *owner == user_id => stop.send(true).is_ok(),
            _ => false,
        }
    }

    async fn run(
        &self,
        user: User,
        chat: Chat,
        tx: mpsc::Sender<RunEvent>,
        stop: watch::Receiver<bool>,
    ) {
        let agent = self
            .catalog
            .get(&chat.agent)
            .unwrap_or(&self.catalog.all()[0])
            .clone();
        let query = MessageQuery {
            latest: true,
            limit: Some(HISTORY_LIMIT),
            ..MessageQuery::default()
        };
        let history = match self.chats.list_messages(user.id, chat.id, &query).await {
            Ok(page) => page.data,
            Err(e) => {
                let _ = tx
                    .send(RunEvent::Failed {
                        error: e.to_string(),
                    })
                    .await;
                return;
            }
        };
        let answering = history.iter().rev().find(|m| m.role == Role::User);
        let env = ToolEnv {
            search: &self.search,
            user_memory: &self.user_memory,
            user: &user,
            chat_id: chat.id,
            answering: answering.map(|m| m.id),
        };
        let mut progress = Progress {
            text: String::new(),
            steps: Vec::new(),
            stopped: false,
        };
        let outcome = match (&self.llm, answering) {
            (_, None) => Err("There is no message to answer yet.".to_string()),
            (None, Some(question)) if agent.id == DEFAULT_AGENT => {
                let (answer, steps) = recall::answer(&env, &question.content).await;
                for step in steps {
                    emit(&tx, RunEvent::Step { step: step.clone() }).await;
                    progress.steps.push(step);
                }
                // Streamed in pieces like a model's answer, so both modes look the same.
                for piece in answer.split_inclusive(' ') {
                    if *stop.borrow() {
                        progress.stopped = true;
                        break;
                    }
                    progress.text.push_str(piece);
                    emit(
                        &tx,
                        RunEvent::Delta {
                            text: piece.to_string(),
                        },
                    )
                    .await;
                }
                Ok(())
            }
            (None, Some(_)) => Err(format!(
                "The agent {} needs a language model; set MARUNTIME_LLM_BASE_URL to connect one.",
                agent.name
            )),
            (Some(llm), Some(_)) => {
                self.model_loop(llm, &agent, &user, &history, &env, &tx, stop, &mut progress)
                    .await
            }
        };
        match outcome {
            Err(error) => {
                tracing::warn!(chat_id = %chat.id, "agent run failed: {error}");
                emit(&tx, RunEvent::Failed { error }).await;
            }
            Ok(()) => match self.store_reply(&user, &chat, progress).await {
                Ok(message) => emit(&tx, RunEvent::Finished { message }).await,
                Err(e) => {
                    emit(
                        &tx,
                        RunEvent::Failed {
                            error: e.to_string(),
                        },
                    )
                    .await
                }
            },
        }
    }

    async fn store_reply(
        &self,
        user: &User,
        chat: &Chat,
        progress: Progress,
    ) -> Result<Message, AppError> {
        let content = if !progress.text.trim().is_empty() {
            progress.text
        } else if progress.stopped {
            "_Stopped before any reply._".to_string()
        } else {
            "_The model sent an empty reply._".to_string()
        };
        let data = serde_json::to_string(&ReplyData {
            steps: progress.steps,
            stopped: progress.stopped,
        })
        .ok();
        let (_, message) = self
            .chats
            .append_message(user, chat.id, Role::Assistant, &content, data.as_deref())
            .await?;
        Ok(message)
    }

    #[allow(clippy::too_many_arguments)]
    async fn model_loop(
        &self,
        llm: &LlmClient,
        agent: &Agent,
        user: &User,
        history: &[Message],
        env: &ToolEnv<'_>,
        tx: &mpsc::Sender<RunEvent>,
        mut stop: watch::Receiver<bool>,
        progress: &mut Progress,
    ) -> Result<(), String> {
        let profile = self
            .user_memory
            .get_user_profile(user.id)
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        let system = format!(
            "{}\n\nThe user's display name is {}. Their profile (user.md):\n\n{}",
            agent.system_prompt, user.display_name, profile
        );
        let mut messages = vec![WireMessage::text("system", system)];
        messages.extend(trim_history(history, self.context_chars));
        let specs = tools::specs(&agent.tools);
        let mut stop_open = true;
        for step in 0..=agent.max_steps {
            // The last call is made without tools, so the model has to answer.
            let offer = if step < agent.max_steps {
                specs.as_slice()
            } else {
                &[]
            };
            let mut chunks = llm
                .stream(&messages, offer)
                .await
                .map_err(|e| e.to_string())?;
            let mut step_text = String::new();
            let mut calls = Vec::new();
            loop {
                tokio::select! {
                    changed = stop.changed(), if stop_open => {
                        stop_open = changed.is_ok();
                        if *stop.borrow() {
                            progress.text.push_str(&step_text);
                            progress.stopped = true;
                            return Ok(());
                        }
                    }
                    chunk = chunks.recv() => match chunk {
                        None => break,
                        Some(Err(e)) => return Err(e.to_string()),
                        Some(Ok(Chunk::Text(t))) => {
                            step_text.push_str(&t);
                            emit(tx, RunEvent::Delta { text: t }).await;
                        }
                        Some(Ok(Chunk::Done { tool_calls, .. })) => {
                            calls = tool_calls;
                            break;
                        }
                    }
                }
            }
            progress.text.push_str(&step_text);
            if calls.is_empty() || offer.is_empty() {
                return Ok(());
            }
            messages.push(WireMessage {
                role: "assistant",
                content: (!step_text.is_empty()).then_some(step_text),
                tool_calls: calls.iter().map(|c| c.to_wire()).collect(),
                tool_call_id: None,
            });
            for call in calls {
                let started = Instant::now();
                let outcome = if agent.tools.contains(&call.name) {
                    tools::run(&call.name, &call.arguments, env).await
                } else {
                    Err(format!(
                        "the tool {} is not available to this agent",
                        call.name
                    ))
                };
                let (for_model, summary, ok) = match outcome {
                    Ok(o) => (o.for_model, o.summary, true),
                    Err(e) => (
                        format!("error: {e}"),
                        format!("{} failed: {e}", call.name),
                        false,
                    ),
                };
                let step = AgentStep {
                    tool: call.name.clone(),
                    arguments: call.arguments.clone(),
                    summary,
                    ok,
                    duration_ms: started.elapsed().as_millis() as u64,
                };
                emit(tx, RunEvent::Step { step: step.clone() }).await;
                progress.steps.push(step);
                messages.push(WireMessage {
                    role: "tool",
                    content: Some(for_model),
                    tool_calls: Vec::new(),
                    tool_call_id: Some(call.id),
                });
            }
        }
        Ok(())
    }
}

/// Sends an event; a listener that went away does not stop the run.
async fn emit(tx: &mpsc::Sender<RunEvent>, event: RunEvent) {
    let _ = tx.send(event).await;
}

/// The chat's user and assistant messages, newest kept first within `budget` characters
/// (the latest message always), in chronological order.
fn trim_history(history: &[Message], budget: usize) -> Vec<WireMessage> {
    let mut kept = Vec::new();
    let mut used = 0;
    for m in history.iter().rev() {
        let role = match m.role {
            Role::User => "user",
            Role::Assistant => "assistant",
            _ => continue,
        };
        let len = m.content.chars().count();
        if !kept.is_empty() && used + len > budget {
            break;
        }
        used += len;
        kept.push(WireMessage::text(role, m.content.clone()));
    }
    kept.reverse();
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(role: Role, content: &str) -> Message {
        Message {
            id: Uuid::new_v4(),
            role,
            content: content.into(),
            created_at: chrono::Utc::now(),
            data: None,
            cursor: "0".into(),
        }
    }

    #[test]
    fn history_is_trimmed_from_the_oldest() {
        let history = vec![
            msg(Role::User, "aaaaaaaaaa"),
            msg(Role::Assistant, "bbbbbbbbbb"),
            msg(Role::Tool, "ignored"),
            msg(Role::User, "cccccccccc"),
        ];
        let kept = trim_history(&history, 20);
        let texts: Vec<_> = kept.iter().map(|m| m.content.clone().unwrap()).collect();
        assert_eq!(texts, ["bbbbbbbbbb", "cccccccccc"]);
        // The latest message stays even when it alone is over budget.
        assert_eq!(trim_history(&history, 3).len(), 1);
    }
}
