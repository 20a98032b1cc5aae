//! The `AuthContext`: the current user and logging out, provided at the root. Logging in,
//! registering and saving the profile belong to their own pages (each part of the site has its
//! own browser bundle, which then carries only the actions it uses).
//!
//! The user is a plain signal, not a resource: reading one resource in many `<Suspense>`
//! boundaries can stall leptos 0.8's streaming SSR (leptos-rs/leptos#4578, #4851).

use leptos::prelude::*;

use crate::api::auth::Logout;
use crate::error::AppError;
use crate::model::User;

#[derive(Clone, Copy)]
pub struct AuthContext {
    pub logout: ServerAction<Logout>,
    /// `None` when logged out.
    pub user: RwSignal<Option<User>>,
}

impl AuthContext {
    /// The current user, tracked.
    pub fn current_user(&self) -> Option<User> {
        self.user.get()
    }
}

/// Provides the [`AuthContext`] to `children`.
///
/// The user is known synchronously on the server (the session middleware resolved it) and
/// travels to the browser inside the page, so there is nothing to wait for: no flash of the
/// logged-out header, and protected pages redirect before sending anything.
#[component]
pub fn AuthProvider(children: Children) -> impl IntoView {
    let user = leptos::server::SharedValue::new(user_of_this_request).into_inner();
    provide_auth_context(user);
    children()
}

fn user_of_this_request() -> Option<User> {
    #[cfg(feature = "ssr")]
    return crate::server::context::current_user().map(|a| a.user);
    #[cfg(not(feature = "ssr"))]
    None
}

fn provide_auth_context(user: Option<User>) {
    let user = RwSignal::new(user);
    // Logging out from anywhere (header, user menu) starts over on the login page.
    let logout = ServerAction::<Logout>::new();
    navigate_on_success(logout.value(), || "/login".to_string());
    provide_context(AuthContext { logout, user });
}

pub fn use_auth() -> AuthContext {
    expect_context::<AuthContext>()
}

/// Loads `path` as a new page. Used after login, registration and logout, so every part of the
/// page (and every cached resource) starts again from the new login state.
pub fn navigate_fully(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// Runs [`navigate_fully`] to `target()` once `value` holds a success.
pub fn navigate_on_success<T, S>(value: S, target: impl Fn() -> String + Send + Sync + 'static)
where
    T: Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if matches!(value.get(), Some(Ok(_))) {
            navigate_fully(&target());
        }
    });
}
