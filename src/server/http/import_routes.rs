//! `/v1/imports`: history from ChatGPT, Claude, Open WebUI and LibreChat exports (cookie or
//! API key). The upload streams to a temporary file under its own size limit, the import
//! runs on (a closed browser tab does not stop it), and its progress is readable by the
//! person from any process while it goes.

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::atomic::Ordering;
use tokio::io::AsyncWriteExt;

use super::session_layer::RequireUser;
use crate::error::AppError;
use crate::model::{ImportStatus, ImportSummary};
use crate::server::errors::internal;
use crate::server::imports::job::{import_file, Progress};
use crate::server::imports::slot::ImportSlot;
use crate::server::state::AppState;

/// What multipart framing may add to the file (boundaries, part headers, other fields).
const FRAMING_BYTES: u64 = 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        // The upload limit is the import's own (checked as the file arrives), not the 1 MiB
        // every other route keeps.
        .route(
            "/v1/imports",
            post(import).layer(DefaultBodyLimit::disable()),
        )
        .route("/v1/imports/latest", get(latest).delete(stop))
}

fn too_large(max: u64) -> AppError {
    AppError::PayloadTooLarge(format!(
        "The file is larger than this server takes for an import ({} MiB; \
         MARUNTIME_IMPORT_MAX_BYTES sets it).",
        max >> 20
    ))
}

async fn import(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<ImportSummary>), AppError> {
    let max = state.config.import_max_bytes;
    let mut multipart = multipart.map_err(|_| {
        AppError::UnsupportedMediaType(
            "Send the export as multipart/form-data, the file in the field `file`.".into(),
        )
    })?;
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if length.is_some_and(|n| n > max + FRAMING_BYTES) {
        return Err(too_large(max));
    }
    let slot = ImportSlot::take(&state.store, who.user.id, length).await?;
    let listed = state.imports.list(slot.id(), slot.progress().clone());
    let file = match receive(&mut multipart, max, slot.progress()).await {
        Ok(file) => file,
        Err(e) => {
            slot.finish(Some(&e)).await;
            return Err(e);
        }
    };
    // Its own task: once the file is here, the import finishes even if the client goes.
    let (chats, user, imports) = (state.chats.clone(), who.user, state.imports.clone());
    let max_message = state.config.import_max_message_bytes;
    let task = tokio::spawn(async move {
        let path = file.path().to_path_buf();
        let result = async {
            // Its turn among the server's imports, which it keeps while it reads.
            let _turn = imports.turn(listed, slot.progress()).await?;
            import_file(&chats, &user, path, max, max_message, slot.progress()).await
        }
        .await;
        slot.finish(result.as_ref().err()).await;
        drop(file);
        result
    });
    let summary = task.await.map_err(|e| internal("running an import", e))??;
    Ok((StatusCode::CREATED, Json(summary)))
}

/// Streams the `file` field to a temporary file, counting it against `max`.
async fn receive(
    multipart: &mut Multipart,
    max: u64,
    progress: &Progress,
) -> Result<tempfile::NamedTempFile, AppError> {
    let cut = |_| {
        AppError::BadRequest("The upload was cut short or is not valid multipart/form-data.".into())
    };
    let stored = |e| internal("storing an upload", e);
    while let Some(mut field) = multipart.next_field().await.map_err(cut)? {
        if field.name() != Some("file") {
            continue;
        }
        let temp = tokio::task::spawn_blocking(tempfile::NamedTempFile::new)
            .await
            .map_err(|e| internal("creating an upload file", e))?
            .map_err(stored)?;
        let mut out = tokio::fs::File::from_std(temp.reopen().map_err(stored)?);
        let mut size = 0u64;
        while let Some(chunk) = field.chunk().await.map_err(cut)? {
            if let Some(stopped) = progress.stopped_error() {
                return Err(stopped);
            }
            size += chunk.len() as u64;
            if size > max {
                return Err(too_large(max));
            }
            out.write_all(&chunk).await.map_err(stored)?;
            progress
                .bytes_done
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        }
        out.flush().await.map_err(stored)?;
        if size == 0 {
            return Err(AppError::validation("file", "The file is empty."));
        }
        return Ok(temp);
    }
    Err(AppError::validation(
        "file",
        "Attach the export in the form field `file`.",
    ))
}

/// How long `DELETE /v1/imports/latest` waits for the import to end (its process sees the
/// request at its next progress report, within half a second).
const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Stops the person's running import, on whichever process runs it: 200 with its status once
/// it ended (`failed`, with why), 202 with it still running if it did not end in time, 404
/// when none of theirs runs.
async fn stop(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
) -> Result<(StatusCode, Json<ImportStatus>), AppError> {
    if !state.store.request_import_stop(who.user.id).await? {
        return Err(AppError::NotFound("No import of yours is running.".into()));
    }
    let deadline = tokio::time::Instant::now() + STOP_WAIT;
    loop {
        let status = state
            .store
            .latest_import(who.user.id)
            .await?
            .ok_or_else(|| internal("stopping an import", "its row went away"))?;
        if status.state != "running" {
            return Ok((StatusCode::OK, Json(status)));
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok((StatusCode::ACCEPTED, Json(status)));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The person's running import, else their latest finished one.
async fn latest(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
) -> Result<Json<ImportStatus>, AppError> {
    state
        .store
        .latest_import(who.user.id)
        .await?
        .map(Json)
        .ok_or_else(|| AppError::NotFound("You have not imported anything yet.".into()))
}
