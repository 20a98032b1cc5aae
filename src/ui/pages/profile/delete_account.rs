//! Delete the account: every chat, document and key goes with it, after the password.

use leptos::prelude::*;

use crate::api::auth::DeleteAccount;
use crate::i18n::*;
use crate::ui::auth_context::navigate_on_success;
use crate::ui::components::field::FormError;
use crate::ui::components::password_field::PasswordField;
use crate::ui::components::server_form::ServerForm;
use crate::ui::text::error_text;

#[component]
pub fn DeleteAccountForm() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<DeleteAccount>::new();
    let value = action.value();
    let pending = action.pending();
    let wrong = Signal::derive(move || match value.get() {
        Some(Err(crate::error::AppError::Forbidden(m))) => Some(m),
        _ => None,
    });
    // Anything else (the last admin of an instance cannot leave it) is said above the form.
    let other = Signal::derive(move || {
        value
            .get()
            .and_then(Result::err)
            .filter(|_| wrong.get().is_none())
            .map(|e| error_text(&e))
    });
    navigate_on_success(value, || "/".to_string());
    view! {
        <section class="card danger-zone" aria-labelledby="delete-heading">
            <h2 id="delete-heading">{tx!(i18n, profile.delete_heading)}</h2>
            <p class="muted">
                {tx!(i18n, profile.delete_intro)}
            </p>
            <ServerForm action=action attr:class="form">
                <FormError message=other/>
                <PasswordField label=t_string!(i18n, profile.delete_password_label) name="password" autocomplete="current-password" error=wrong/>
                <div class="form-actions">
                    <button type="submit" class="button danger" disabled=move || pending.get()>
                        {move || if pending.get() { t_string!(i18n, profile.deleting) } else { t_string!(i18n, profile.delete_my_account) }}
                    </button>
                </div>
            </ServerForm>
        </section>
    }
}
