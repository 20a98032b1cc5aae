//! Accounts: registration, password change, profile and deletion.

use chrono::Utc;
use uuid::Uuid;

use super::credentials::Credentials;
use super::identity::{Authenticated, ClientInfo, LoggedIn};
use super::login_sessions::{LoginSessions, SessionToStore};
use crate::error::AppError;
use crate::model::User;
use crate::server::config::Registration;
use crate::server::errors::internal;
use crate::server::memory::{ChatMemory, UserMemory};
use crate::server::store::{
    now, AdminChange, Admission, InviteState, Refusal, Store, StoreError, UserRow,
};
use crate::validation::{
    login_key, validate_about, validate_display_name, validate_language, validate_login,
};

#[derive(Clone)]
pub struct Accounts {
    store: Store,
    memory: UserMemory,
    chat_memory: ChatMemory,
    credentials: Credentials,
    sessions: LoginSessions,
    registration: Registration,
}

/// What `PUT /auth/password` and the profile page's form ask for.
pub struct PasswordChange<'a> {
    pub current_password: &'a str,
    pub new_password: &'a str,
    /// Also revoke every API key of the account.
    pub revoke_api_keys: bool,
}

impl Accounts {
    pub fn new(
        store: Store,
        memory: UserMemory,
        chat_memory: ChatMemory,
        credentials: Credentials,
        sessions: LoginSessions,
        registration: Registration,
    ) -> Self {
        Accounts {
            store,
            memory,
            chat_memory,
            credentials,
            sessions,
            registration,
        }
    }

    /// Who may register here now: `open`, `invite` or `closed`, and whether the instance is
    /// still empty (then the next account is its admin, whatever the mode).
    pub async fn registration(&self) -> Result<(Registration, bool), AppError> {
        Ok((self.registration, !self.store.has_owner().await?))
    }

    /// Refuses a registration the mode does not allow, before any password is hashed (the
    /// insert decides again, atomically, in case another account got in meanwhile).
    async fn check_admission(&self, invite: Option<&str>) -> Result<(), AppError> {
        if self.registration == Registration::Open || !self.store.has_owner().await? {
            return Ok(());
        }
        if self.registration == Registration::Closed {
            return Err(refused(Refusal::Closed));
        }
        let Some(token) = invite.map(str::trim).filter(|t| !t.is_empty()) else {
            return Err(AppError::Forbidden(
                "Registration on this instance needs an invite. Ask its administrator for one."
                    .into(),
            ));
        };
        self.invite_refusal(token).await?.map_or(Ok(()), Err)
    }

    /// Why this invite cannot admit anyone now, or `None` while it can: 410 for one used or
    /// expired, 403 for one that never existed or was withdrawn.
    async fn invite_refusal(&self, token: &str) -> Result<Option<AppError>, AppError> {
        let state = self
            .store
            .invite_state(&super::hash_token(token), Utc::now().timestamp_millis())
            .await?;
        Ok(match state {
            Some(InviteState::Usable) => None,
            Some(InviteState::Used) => Some(AppError::Gone(
                "This invite was already used. Ask the administrator for a new one.".into(),
            )),
            Some(InviteState::Expired) => Some(AppError::Gone(
                "This invite has expired. Ask the administrator for a new one.".into(),
            )),
            None => Some(refused(Refusal::NoUsableInvite)),
        })
    }

