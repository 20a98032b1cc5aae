//! The agent for the web UI: a run streams its events as JSON lines; it can be stopped.

use leptos::prelude::*;
use leptos::server_fn::codec::{StreamingText, TextStream};

use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::server::context::{app_state, require_user, respond};
#[cfg(feature = "ssr")]
use crate::server::http::parse_path_id;

/// Answers the chat's latest user message. Each line of the stream is one
/// [`crate::model::RunEvent`] as JSON.
#[server(output = StreamingText)]
pub async fn run_agent(chat_id: String) -> Result<TextStream<AppError>, AppError> {
    respond(
        async {
            use futures::StreamExt;
            let who = require_user()?;
            let id = parse_path_id(&chat_id, "chat")?;
            let events = app_state()?.agents.start(who.user, id).await?;
            let lines = futures::stream::unfold(events, |mut events| async move {
                let event = events.recv().await?;
                let line = serde_json::to_string(&event).expect("events serialize") + "\n";
                Some((line, events))
            });
            // Fused: the response body may be polled again after its end.
            Ok(TextStream::new(lines.fuse().map(Ok)))
        }
        .await,
    )
}

/// Stops the run in this chat; what was streamed so far is kept, marked as stopped.
#[server]
pub async fn stop_agent(chat_id: String) -> Result<bool, AppError> {
    respond(
        async {
            let who = require_user()?;
            let id = parse_path_id(&chat_id, "chat")?;
            Ok(app_state()?.agents.stop(who.user.id, id))
        }
        .await,
    )
}
