//! Change the password; every other session ends, this one goes on under a new token, and
//! the API keys can be revoked with it.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::auth::ChangePassword;
use crate::ui::components::field::{field_error, form_error, FormError};
use crate::ui::components::password_field::PasswordField;

#[component]
pub fn PasswordForm(action: ServerAction<ChangePassword>) -> impl IntoView {
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
            <h2 id="password-heading">"Password"</h2>
            <ActionForm action=action attr:class="form">
                <FormError message=other_error/>
                <PasswordField label="Current password" name="current_password" autocomplete="current-password" error=current_error/>
                <PasswordField
                    label="New password"
                    name="new_password"
                    autocomplete="new-password"
                    hint="At least 8 characters."
                    error=field_error(value, "new_password")
                />
                <label class="check">
                    <input type="checkbox" name="revoke_api_keys" value="true"/>
                    " Also revoke all my API keys"
                </label>
                <div class="form-actions">
                    <button type="submit" class="button" disabled=move || pending.get()>
                        {move || if pending.get() { "Changing…" } else { "Change password" }}
                    </button>
                    <span class="success" role="status">
                        {move || done().then_some("Password changed. Your other sessions were logged out.")}
                    </span>
                </div>
            </ActionForm>
        </section>
    }
}
