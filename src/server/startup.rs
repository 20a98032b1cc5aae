//! The app builder: wires config, storage, services and routes, binds any address (port 0 in
//! tests) and reports the real one.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::serve::ListenerExt;
use axum::{middleware, Router};
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tokio::net::TcpListener;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

use super::admin::AdminService;
use super::agent::{AgentCatalog, AgentRunner, LlmClient, RunRegistry};
use super::auth::{AuthService, PasswordHasherPool};
use super::chats::ChatService;
use super::config::Config;
use super::http;
use super::imports::running::RunningImports;
use super::memory::{ChatDocuments, ChatMemory, UserMemory};
use super::search::ChatSearch;
use super::state::{AppState, Services};
use super::store::serving_lock::{self, ServingLock};
use super::store::Store;
use super::usage::UsageService;
use crate::app::{shell, App};

/// Largest request body accepted anywhere (413 beyond).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Store(#[from] super::store::StoreError),
    #[error("MARUNTIME_MEMORY_DIR {path}: {source}")]
    MemoryDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot listen: {0}")]
    Bind(std::io::Error),
    #[error("password hasher: {0}")]
    Hasher(#[from] super::auth::HashError),
    #[error("MARUNTIME_AGENTS_FILE {path}: {problem}")]
    Agents { path: String, problem: String },
    #[error("{0}")]
    Site(String),
    #[error("{0}")]
    Serving(String),
}

/// A built, bound, not yet serving application.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    /// SQLite's one serving process (none on PostgreSQL), held until serving ends.
    serving: Option<ServingLock>,
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        // After connecting, which makes the SQLite file's folder.
        let store = Store::connect(&config.database_url).await?;
        let serving = serving_lock::claim(&config.database_url).map_err(StartupError::Serving)?;
        tokio::fs::create_dir_all(&config.memory_dir)
            .await
            .map_err(|source| StartupError::MemoryDir {
                path: config.memory_dir.display().to_string(),
                source,
            })?;
        let user_memory = UserMemory::new(&config.memory_dir);
        // One instance: its chat locks order every document write, account deletion included.
        let chat_memory = ChatMemory::new(&config.memory_dir);
        let hasher = PasswordHasherPool::new(config.hash_concurrency, config.hash_queue).await?;
        let auth = AuthService::new(
            store.clone(),
            user_memory.clone(),
            chat_memory.clone(),
            hasher,
            config.login_limit,
            config.register_limit,
            config.registration,
        )
        .await?;
        let catalog = load_agents(&config)?;
        let documents = chat_documents(chat_memory, &store, &catalog);
        let chats = ChatService::new(store.clone(), catalog.ids(), documents);
        let search = ChatSearch::new(store.clone());
        let agents = AgentRunner::new(
            chats.clone(),
            search.clone(),
            user_memory.clone(),
            LlmClient::from_config(&config.llm, &config.runs),
            catalog,
            config.context_chars,
            RunRegistry::new(config.runs.clone()).shared_through(&store),
            store.clone(),
        );
        let listener = TcpListener::bind(config.site_addr)
            .await
            .map_err(StartupError::Bind)?;
        let mut leptos_options = super::site::options().map_err(StartupError::Site)?;
        leptos_options.site_addr = listener.local_addr().map_err(StartupError::Bind)?;
        let usage = UsageService::new(store.clone());
        let imports_at_once = config.imports_at_once;
        let admin = AdminService::new(store.clone(), auth.accounts.clone());
        let page_bundles = http::PageBundles::load(&leptos_options)
            .map_err(|e| StartupError::Site(format!("reading the list of page bundles: {e}")))?;
        let state = AppState::new(Services {
            config: Arc::new(config),
            store,
            auth,
            admin,
            chats,
            search,
            agents,
            user_memory,
            usage,
            leptos_options,
            page_bundles,
            imports: RunningImports::new(imports_at_once),
        });
        let statics = http::StaticFiles::load(&state.leptos_options)
            .map_err(|e| StartupError::Site(format!("reading the web UI's files: {e}")))?;
        let router = router(state.clone(), statics);
        Ok(Application {
            listener,
            router,
            state,
            serving,
        })
    }

    /// The address actually bound (the real port when the config asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.state.leptos_options.site_addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests and closes the pool.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let jobs = super::jobs::spawn(self.state.store.clone(), self.state.auth.clone());
        // Runs go on in the background after their requests. When the signal comes they get
        // the grace to finish, then are stopped (storing what arrived), which also ends the
        // streams following them, so the graceful shutdown below cannot wait for ever.
        // Imports get the same grace, then are stopped (marked failed: what they imported
        // stays), so their requests end and the shutdown never waits past the grace for them.
        let (registry, grace) = (
            self.state.agents.registry().clone(),
            self.state.config.drain_secs,
        );
        let imports = self.state.imports.clone();
        let (drained_tx, drained) = tokio::sync::oneshot::channel();
        let shutdown = async move {
            shutdown.await;
            tokio::spawn(async move {
                let _ = drained_tx.send(registry.drain(grace).await);
            });
            tokio::spawn(async move {
                let deadline = tokio::time::Instant::now() + grace;
                while imports.count() > 0 && tokio::time::Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                let stopped = imports.stop_all();
                if stopped > 0 {
                    tracing::warn!(
                        "{stopped} imports were stopped at shutdown; what they imported is kept"
                    );
                }
            });
        };
        // No Nagle delay: an answer whose body follows its headers in a second write (files,
        // streams) would otherwise wait for the client's delayed ACK, about 40 ms each.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!("TCP_NODELAY: {e}");
            }
        });
        let served = axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        jobs.abort();
        // Without a signal (the server failed) there is no drain to wait for.
        if let Ok(stopped) = drained.await {
            if stopped > 0 {
                tracing::warn!("{stopped} runs were stopped at shutdown; their replies are stored");
            }
        }
        self.state.store.close().await;
        drop(self.serving);
        served
    }
}

