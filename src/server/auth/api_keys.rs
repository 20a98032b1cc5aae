//! API keys: made only with the account's password, optionally expiring, looked up by hash.

use chrono::{Duration as Days, Utc};
use uuid::Uuid;

use super::credentials::Credentials;
use super::identity::{Authenticated, Credential};
use super::login_sessions::{ms, TOUCH_EVERY};
use super::tokens::{hash_token, new_api_key, API_KEY_VISIBLE};
use crate::error::AppError;
use crate::model::{ApiKeyInfo, NewApiKey};
use crate::server::store::{now, Store};
use crate::validation::validate_api_key_name;

/// The longest expiry a key may be given (ten years); no expiry at all is allowed too.
pub const API_KEY_MAX_DAYS: u32 = 3650;

#[derive(Clone)]
pub struct ApiKeys {
    store: Store,
    credentials: Credentials,
}

impl ApiKeys {
    pub fn new(store: Store, credentials: Credentials) -> Self {
        ApiKeys { store, credentials }
    }

    /// A new key for `who`, once `password` is proven: a stolen session alone cannot mint a
    /// lasting credential.
    pub async fn create(
        &self,
        who: &Authenticated,
        name: &str,
        password: Option<&str>,
        expires_in_days: Option<u32>,
    ) -> Result<NewApiKey, AppError> {
        let name = validate_api_key_name(name)?;
        let password = password.filter(|p| !p.is_empty()).ok_or_else(|| {
            AppError::validation("password", "Enter your password to create an API key.")
        })?;
        if expires_in_days.is_some_and(|d| !(1..=API_KEY_MAX_DAYS).contains(&d)) {
            return Err(AppError::validation(
                "expires_in_days",
                format!("A key expires in 1 to {API_KEY_MAX_DAYS} days, or never."),
            ));
        }
        let row = self
            .store
            .user_by_id(who.user.id)
            .await?
            .ok_or_else(|| AppError::Unauthorized("Please log in.".into()))?;
        self.credentials
            .confirm(
                row.user.id,
                &row.password_hash,
                password,
                "The password is incorrect.",
            )
            .await?;
        let key = new_api_key();
        let created_at = now();
        let info = ApiKeyInfo {
            id: Uuid::new_v4(),
            name,
            prefix: key.chars().take(API_KEY_VISIBLE).collect(),
            created_at,
            last_used_at: None,
            expires_at: expires_in_days.map(|d| created_at + Days::days(d.into())),
        };
        let made = self
            .store
            .insert_api_key(&info, who.user.id, &hash_token(&key), &row.password_hash)
            .await?;
        if !made {
            return Err(AppError::Forbidden(
                "The password changed meanwhile. Enter the new one.".into(),
            ));
        }
        Ok(NewApiKey {
            id: info.id,
            name: info.name,
            prefix: info.prefix,
            key,
            created_at: info.created_at,
            expires_at: info.expires_at,
        })
    }

    pub async fn list(&self, who: &Authenticated) -> Result<Vec<ApiKeyInfo>, AppError> {
        Ok(self.store.list_api_keys(who.user.id).await?)
    }

    pub async fn revoke(&self, who: &Authenticated, key_id: Uuid) -> Result<(), AppError> {
        if self.store.delete_api_key(who.user.id, key_id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound("No such API key.".into()))
        }
    }

    /// The user behind an unexpired API key, recording when it was last used.
    pub async fn authenticate(&self, key: &str) -> Result<Option<Authenticated>, AppError> {
        let now = Utc::now().timestamp_millis();
        let Some((key_id, last_used, row)) = self
            .store
            .user_by_api_key_hash(&hash_token(key), now)
            .await?
        else {
            return Ok(None);
        };
        if last_used.is_none_or(|t| now - t >= ms(TOUCH_EVERY)) {
            self.store.touch_api_key(key_id, now).await?;
        }
        Ok(Some(Authenticated {
            user: row.user,
            credential: Credential::ApiKey(key_id),
            renewed: false,
        }))
    }
}
