//! The agent runner: one loop for the web UI and the OpenAI gateway. A run answers a chat's
//! latest user message, publishes its events to the run registry (anyone allowed follows
//! them), and stores the reply itself, so a client that goes away loses nothing.
//!
//! Every run is bounded: the reply's length (sent as `max_tokens` and counted as it arrives),
//! the run's time, and through the model client the size of one event and of an error body.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::agents::{Agent, AgentCatalog};
use super::history::wire_history;
use super::llm::{Chunk, LlmClient, ToolCall, WireMessage};
use super::options::RunOptions;
use super::recall;
use super::runs::{Run, RunRegistry, RunSlot};
use super::tools::{self, ToolEnv};
use crate::error::AppError;
use crate::model::{
    AgentStep, Chat, Message, ReplyData, Role, RunEvent, ToolCallData, Usage, User,
};
use crate::server::chats::{ChatService, MessageQuery};
use crate::server::memory::UserMemory;
use crate::server::search::ChatSearch;
use crate::server::store::{RunUsage, Store};
use crate::validation::DEFAULT_AGENT;

/// Stored messages fed to the model at most (before the character budget trims them).
const HISTORY_LIMIT: i64 = 200;
/// Characters counted as one token when the model reports no usage (a common estimate).
const CHARS_PER_TOKEN: usize = 4;
/// Characters that may arrive per token of `max_tokens` before the reply is cut: generous,
/// so a model that honours `max_tokens` is never cut by our count, only one that ignores it.
const CUT_CHARS_PER_TOKEN: usize = 6;

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

/// How a stored reply ended, besides its text.
#[derive(Default)]
struct Reply {
    stopped: bool,
    cut: bool,
    failed: Option<String>,
}

/// What a run produced, as far as it got.
#[derive(Default)]
struct Progress {
    text: String,
    steps: Vec<AgentStep>,
    usage: Usage,
    /// The text is the recall agent's (quotes of search hits, not an answer of its own).
    recall: bool,
}

impl Progress {
    /// Adds one model call's tokens: its own figures, or estimates from the text.
    fn count(&mut self, reported: Option<(u64, u64)>, sent_chars: usize, got_chars: usize) {
        let (prompt, completion) = reported.unwrap_or_else(|| {
            self.usage.estimated = true;
            (estimate(sent_chars), estimate(got_chars))
        });
        self.usage.prompt_tokens += prompt;
        self.usage.completion_tokens += completion;
        self.usage.total_tokens = self.usage.prompt_tokens + self.usage.completion_tokens;
    }
}

