//! The instance's administration: accounts (list, role, disable, limit, delete) and invites.
//! Only admins reach it (see `http::admin_routes`).

use chrono::{Duration, Utc};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{AccountRole, AdminUser, InviteInfo, NewInvite};
use crate::server::auth::{hash_token, Accounts, Authenticated};
use crate::server::store::{AdminChange, Store};

/// How far back `tokens_30d` counts.
const THIRTY_DAYS_MS: i64 = 30 * 24 * 3600 * 1000;
pub const INVITE_DEFAULT_HOURS: u32 = 7 * 24;
/// An invite lasts at most a year.
pub const INVITE_MAX_HOURS: u32 = 365 * 24;
pub const USERS_PAGE_MAX: i64 = 200;

/// The changes `PATCH /admin/users/{id}` may carry; absent fields stay as they are.
#[derive(Debug, Default)]
pub struct UserChange {
    pub disabled: Option<bool>,
    pub role: Option<AccountRole>,
    /// `Some(None)`: back to the instance's default.
    pub daily_token_limit: Option<Option<i64>>,
}

#[derive(Clone)]
pub struct AdminService {
    store: Store,
    accounts: Accounts,
}

impl AdminService {
    pub fn new(store: Store, accounts: Accounts) -> Self {
        AdminService { store, accounts }
    }

    fn since() -> i64 {
        Utc::now().timestamp_millis() - THIRTY_DAYS_MS
    }

    /// One page of accounts, oldest first (`limit` 1–200); `search` matches login or display
    /// name. With the offset of the next page, when there is one.
    pub async fn users(
        &self,
        search: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<AdminUser>, Option<i64>), AppError> {
        let limit = limit.clamp(1, USERS_PAGE_MAX);
        let offset = offset.max(0);
        // One more than the page: whether it exists says whether there is a next page.
        let mut users = self
            .store
            .admin_users(search.trim(), limit + 1, offset, Self::since())
            .await?;
        let more = users.len() as i64 > limit;
        users.truncate(limit as usize);
        Ok((users, more.then_some(offset + limit)))
    }

    /// Applies `change` and returns the account as it is now. Disabling ends the account's
    /// sessions and keys at once; the last enabled admin can be neither demoted nor disabled.
    pub async fn change_user(&self, id: Uuid, change: UserChange) -> Result<AdminUser, AppError> {
        if let Some(Some(limit)) = change.daily_token_limit {
            if limit < 0 {
                return Err(AppError::validation(
                    "daily_token_limit",
                    "A daily token limit is 0 or more tokens, or null for the instance's default.",
                ));
            }
        }
        if let Some(role) = change.role {
            outcome(self.store.set_role(id, role).await?, "role")?;
        }
        if let Some(disabled) = change.disabled {
            outcome(self.store.set_disabled(id, disabled).await?, "disabled")?;
            tracing::info!(user_id = %id, disabled, "account disabled state changed");
        }
        if let Some(limit) = change.daily_token_limit {
            if !self.store.set_daily_token_limit(id, limit).await? {
                return Err(no_such_account());
            }
        }
        self.store
            .admin_user(id, Self::since())
            .await?
            .ok_or_else(no_such_account)
    }

    /// Deletes an account as `DELETE /auth/me` does; never the last enabled admin.
    pub async fn delete_user(&self, id: Uuid) -> Result<(), AppError> {
        self.accounts.remove(id).await
    }

    /// A single-use invite, valid `expires_in_hours` (default a week). `origin` is
    /// `scheme://host` of this instance, for the link.
    pub async fn create_invite(
        &self,
        admin: &Authenticated,
        expires_in_hours: Option<u32>,
        origin: &str,
    ) -> Result<NewInvite, AppError> {
        let hours = expires_in_hours.unwrap_or(INVITE_DEFAULT_HOURS);
        if !(1..=INVITE_MAX_HOURS).contains(&hours) {
            return Err(AppError::validation(
                "expires_in_hours",
                format!("An invite lasts 1 to {INVITE_MAX_HOURS} hours."),
            ));
        }
        let token = crate::server::auth::new_invite_token();
        let id = Uuid::new_v4();
        let now = Utc::now();
        let expires_at = now + Duration::hours(hours.into());
        self.store
            .insert_invite(
                id,
                &hash_token(&token),
                admin.user.id,
                now.timestamp_millis(),
                expires_at.timestamp_millis(),
            )
            .await?;
        Ok(NewInvite {
            id,
            url: format!("{origin}/register?invite={token}"),
            token,
            expires_at,
        })
    }

    pub async fn invites(&self) -> Result<Vec<InviteInfo>, AppError> {
        Ok(self.store.list_invites().await?)
    }

    pub async fn delete_invite(&self, id: Uuid) -> Result<(), AppError> {
        if self.store.delete_invite(id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound("No such invite.".into()))
        }
    }
}

fn outcome(change: AdminChange, field: &str) -> Result<(), AppError> {
    match change {
        AdminChange::Done => Ok(()),
        AdminChange::NoSuchUser => Err(no_such_account()),
        AdminChange::LastAdmin => Err(last_admin(field)),
    }
}

fn no_such_account() -> AppError {
    AppError::NotFound("No such account.".into())
}

pub(crate) fn last_admin(field: &str) -> AppError {
    AppError::Conflict {
        field: field.into(),
        message: "This is the last enabled admin: make another account admin first.".into(),
    }
}
