//! The shared state every handler, page and server function reaches through context.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use super::admin::AdminService;
use super::agent::AgentRunner;
use super::auth::AuthService;
use super::chats::ChatService;
use super::config::Config;
use super::memory::UserMemory;
use super::search::ChatSearch;
use super::store::Store;
use super::usage::UsageService;

/// Cloned for every middleware, extractor and server function of every request, so a clone
/// is one reference count, however many services the state holds.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> Self {
        AppState(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// Everything a request may use.
pub struct Services {
    pub config: Arc<Config>,
    pub store: Store,
    pub auth: AuthService,
    pub admin: AdminService,
    pub chats: ChatService,
    pub search: ChatSearch,
    pub agents: AgentRunner,
    pub user_memory: UserMemory,
    pub usage: UsageService,
    pub leptos_options: LeptosOptions,
    /// The browser bundle of each part of the site, when the release build made them.
    pub page_bundles: super::http::PageBundles,
    /// The imports this process runs (a server-wide limit, stopped at shutdown).
    pub imports: super::imports::running::RunningImports,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
