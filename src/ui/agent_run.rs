//! A chat's agent run as the page sees it: the reply streaming in, its steps, Stop and Retry.
//! The page follows the server's run, so a reload or a second tab shows the same run from
//! its start and can stop it; it never starts a second run for one message.

use futures::StreamExt;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::api::agent::{edit_message, follow_run, retry_reply, stop_agent, PageEvent};
use crate::error::AppError;
use crate::i18n::*;
use crate::model::{AgentStep, Message, Role};
use crate::ui::text::error_text_in;

/// The reply being streamed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Streaming {
    /// The reply so far, as the server rendered it: HTML, one top-level block each.
    pub blocks: Vec<String>,
    pub steps: Vec<AgentStep>,
    /// The tool being used right now, if any.
    pub tool: Option<String>,
}

/// What a screen reader is told about a run: once when it starts and once, whole, when it
/// ends; never the reply letter by letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Announcement {
    Answering,
    Answered(String),
    Stopped(String),
}

#[derive(Clone, Copy)]
pub struct AgentRun {
    pub announce: RwSignal<Option<Announcement>>,
    chat_id: Uuid,
    pub streaming: RwSignal<Option<Streaming>>,
    pub running: RwSignal<bool>,
    /// A Retry, Regenerate or Edit is on its way to the server (it may wait for the chat's
    /// turn): nothing else may start meanwhile.
    starting: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
    messages: RwSignal<Vec<Message>>,
    /// The page's language, for the messages the run shows itself.
    i18n: leptos_i18n::I18nContext<Locale>,
}

impl AgentRun {
    /// Shows `error` in the page's language (the chat view may have closed meanwhile).
    fn fail(self, error: &AppError) {
        self.error
            .try_set(Some(error_text_in(error, self.i18n.get_locale_untracked())));
    }

    /// Called in a component: it takes the page's i18n context from there.
    pub fn new(chat_id: Uuid, messages: RwSignal<Vec<Message>>) -> Self {
        AgentRun {
            announce: RwSignal::new(None),
            chat_id,
            streaming: RwSignal::new(None),
            running: RwSignal::new(false),
            starting: RwSignal::new(false),
            error: RwSignal::new(None),
            messages,
            i18n: use_i18n(),
        }
    }

    /// Whether a run is shown or about to start (reactive).
    pub fn busy(self) -> bool {
        self.running.get() || self.starting.get()
    }

    /// Shows the run `run_id` of this chat from its start, then live, until it ends.
    pub fn follow(self, run_id: Uuid) {
        if self.running.get_untracked() {
            return;
        }
        self.running.set(true);
        self.error.set(None);
        self.streaming.set(Some(Streaming::default()));
        self.announce.set(Some(Announcement::Answering));
        let i18n = self.i18n;
        let lost = tu_string!(i18n, chat.connection_lost);
        // The page may move on while the reply streams (the server keeps it either way), so
        // everything below uses `try_` access: a closed chat view simply stops updating.
        spawn_local(async move {
            let mut ended = false;
            match follow_run(self.chat_id.to_string(), Some(run_id.to_string())).await {
                Err(e) => {
                    self.fail(&e);
                }
                Ok(stream) => {
                    let mut stream = stream.into_inner();
                    let mut buffer = String::new();
                    'read: while let Some(chunk) = stream.next().await {
                        match chunk {
                            Ok(text) => {
                                buffer.push_str(&text);
                                while let Some(end) = buffer.find('\n') {
                                    let line: String = buffer.drain(..=end).collect();
                                    if let Ok(event) = serde_json::from_str::<PageEvent>(&line) {
                                        ended |= event.is_final();
                                        if !self.apply(event) {
                                            return;
                                        }
                                    }
                                }
                            }
                            Err(e) => {
                                self.fail(&e);
                                break 'read;
                            }
                        }
                    }
                }
            }
            // A stream that ended without a verdict (connection lost, or the run ended long
            // ago) is told as such; the stored messages are the truth after a reload.
            if !ended && self.error.try_get_untracked().flatten().is_none() {
                self.error.try_set(Some(lost.to_string()));
            }
            self.streaming.try_set(None);
            self.running.try_set(false);
        });
    }

    /// Applies one event; false once the view is gone.
    fn apply(self, event: PageEvent) -> bool {
        match event {
            PageEvent::Started { question } => self.add_message(question),
            PageEvent::ToolCall { tool } => self
                .streaming
                .try_update(|s| s.get_or_insert_with(Streaming::default).tool = Some(tool))
                .is_some(),
            PageEvent::Step { step } => self
                .streaming
                .try_update(|s| {
                    let s = s.get_or_insert_with(Streaming::default);
                    s.tool = None;
                    s.steps.push(step);
                })
                .is_some(),
            PageEvent::Blocks { from, html } => self
                .streaming
                .try_update(|s| {
                    let blocks = &mut s.get_or_insert_with(Streaming::default).blocks;
                    blocks.truncate(from);
                    blocks.extend(html);
                })
                .is_some(),
            PageEvent::Finished { message } => {
                self.streaming.try_set(None);
                self.announce
                    .try_set(Some(Announcement::Answered(message.content.clone())));
                self.add_message(message)
            }
            PageEvent::Stopped { message } => {
                self.streaming.try_set(None);
                self.announce
                    .try_set(Some(Announcement::Stopped(message.content.clone())));
                self.add_message(message)
            }
            PageEvent::Failed { error, message } => {
                self.streaming.try_set(None);
                if let Some(message) = message {
                    // The partial reply shows its error and Retry itself.
                    return self.add_message(message);
                }
                // `try_set` hands the value back when the signal is gone.
                self.error.try_set(Some(error)).is_none()
            }
        }
    }

    fn add_message(self, message: Message) -> bool {
        self.messages
            .try_update(|list| {
                if !list.iter().any(|m| m.id == message.id) {
                    list.push(message);
                }
            })
            .is_some()
    }

    /// Stops the run; the server keeps what was streamed, marked as stopped.
    pub fn stop(self) {
        let chat_id = self.chat_id;
        spawn_local(async move {
            let _ = stop_agent(chat_id.to_string()).await;
        });
    }

    /// Answers the latest user message again; the replies after it (a failed one, say) are
    /// replaced, here and on the server.
    pub fn retry(self) {
        if self.running.get_untracked() || self.starting.get_untracked() {
            return;
        }
        self.error.set(None);
        self.starting.set(true);
        spawn_local(async move {
            let started = retry_reply(self.chat_id.to_string()).await;
            self.starting.try_set(false);
            match started {
                Ok(run_id) => {
                    self.messages.try_update(|list| {
                        if let Some(last_user) = list.iter().rposition(|m| m.role == Role::User) {
                            list.truncate(last_user + 1);
                        }
                    });
                    self.follow(run_id);
                }
                Err(e) => {
                    self.fail(&e);
                }
            }
        });
    }

    /// Sends an edited version of the latest user message; it and the replies after it are
    /// replaced, here and on the server.
    pub fn edit(self, message_id: Uuid, content: String) {
        if self.running.get_untracked() || self.starting.get_untracked() {
            return;
        }
        self.error.set(None);
        self.starting.set(true);
        spawn_local(async move {
            let started =
                edit_message(self.chat_id.to_string(), message_id.to_string(), content).await;
            self.starting.try_set(false);
            match started {
                Ok(run_id) => {
                    self.messages.try_update(|list| {
                        if let Some(at) = list.iter().position(|m| m.id == message_id) {
                            list.truncate(at);
                        }
                    });
                    self.follow(run_id);
                }
                Err(e) => {
                    self.fail(&e);
                }
            }
        });
    }
}
