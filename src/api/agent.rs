//! The agent for the web UI: follow a chat's run (every event from its start, as JSON
//! lines), stop it, answer the latest message again.

use leptos::prelude::*;
use leptos::server_fn::codec::{PostUrl, StreamingText, TextStream};

use crate::api::codec::JsonText;
use crate::error::AppError;

pub use crate::model::page_event::PageEvent;

#[cfg(feature = "ssr")]
use crate::server::context::{app_state, request_locale, require_user, respond};
#[cfg(feature = "ssr")]
use crate::server::ids::parse_path_id;

/// The run `run_id` of the chat (or the chat's current run): each line of the stream is one
/// [`PageEvent`] as JSON, from the run's start; the stream ends after the final event. An
/// empty stream when there is no such run (it ended a while ago).
#[server(output = StreamingText)]
pub async fn follow_run(
    chat_id: String,
    run_id: Option<String>,
) -> Result<TextStream<AppError>, AppError> {
    respond(
        async {
            use futures::StreamExt;
            let who = require_user()?;
            let id = parse_path_id(&chat_id, "chat")?;
            let registry = app_state()?.agents.registry().clone();
            let run = match run_id.as_deref().map(uuid::Uuid::parse_str) {
                Some(Ok(run_id)) => registry
                    .find(who.user.id, run_id)
                    .await?
                    .filter(|run| run.chat_id() == id),
                Some(Err(_)) => return Err(AppError::NotFound("No such run.".into())),
                None => registry.find_current(who.user.id, id).await?,
            };
            let events = futures::stream::iter(run).flat_map(|run| run.follow());
            let lines = crate::server::markdown::for_page(events, request_locale())
                .map(|event| Ok(serde_json::to_string(&event).expect("events serialize") + "\n"));
            // Fused: the response body may be polled again after its end.
            Ok(TextStream::new(lines.fuse()))
        }
        .await,
    )
}

/// Stops the run in this chat; what was streamed so far is kept, marked as stopped.
#[server(input = PostUrl, output = JsonText)]
pub async fn stop_agent(chat_id: String) -> Result<bool, AppError> {
    respond(
        async {
            let who = require_user()?;
            let id = parse_path_id(&chat_id, "chat")?;
            Ok(app_state()?
                .agents
                .registry()
                .stop_anywhere(who.user.id, id)
                .await?
                .is_some())
        }
        .await,
    )
}

/// Answers the chat's latest message again (Retry, Regenerate): replies after it are
/// replaced. Returns the run's id, to follow.
#[server(input = PostUrl, output = JsonText)]
pub async fn retry_reply(chat_id: String) -> Result<uuid::Uuid, AppError> {
    respond(
        async {
            use crate::server::agent::{TurnInput, TurnRequest};
            let who = require_user()?;
            let id = parse_path_id(&chat_id, "chat")?;
            let turn = app_state()?
                .agents
                .start_turn(TurnRequest {
                    user: who.user,
                    chat_id: Some(id),
                    input: TurnInput::Retry,
                    agent: None,
                    options: Default::default(),
                })
                .await?;
            Ok(turn.run.id)
        }
        .await,
    )
}

/// Edits the latest user message and answers it again (the old text and its replies are
/// replaced). Returns the run's id, to follow.
#[server(input = PostUrl, output = JsonText)]
pub async fn edit_message(
    chat_id: String,
    message_id: String,
    content: String,
) -> Result<uuid::Uuid, AppError> {
    respond(
        async {
            use crate::server::agent::{TurnInput, TurnRequest};
            let who = require_user()?;
            let id = parse_path_id(&chat_id, "chat")?;
            let message_id = parse_path_id(&message_id, "message")?;
            let turn = app_state()?
                .agents
                .start_turn(TurnRequest {
                    user: who.user,
                    chat_id: Some(id),
                    input: TurnInput::Edit {
                        message_id,
                        content,
                    },
                    agent: None,
                    options: Default::default(),
                })
                .await?;
            Ok(turn.run.id)
        }
        .await,
    )
}

/// The signed-in account's tokens today and its daily limit, for the profile page.
#[server(input = PostUrl, output = JsonText)]
pub async fn my_quota() -> Result<crate::model::QuotaInfo, AppError> {
    respond(
        async {
            let who = require_user()?;
            app_state()?.agents.quota(who.user.id).await
        }
        .await,
    )
}
