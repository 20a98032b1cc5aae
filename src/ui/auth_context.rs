//! The `AuthContext`: the current user plus the actions that change it, provided at the root.
//!
//! The user is a resource keyed on the versions of the login, register, logout and profile
//! actions, so every component reading it updates when any of them completes.

use leptos::prelude::*;

use crate::api::auth::{get_current_user, Login, Logout, Register, UpdateProfile};
use crate::error::AppError;
use crate::model::User;

#[derive(Clone, Copy)]
pub struct AuthContext {
    pub login: ServerAction<Login>,
    pub register: ServerAction<Register>,
    pub logout: ServerAction<Logout>,
    pub update_profile: ServerAction<UpdateProfile>,
    /// `Ok(None)` when logged out.
    pub user: Resource<Result<Option<User>, AppError>>,
}

impl AuthContext {
    /// The current user, tracked; `None` while loading or when logged out.
    pub fn current_user(&self) -> Option<User> {
        self.user.get().and_then(Result::ok).flatten()
    }
}

pub fn provide_auth_context() {
    let login = ServerAction::<Login>::new();
    let register = ServerAction::<Register>::new();
    let logout = ServerAction::<Logout>::new();
    let update_profile = ServerAction::<UpdateProfile>::new();
    // Blocking: the server renders the page knowing who is logged in, so there is no flash
    // of the logged-out header and protected pages can redirect before sending anything.
    let user = Resource::new_blocking(
        move || {
            (
                login.version().get(),
                register.version().get(),
                logout.version().get(),
                update_profile.version().get(),
            )
        },
        |_| get_current_user(),
    );
    provide_context(AuthContext {
        login,
        register,
        logout,
        update_profile,
        user,
    });
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