    /// Creates an account, its `user.md`, and a first session.
    pub async fn register(
        &self,
        login: &str,
        password: &str,
        display_name: &str,
        about: Option<&str>,
        invite: Option<&str>,
        client: &ClientInfo,
    ) -> Result<LoggedIn, AppError> {
        let login = login.trim();
        validate_login(login)?;
        let display_name = validate_display_name(display_name)?;
        let about = validate_about(about.unwrap_or(""))?;
        self.credentials
            .check_new_password("password", password, login)?;
        self.check_admission(invite).await?;
        self.credentials.reserve_registration(client).await?;

        let key = login_key(login);
        if self.store.user_by_login_key(&key).await?.is_some() {
            return Err(login_taken());
        }
        let hash = self.credentials.hash(password).await?;
        let mut user = User {
            id: Uuid::new_v4(),
            login: login.to_string(),
            display_name,
            about,
            created_at: now(),
            role: Default::default(),
            language: None,
        };
        let invite_hash = invite.map(|t| super::hash_token(t.trim()));
        let admission = match self.registration {
            Registration::Open => Admission::Open,
            Registration::Closed => Admission::Closed,
            Registration::Invite => Admission::Invite(invite_hash.as_deref()),
        };
        match self.store.admit_user(&user, &key, &hash, admission).await {
            Ok(Ok(role)) => user.role = role,
            // Another registration used the invite since it was checked: said as for a used one.
            Ok(Err(Refusal::NoUsableInvite)) => {
                let late = match invite.map(str::trim).filter(|t| !t.is_empty()) {
                    Some(token) => self.invite_refusal(token).await?,
                    None => None,
                };
                return Err(late.unwrap_or_else(|| refused(Refusal::NoUsableInvite)));
            }
            Ok(Err(refusal)) => return Err(refused(refusal)),
            Err(StoreError::Conflict) => return Err(login_taken()),
            Err(e) => return Err(e.into()),
        }
        if let Err(e) = self.memory.create_user_profile(&user).await {
            // Undo the row so a failed registration leaves nothing behind; its files only
            // once the row is gone (a refused undo keeps the account whole).
            match self.store.delete_user(user.id).await {
                Ok(AdminChange::Done) => {
                    let _ = self.memory.delete_user(user.id).await;
                }
                Ok(other) => {
                    tracing::error!("could not undo registration of {}: {other:?}", user.id)
                }
                Err(undo) => tracing::error!("could not undo registration of {}: {undo}", user.id),
            }
            return Err(internal("writing user.md", e));
        }
        tracing::info!(user_id = %user.id, role = user.role.as_str(), "user registered");
        let token = self.sessions.start(user.id, client).await?;
        Ok(LoggedIn {
            device: self.sessions.device_cookie_for(user.id),
            user,
            token,
        })
    }

    /// Changes the password after checking the current one. Every session of the account
    /// ends, the browser that asked gets a new one (a token seen before the change is worth
    /// nothing after it), and the API keys go too when asked.
    pub async fn change_password(
        &self,
        who: &Authenticated,
        change: PasswordChange<'_>,
        client: &ClientInfo,
    ) -> Result<Option<String>, AppError> {
        let row = self
            .confirm_password(
                who,
                change.current_password,
                "The current password is incorrect.",
            )
            .await?;
        self.credentials.check_new_password(
            "new_password",
            change.new_password,
            &row.user.login,
        )?;
        let hash = self.credentials.hash(change.new_password).await?;
        let session = who
            .session_id()
            .map(|_| SessionToStore::new(row.user.id, client));
        self.store
            .change_password(
                row.user.id,
                &hash,
                session.as_ref().map(|s| s.row()).as_ref(),
                change.revoke_api_keys,
                Utc::now().timestamp_millis(),
            )
            .await?;
        tracing::info!(
            user_id = %row.user.id,
            api_keys_revoked = change.revoke_api_keys,
            "password changed; sessions ended"
        );
        Ok(session.map(|s| s.token))
    }

    /// The account's row once `password` is proven right (403 with `wrong` otherwise).
    async fn confirm_password(
        &self,
        who: &Authenticated,
        password: &str,
        wrong: &str,
    ) -> Result<UserRow, AppError> {
        let row = self
            .store
            .user_by_id(who.user.id)
            .await?
            .ok_or_else(|| AppError::Unauthorized("Please log in.".into()))?;
        self.credentials
            .confirm(row.user.id, &row.password_hash, password, wrong)
            .await?;
        Ok(row)
    }

