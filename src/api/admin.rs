//! The `/admin` page's server functions, over the same `AdminService` the `/admin/*` JSON
//! routes use. Only admins get an answer: any other account gets 404, nobody gets 401.

use leptos::prelude::*;
use leptos::server_fn::codec::PostUrl;

use crate::api::codec::JsonText;
use crate::error::AppError;
use crate::model::{AdminUser, InviteInfo, NewInvite, UsageDay};

#[cfg(feature = "ssr")]
use crate::server::context::{app_state, request_origin, require_admin, respond};
#[cfg(feature = "ssr")]
use crate::server::ids::parse_path_id;

/// How many accounts one page of the table shows.
pub const ACCOUNTS_PAGE: i64 = 50;

/// A page of the accounts table and the offset of the next one (`None` on the last page).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccountsPage {
    pub data: Vec<AdminUser>,
    pub next_offset: Option<i64>,
    /// Tokens per UTC day for accounts without their own limit; `None`: unlimited.
    pub default_daily_limit: Option<u64>,
}

/// Accounts whose login or display name contains `q`, oldest first, from `offset`.
#[server(input = PostUrl, output = JsonText)]
pub async fn list_accounts(q: String, offset: i64) -> Result<AccountsPage, AppError> {
    respond(
        async {
            require_admin()?;
            let state = app_state()?;
            let (data, next_offset) = state.admin.users(&q, ACCOUNTS_PAGE, offset).await?;
            Ok(AccountsPage {
                data,
                next_offset,
                default_daily_limit: state.config.runs.user_daily_tokens,
            })
        }
        .await,
    )
}

/// Disables (ending its sessions and keys at once) or enables an account.
#[server(input = PostUrl, output = JsonText)]
pub async fn set_account_disabled(id: String, disabled: bool) -> Result<AdminUser, AppError> {
    change(id, move || {
        Ok(crate::server::admin::UserChange {
            disabled: Some(disabled),
            ..Default::default()
        })
    })
    .await
}

/// Makes an account `admin` or `user`.
#[server(input = PostUrl, output = JsonText)]
pub async fn set_account_role(id: String, role: String) -> Result<AdminUser, AppError> {
    change(id, move || {
        let role = crate::model::AccountRole::parse(&role)
            .ok_or_else(|| AppError::validation("role", "role is \"admin\" or \"user\"."))?;
        Ok(crate::server::admin::UserChange {
            role: Some(role),
            ..Default::default()
        })
    })
    .await
}

/// Sets an account's own tokens per UTC day; an empty `limit` returns it to the instance's
/// default.
#[server(input = PostUrl, output = JsonText)]
pub async fn set_account_limit(id: String, limit: String) -> Result<AdminUser, AppError> {
    change(id, move || {
        let limit = match limit.trim() {
            "" => None,
            text => Some(text.parse::<i64>().map_err(|_| {
                AppError::validation(
                    "daily_token_limit",
                    "A daily limit is a whole number of tokens, or empty for the default.",
                )
            })?),
        };
        Ok(crate::server::admin::UserChange {
            daily_token_limit: Some(limit),
            ..Default::default()
        })
    })
    .await
}

/// Checks the caller first, so nobody but an admin learns anything from the input's checks.
#[cfg(feature = "ssr")]
async fn change(
    id: String,
    read: impl FnOnce() -> Result<crate::server::admin::UserChange, AppError>,
) -> Result<AdminUser, AppError> {
    respond(
        async {
            require_admin()?;
            let id = parse_path_id(&id, "account")?;
            app_state()?.admin.change_user(id, read()?).await
        }
        .await,
    )
}

/// Deletes an account with everything it owns, as deleting one's own account does.
#[server(input = PostUrl, output = JsonText)]
pub async fn remove_account(id: String) -> Result<(), AppError> {
    respond(
        async {
            require_admin()?;
            let id = parse_path_id(&id, "account")?;
            app_state()?.admin.delete_user(id).await
        }
        .await,
    )
}

/// A single-use invite link, valid `expires_in_hours` (default a week).
#[server(input = PostUrl, output = JsonText)]
pub async fn create_invite(expires_in_hours: Option<u32>) -> Result<NewInvite, AppError> {
    respond(
        async {
            let admin = require_admin()?;
            let state = app_state()?;
            let origin = request_origin(state.config.cookie_secure);
            state
                .admin
                .create_invite(&admin, expires_in_hours, &origin)
                .await
        }
        .await,
    )
}

#[server(input = PostUrl, output = JsonText)]
pub async fn list_invites() -> Result<Vec<InviteInfo>, AppError> {
    respond(
        async {
            require_admin()?;
            app_state()?.admin.invites().await
        }
        .await,
    )
}

/// Withdraws an invite that was not used yet.
#[server(input = PostUrl, output = JsonText)]
pub async fn withdraw_invite(id: String) -> Result<(), AppError> {
    respond(
        async {
            require_admin()?;
            let id = parse_path_id(&id, "invite")?;
            app_state()?.admin.delete_invite(id).await
        }
        .await,
    )
}

/// The whole instance's tokens per UTC day over the last 30 days, newest first.
#[server(input = PostUrl, output = JsonText)]
pub async fn instance_usage() -> Result<Vec<UsageDay>, AppError> {
    respond(
        async {
            require_admin()?;
            app_state()?.usage.daily(None, Some(30)).await
        }
        .await,
    )
}