fn estimate(chars: usize) -> u64 {
    chars.div_ceil(CHARS_PER_TOKEN) as u64
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

    /// Produces the answer into `progress`; says how it ended.
    async fn answer(
        &self,
        user: &User,
        chat: &Chat,
        run: &Run,
        options: &RunOptions,
        progress: &mut Progress,
    ) -> Outcome {
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
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        let Some(question) = history.iter().rev().find(|m| m.role == Role::User) else {
            return Outcome::Failed("There is no message to answer yet.".into());
        };
        let env = ToolEnv {
            search: &self.search,
            user_memory: &self.user_memory,
            user,
            chat_id: chat.id,
            answering: Some(question.id),
        };
        let limits = self.registry.limits();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(limits.run_timeout_secs);
        let max_tokens = options
            .max_tokens
            .map_or(limits.max_reply_tokens, |m| m.min(limits.max_reply_tokens));
        let max_chars = max_tokens as usize * CUT_CHARS_PER_TOKEN;
        let mut bounds = Bounds {
            stop: run.stop_signal(),
            deadline,
            max_chars,
        };
        match &self.llm {
            None if agent.id == DEFAULT_AGENT => {
                let (answer, steps) = tokio::select! {
                    answered = recall::answer(&env, &question.content) => answered,
                    _ = tokio::time::sleep_until(bounds.deadline) => return Outcome::Cut,
                    _ = wait_for_stop(&mut bounds.stop) => return Outcome::Stopped,
                };
                for step in steps {
                    run.emit(RunEvent::Step { step: step.clone() });
                    progress.steps.push(step);
                }
                progress.recall = true;
                // Streamed in pieces like a model's answer, so both modes look the same.
                for piece in answer.split_inclusive(' ') {
                    if *bounds.stop.borrow() {
                        return Outcome::Stopped;
                    }
                    progress.text.push_str(piece);
                    run.emit(RunEvent::Delta {
                        text: piece.to_string(),
                    });
                }
                Outcome::Done
            }
            None => Outcome::Failed(format!(
                "The agent {} needs a language model; set MARUNTIME_LLM_BASE_URL to connect one.",
                agent.name
            )),
            Some(llm) => {
                let mut call = ModelCall {
                    llm,
                    agent: &agent,
                    env: &env,
                    run,
                    bounds: &mut bounds,
                    options,
                };
                call.run(self, user, &history, progress).await
            }
        }
    }

    async fn store_reply(
        &self,
        user: &User,
        chat: &Chat,
        progress: Progress,
        reply: Reply,
        usage: Option<&RunUsage>,
    ) -> Result<Message, AppError> {
        let content = if !progress.text.trim().is_empty() {
            progress.text
        } else if reply.stopped {
            "_Stopped before any reply._".to_string()
        } else if reply.failed.is_some() {
            "_The reply failed before any text arrived._".to_string()
        } else {
            "_The model sent an empty reply._".to_string()
        };
        let data = serde_json::to_string(&ReplyData {
            steps: progress.steps,
            stopped: reply.stopped,
            failed: reply.failed,
            cut: reply.cut,
            recall: progress.recall,
            ..ReplyData::default()
        })
        .ok();
        self.chats
            .append_reply(
                user,
                chat.id,
                Role::Assistant,
                &content,
                data.as_deref(),
                usage,
            )
            .await
    }

    /// Stores the model's calls to the client's tools as a `tool` message (with the text
    /// and server steps before them, and the run's usage); no document entry.
    async fn store_client_calls(
        &self,
        user: &User,
        chat: &Chat,
        progress: Progress,
        calls: Vec<ToolCall>,
        usage: Option<&RunUsage>,
    ) -> Result<Message, AppError> {
        let data = serde_json::to_string(&ReplyData {
            steps: progress.steps,
            tool_calls: calls
                .into_iter()
                .map(|c| ToolCallData {
                    id: c.id,
                    name: c.name,
                    arguments: c.arguments,
                })
                .collect(),
            ..ReplyData::default()
        })
        .ok();
        self.chats
            .append_reply(
                user,
                chat.id,
                Role::Tool,
                &progress.text,
                data.as_deref(),
                usage,
            )
            .await
    }

    async fn system_prompt(&self, agent: &Agent, user: &User) -> String {
        let profile = self
            .user_memory
            .get_user_profile(user.id)
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        format!(
            "{}\n\nThe user's display name is {}. Their profile (user.md):\n\n{}",
            agent.system_prompt, user.display_name, profile
        )
    }
}

/// What ends a run early: Stop, the run's deadline, the reply's length.
struct Bounds {
    stop: watch::Receiver<bool>,
    deadline: tokio::time::Instant,
    max_chars: usize,
}

/// The tool loop against a model.
struct ModelCall<'a> {
    llm: &'a LlmClient,
    agent: &'a Agent,
    env: &'a ToolEnv<'a>,
    run: &'a Run,
    bounds: &'a mut Bounds,
    options: &'a RunOptions,
}

