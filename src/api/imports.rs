//! Imports for the web UI: how the signed-in person's import is going. The upload itself
//! goes to `POST /v1/imports` (a file, streamed), which scripts use too.

use leptos::prelude::*;
use leptos::server_fn::codec::PostUrl;

use crate::api::codec::JsonText;
use crate::error::AppError;
use crate::model::ImportStatus;

#[cfg(feature = "ssr")]
use crate::server::context::{app_state, require_user, respond};

/// The running import, else the latest finished one; `None` before the first.
#[server(input = PostUrl, output = JsonText)]
pub async fn latest_import() -> Result<Option<ImportStatus>, AppError> {
    respond(
        async {
            let who = require_user()?;
            Ok(app_state()?.store.latest_import(who.user.id).await?)
        }
        .await,
    )
}
