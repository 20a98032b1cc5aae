//! The HTTP edge: JSON routes for scripts and OpenAI clients, and the middleware every request
//! passes (origin check, user resolution).

mod admin_routes;
mod auth_routes;
mod chat_routes;
mod client;
mod error_response;
mod gateway;
mod health;
mod import_routes;
mod json;
mod origin_check;
mod page_bundles;
mod page_deadline;
mod page_guard;
mod run_routes;
mod security_headers;
mod session_layer;
mod static_files;
mod static_memory;

pub use admin_routes::origin;
pub use client::client_info;
pub use origin_check::reject_cross_site;
pub use page_bundles::{hydration_scripts, PageBundles};
pub use page_deadline::{page_deadline, waiting_for};
pub use run_routes::run_sse;
pub use security_headers::{set_page_policy, with_security_headers};
pub use session_layer::{resolve_user, CurrentUser, RequireUser};
pub use static_files::with_static_files;
pub use static_memory::{serve_from_memory, StaticFiles};

use axum::routing::{any, get};
use axum::Router;

use super::state::AppState;
use crate::error::AppError;

/// Every JSON route; pages and server functions are added by the app builder.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .nest("/auth", auth_routes::routes())
        .nest("/admin", admin_routes::routes())
        .route("/v1/me", get(auth_routes::me))
        .nest("/v1/chats", chat_routes::routes())
        .merge(run_routes::routes())
        .merge(gateway::routes())
        .merge(import_routes::routes())
        .route("/auth/{*rest}", any(unknown_route))
        .route("/v1/{*rest}", any(unknown_route))
        .route("/admin/{*rest}", any(unknown_route))
}

/// Unknown JSON paths answer in JSON, not with the HTML not-found page.
async fn unknown_route() -> AppError {
    AppError::NotFound("No such API route.".into())
}
