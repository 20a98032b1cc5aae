//! The tool loop against a model: stream a reply, run the agent's own tools it calls, feed
//! their results back, until the model answers, a bound ends the run, or the model calls the
//! gateway client's tools.

use std::time::Instant;

use tokio::sync::watch;

use super::super::agents::Agent;
use super::super::history::wire_history;
use super::super::llm::{Chunk, LlmClient, ToolCall, WireMessage};
use super::super::options::RunOptions;
use super::super::runs::Run;
use super::super::tools::{self, ToolEnv};
use super::progress::Progress;
use super::{AgentRunner, Outcome};
use crate::model::{AgentStep, Message, RunEvent, User};

/// What ends a run early: Stop, the run's deadline, the reply's length.
pub(super) struct Bounds {
    pub(super) stop: watch::Receiver<bool>,
    pub(super) deadline: tokio::time::Instant,
    pub(super) max_chars: usize,
}

/// The tool loop against a model.
pub(super) struct ModelCall<'a> {
    pub(super) llm: &'a LlmClient,
    pub(super) agent: &'a Agent,
    pub(super) env: &'a ToolEnv<'a>,
    pub(super) run: &'a Run,
    pub(super) bounds: &'a mut Bounds,
    pub(super) options: &'a RunOptions,
}

impl ModelCall<'_> {
    pub(super) async fn run(
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
pub(super) async fn wait_for_stop(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|on| *on).await.is_err() {
        std::future::pending::<()>().await;
    }
}
