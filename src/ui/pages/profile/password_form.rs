//! Change the password; every other session ends, this one goes on under a new token, and
//! the API keys can be revoked with it.

use leptos::prelude::*;

use crate::api::auth::ChangePassword;
use crate::i18n::*;
use crate::ui::components::field::{field_error, form_error, FormError};
use crate::ui::components::password_field::PasswordField;
use crate::ui::components::server_form::ServerForm;

#[component]
pub fn PasswordForm(action: ServerAction<ChangePassword>) -> impl IntoView {
    let i18n = use_i18n();
    let value = action.value();
    let pending = action.pending();
    // A wrong current password is a 403 with no field: show it by that field all the same.
    let current_error = Signal::derive(move || match value.get() {
        Some(Err(crate::error::AppError::Forbidden(m))) => Some(m),
        _ => None,
    });
    let other_error = Signal::derive(move || {
        form_error(value)
            .get()
            .filter(|_| current_error.get().is_none())
    });
    let done = move || matches!(value.get(), Some(Ok(())));
    view! {
        <section class="card" aria-labelledby="password-heading">
            <h2 id="password-heading">{tx!(i18n, profile.password_heading)}</h2>
            <ServerForm action=action attr:class="form">
                <FormError message=other_error/>
                <PasswordField label=t_string!(i18n, profile.current_password_label) name="current_password" autocomplete="current-password" error=current_error/>
                <PasswordField
                    label=t_string!(i18n, profile.new_password_label)
                    name="new_password"
                    autocomplete="new-password"
                    hint=t_string!(i18n, profile.new_password_hint)
                    error=field_error(value, "new_password")
                />
                <label class="check">
                    <input type="checkbox" name="revoke_api_keys" value="true"/>
                    " " {tx!(i18n, profile.revoke_api_keys)}
                </label>
                <div class="form-actions">
                    <button type="submit" class="button" disabled=move || pending.get()>
                        {move || if pending.get() { t_string!(i18n, profile.changing_password) } else { t_string!(i18n, profile.change_password) }}
                    </button>
                    <span class="success" role="status">
                        {move || done().then(|| t_string!(i18n, profile.password_changed))}
                    </span>
                </div>
            </ServerForm>
        </section>
    }
}
