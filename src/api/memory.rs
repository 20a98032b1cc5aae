//! The profile memory the agent reads (`user.md`): the Preferences it has learned, which the
//! user can see, edit and clear.

use leptos::prelude::*;
use leptos::server_fn::codec::PostUrl;

use crate::api::codec::JsonText;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::server::context::{app_state, require_user, respond};
#[cfg(feature = "ssr")]
use crate::server::memory::ProfileSection;

/// Longest Preferences text accepted, in characters.
pub const PREFERENCES_MAX: usize = 4_000;

/// The Preferences section of the user's `user.md` (empty when the agent has learned none).
#[server(input = PostUrl, output = JsonText)]
pub async fn get_preferences() -> Result<String, AppError> {
    respond(
        async {
            let who = require_user()?;
            app_state()?
                .user_memory
                .preferences(who.user.id)
                .await
                .map_err(|e| crate::server::errors::internal("reading user.md", e))
        }
        .await,
    )
}

/// Replaces the Preferences section; empty text clears it. Returns what is now stored.
#[server(input = PostUrl, output = JsonText)]
pub async fn save_preferences(preferences: String) -> Result<String, AppError> {
    respond(
        async {
            let who = require_user()?;
            crate::validation::reject_nul("preferences", &preferences)?;
            if preferences.chars().count() > PREFERENCES_MAX {
                return Err(AppError::validation(
                    "preferences",
                    format!("Preferences can be at most {PREFERENCES_MAX} characters."),
                ));
            }
            let memory = app_state()?.user_memory.clone();
            memory
                .update_user_profile(who.user.id, ProfileSection::Preferences, &preferences)
                .await
                .and(memory.preferences(who.user.id).await)
                .map_err(|e| crate::server::errors::internal("writing user.md", e))
        }
        .await,
    )
}