    /// Deletes the account for good, after the password is confirmed: the user, their
    /// sessions, keys, chats, messages and index entries (by cascade), then their `user.md`
    /// and chat documents.
    pub async fn delete_account(
        &self,
        who: &Authenticated,
        password: &str,
    ) -> Result<(), AppError> {
        let row = self
            .confirm_password(who, password, "The password is incorrect.")
            .await?;
        self.remove(row.user.id).await
    }

    /// Deletes an account and everything of it (the account's own deletion, or an admin's).
    pub async fn remove(&self, user_id: Uuid) -> Result<(), AppError> {
        match self.store.delete_user(user_id).await? {
            AdminChange::Done => {}
            AdminChange::NoSuchUser => return Err(AppError::NotFound("No such account.".into())),
            AdminChange::LastAdmin => return Err(crate::server::admin::last_admin("account")),
        }
        // The account is gone; documents left behind would only be unreachable copies, so a
        // failure here is logged (and `memory verify` lists them) rather than undoing it.
        if let Err(e) = self.memory.delete_user(user_id).await {
            tracing::error!(user_id = %user_id, "deleting user.md: {e}");
        }
        if let Err(e) = self.chat_memory.delete_user(user_id).await {
            tracing::error!(user_id = %user_id, "deleting chat documents: {e}");
        }
        tracing::info!(user_id = %user_id, "account deleted");
        Ok(())
    }

    /// Updates display name and/or about, and the Identity and About sections of `user.md`.
    pub async fn update_profile(
        &self,
        who: &Authenticated,
        display_name: Option<&str>,
        about: Option<&str>,
    ) -> Result<User, AppError> {
        let mut user = self
            .store
            .user_by_id(who.user.id)
            .await?
            .ok_or_else(|| AppError::Unauthorized("Please log in.".into()))?
            .user;
        if let Some(name) = display_name {
            user.display_name = validate_display_name(name)?;
        }
        if let Some(about) = about {
            user.about = validate_about(about)?;
        }
        let updated = self
            .store
            .update_user_profile(
                user.id,
                &user.display_name,
                &user.about,
                Utc::now().timestamp_millis(),
            )
            .await?;
        if !updated {
            return Err(AppError::Unauthorized("Please log in.".into()));
        }
        self.memory
            .sync_identity(&user)
            .await
            .map_err(|e| internal("updating user.md", e))?;
        // An account deleted while this ran must not keep a profile that write brought back.
        if self.store.user_by_id(user.id).await?.is_none() {
            let _ = self.memory.delete_user(user.id).await;
            return Err(AppError::Unauthorized("Please log in.".into()));
        }
        Ok(user)
    }
}

impl Accounts {
    /// Sets the web UI's language of the account (`None`: follow the browser).
    pub async fn set_language(
        &self,
        who: &Authenticated,
        language: Option<&str>,
    ) -> Result<User, AppError> {
        let language = language.map(validate_language).transpose()?;
        let updated = self
            .store
            .set_user_language(
                who.user.id,
                language.as_deref(),
                Utc::now().timestamp_millis(),
            )
            .await?;
        let user = match updated {
            true => self.store.user_by_id(who.user.id).await?,
            false => None,
        };
        user.map(|row| row.user)
            .ok_or_else(|| AppError::Unauthorized("Please log in.".into()))
    }
}

fn refused(refusal: Refusal) -> AppError {
    AppError::Forbidden(match refusal {
        Refusal::Closed => {
            "Registration is closed on this instance. Ask its administrator for an account.".into()
        }
        Refusal::NoUsableInvite => {
            "This invite is not valid (it may have been used or withdrawn). Ask the administrator for a new one.".into()
        }
    })
}

fn login_taken() -> AppError {
    AppError::Conflict {
        field: "login".into(),
        message: "That login is already taken.".into(),
    }
}