impl ModelCall<'_> {
    async fn run(
        &mut self,
        runner: &AgentRunner,
        user: &User,
        history: &[Message],
        progress: &mut Progress,
    ) -> Outcome {
        let system = runner.system_prompt(self.agent, user).await;
        let mut messages = vec![WireMessage::text("system", system)];
        messages.extend(
            self.options
                .instructions
                .iter()
                .map(|text| WireMessage::text("system", text.clone())),
        );
        messages.extend(wire_history(history, runner.context_chars));
        let mut specs = tools::specs(&self.agent.tools);
        specs.extend(self.options.client_tools.iter().map(|t| t.spec.clone()));
        let mut stop_open = true;
        for step in 0..=self.agent.max_steps {
            // The last call is made without tools, so the model has to answer.
            let offer = if step < self.agent.max_steps {
                specs.as_slice()
            } else {
                &[]
            };
            let sent_chars: usize = messages
                .iter()
                .map(|m| m.content.as_ref().map_or(0, |c| c.chars().count()))
                .sum();
            let started = tokio::select! {
                started = self.llm.stream(&messages, offer, self.options, step == 0) => started,
                _ = tokio::time::sleep_until(self.bounds.deadline) => return Outcome::Cut,
                _ = wait_for_stop(&mut self.bounds.stop) => return Outcome::Stopped,
            };
            let mut chunks = match started {
                Ok(chunks) => chunks,
                Err(e) => return Outcome::Failed(e.to_string()),
            };
            let mut step_text = String::new();
            let mut calls = Vec::new();
            let mut reported = None;
            let mut model_cut = false;
            let mut reply_chars = progress.text.chars().count();
            let ended: Option<Outcome> = loop {
                tokio::select! {
                    changed = self.bounds.stop.changed(), if stop_open => {
                        stop_open = changed.is_ok();
                        if *self.bounds.stop.borrow() {
                            break Some(Outcome::Stopped);
                        }
                    }
                    _ = tokio::time::sleep_until(self.bounds.deadline) => break Some(Outcome::Cut),
                    chunk = chunks.recv() => match chunk {
                        None => break None,
                        Some(Err(e)) => break Some(Outcome::Failed(e.to_string())),
                        Some(Ok(Chunk::Text(t))) => {
                            let room = self.bounds.max_chars.saturating_sub(reply_chars);
                            // U+0000 cannot be stored (PostgreSQL): replaced, never lost.
                            let kept: String = t
                                .chars()
                                .take(room)
                                .map(|c| if c == '\0' { char::REPLACEMENT_CHARACTER } else { c })
                                .collect();
                            let kept_chars = kept.chars().count();
                            reply_chars += kept_chars;
                            if !kept.is_empty() {
                                step_text.push_str(&kept);
                                self.run.emit(RunEvent::Delta { text: kept });
                            }
                            if reply_chars >= self.bounds.max_chars {
                                break Some(Outcome::Cut);
                            }
                        }
                        Some(Ok(Chunk::Done { tool_calls, usage, finish_reason })) => {
                            calls = tool_calls;
                            reported = usage;
                            model_cut = finish_reason.as_deref() == Some("length");
                            break None;
                        }
                    }
                }
            };
            drop(chunks);
            let got_chars =
                step_text.chars().count() + calls.iter().map(|c| c.arguments.len()).sum::<usize>();
            progress.count(reported, sent_chars, got_chars);
            progress.text.push_str(&step_text);
            if let Some(outcome) = ended {
                return outcome;
            }
            if model_cut {
                return Outcome::Cut;
            }
            if calls.is_empty() || offer.is_empty() {
                return Outcome::Done;
            }
            // Calls to the client's tools end the run: the client runs them and comes back
            // with their results. Server tools of the same answer run first, shown as steps.
            let (client, calls): (Vec<_>, Vec<_>) = calls
                .into_iter()
                .partition(|c| self.options.is_client_tool(&c.name));
            if !client.is_empty() {
                for call in &calls {
                    if let Err(outcome) = self.server_tool(call, progress).await {
                        return outcome;
                    }
                }
                for call in &client {
                    self.run.emit(RunEvent::ToolCall {
                        tool: call.name.clone(),
                        arguments: call.arguments.clone(),
                    });
                }
                return Outcome::ClientTools(client);
            }
            messages.push(WireMessage {
                role: "assistant",
                content: (!step_text.is_empty()).then_some(step_text),
                tool_calls: calls.iter().map(|c| c.to_wire()).collect(),
                tool_call_id: None,
            });
            for call in calls {
                match self.server_tool(&call, progress).await {
                    Ok(for_model) => messages.push(WireMessage {
                        role: "tool",
                        content: Some(for_model),
                        tool_calls: Vec::new(),
                        tool_call_id: Some(call.id),
                    }),
                    Err(outcome) => return outcome,
                }
            }
        }
        Outcome::Done
    }

    /// Runs one of the agent's own tools (or refuses one it does not have), bounded like
    /// the model by Stop and the run's deadline; records the step and returns what the
    /// model is told, or how the run ended meanwhile.
    async fn server_tool(
        &mut self,
        call: &ToolCall,
        progress: &mut Progress,
    ) -> Result<String, Outcome> {
        self.run.emit(RunEvent::ToolCall {
            tool: call.name.clone(),
            arguments: call.arguments.clone(),
        });
        let started = Instant::now();
        let outcome = if self.agent.tools.contains(&call.name) {
            tokio::select! {
                outcome = tools::run(&call.name, &call.arguments, self.env) => outcome,
                _ = tokio::time::sleep_until(self.bounds.deadline) => return Err(Outcome::Cut),
                _ = wait_for_stop(&mut self.bounds.stop) => return Err(Outcome::Stopped),
            }
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
        self.run.emit(RunEvent::Step { step: step.clone() });
        progress.steps.push(step);
        Ok(for_model)
    }
}

/// Completes when the stop switch is on (never, if its sender is gone).
async fn wait_for_stop(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|on| *on).await.is_err() {
        std::future::pending::<()>().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_the_models_own_or_marked_estimated() {
        let mut p = Progress::default();
        p.count(Some((10, 5)), 1000, 1000);
        assert_eq!((p.usage.total_tokens, p.usage.estimated), (15, false));
        p.count(None, 40, 8);
        assert_eq!(p.usage.prompt_tokens, 20);
        assert_eq!(p.usage.completion_tokens, 7);
        assert!(p.usage.estimated);
    }
}
