//! A chat's agent run as the page sees it: the reply streaming in, its steps, Stop and Retry.

use futures::StreamExt;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::api::agent::{run_agent, stop_agent};
use crate::model::{AgentStep, Message, RunEvent};

/// The reply being streamed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Streaming {
    pub text: String,
    pub steps: Vec<AgentStep>,
}

#[derive(Clone, Copy)]
pub struct AgentRun {
    chat_id: Uuid,
    pub streaming: RwSignal<Option<Streaming>>,
    pub running: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
    messages: RwSignal<Vec<Message>>,
}

impl AgentRun {
    pub fn new(chat_id: Uuid, messages: RwSignal<Vec<Message>>) -> Self {
        AgentRun {
            chat_id,
            streaming: RwSignal::new(None),
            running: RwSignal::new(false),
            error: RwSignal::new(None),
            messages,
        }
    }

    /// Asks the agent to answer the chat's latest message; the reply streams into the page.
    pub fn start(self) {
        if self.running.get_untracked() {
            return;
        }
        self.running.set(true);
        self.error.set(None);
        self.streaming.set(Some(Streaming::default()));
        // The page may move on while the reply streams (the server keeps it either way), so
        // everything below uses `try_` access: a closed chat view simply stops updating.
        spawn_local(async move {
            match run_agent(self.chat_id.to_string()).await {
                Err(e) => {
                    self.error.try_set(Some(e.to_string()));
                }
                Ok(stream) => {
                    let mut stream = stream.into_inner();
                    let mut buffer = String::new();
                    while let Some(chunk) = stream.next().await {
                        match chunk {
                            Ok(text) => {
                                buffer.push_str(&text);
                                while let Some(end) = buffer.find('\n') {
                                    let line: String = buffer.drain(..=end).collect();
                                    if let Ok(event) = serde_json::from_str::<RunEvent>(&line) {
                                        if !self.apply(event) {
                                            return;
                                        }
                                    }
                                }
                            }
                            Err(e) => {
                                self.error.try_set(Some(e.to_string()));
                                break;
                            }
                        }
                    }
                }
            }
            // A stream that ended without a verdict (connection lost) is an error too.
            let unfinished = self.streaming.try_get_untracked().flatten().is_some();
            if unfinished && self.error.try_get_untracked().flatten().is_none() {
                self.error
                    .try_set(Some("The connection to the agent was lost.".into()));
            }
            self.streaming.try_set(None);
            self.running.try_set(false);
        });
    }

    /// Applies one event; false once the view is gone.
    fn apply(self, event: RunEvent) -> bool {
        match event {
            RunEvent::Step { step } => self
                .streaming
                .try_update(|s| s.get_or_insert_with(Streaming::default).steps.push(step))
                .is_some(),
            RunEvent::Delta { text } => self
                .streaming
                .try_update(|s| {
                    s.get_or_insert_with(Streaming::default)
                        .text
                        .push_str(&text)
                })
                .is_some(),
            RunEvent::Finished { message } => {
                self.streaming.try_set(None);
                self.messages
                    .try_update(|list| {
                        if !list.iter().any(|m| m.id == message.id) {
                            list.push(message);
                        }
                    })
                    .is_some()
            }
            RunEvent::Failed { error } => {
                self.streaming.try_set(None);
                // `try_set` hands the value back when the signal is gone.
                self.error.try_set(Some(error)).is_none()
            }
        }
    }

    /// Stops the run; the server keeps what was streamed, marked as stopped.
    pub fn stop(self) {
        let chat_id = self.chat_id;
        spawn_local(async move {
            let _ = stop_agent(chat_id.to_string()).await;
        });
    }
}