/// The chat documents under the memory directory, signed with the catalog's agent names.
pub fn chat_documents(memory: ChatMemory, store: &Store, catalog: &AgentCatalog) -> ChatDocuments {
    let names: Vec<(String, String)> = catalog
        .all()
        .iter()
        .map(|a| (a.id.clone(), a.name.clone()))
        .collect();
    ChatDocuments::new(store.clone(), memory, &names)
}

/// The built-in agents, plus those of `MARUNTIME_AGENTS_FILE` when set.
pub fn load_agents(config: &Config) -> Result<AgentCatalog, StartupError> {
    let Some(path) = &config.agents_file else {
        return Ok(AgentCatalog::built_in());
    };
    let bad = |problem: String| StartupError::Agents {
        path: path.display().to_string(),
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    AgentCatalog::with_file(&text).map_err(bad)
}

/// The app's routes, listed once per process.
///
/// Listing them renders the app with resource loading suppressed by a flag that is global to
/// the process (leptos_server 0.8, leptos#4773): a resource of another app in this process that
/// first polls meanwhile never resolves, and its page never finishes. One process serving pages
/// while a second app builder lists routes is how the tests run (one app per test), and a page
/// hung there for a minute. Listed once, before any app of the process serves, nothing overlaps.
static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));

fn router(state: AppState, statics: http::StaticFiles) -> Router {
    let options = state.leptos_options.clone();
    let routes = ROUTES.clone();
    // Paths that are neither a route nor a file get the app's not-found page.
    let not_found = leptos_axum::file_and_error_handler::<AppState, _>(shell);
    let not_found = axum::handler::Handler::with_state(not_found, state.clone());

    let https = state.config.cookie_secure;
    // The pages (and the server functions leptos_axum registers beside them): each page is
    // rendered within the deadline (src/server/http/page_deadline.rs).
    let pages = Router::new()
        .leptos_routes_with_context(&state, routes, || (), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .route_layer(middleware::from_fn_with_state(
            state.config.page_deadline,
            http::page_deadline,
        ));
    let app = Router::new().merge(http::routes()).merge(pages);
    let app =
        http::with_static_files(app, &options, not_found)
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .layer(middleware::from_fn_with_state(
                state.clone(),
                http::resolve_user,
            ))
            .layer(middleware::from_fn(http::reject_cross_site))
            // Streams (agent runs as text/plain lines, SSE) must reach the client chunk by chunk;
            // a compressor would hold them back.
            .layer(CompressionLayer::new().compress_when(
                DefaultPredicate::new().and(NotForContentType::const_new("text/plain")),
            ))
            .layer(TraceLayer::new_for_http())
            .with_state(state);
    // A release build's static files are answered before everything above.
    let app = if statics.is_empty() {
        app
    } else {
        app.layer(middleware::from_fn_with_state(
            statics,
            http::serve_from_memory,
        ))
    };
    http::with_security_headers(app, https)
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
