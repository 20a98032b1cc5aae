//! Display name and about.

use leptos::prelude::*;

use crate::api::auth::UpdateProfile;
use crate::i18n::*;
use crate::ui::auth_context::use_auth;
use crate::ui::components::field::{field_error, form_error, FormError, TextArea, TextField};
use crate::ui::components::server_form::ServerForm;
use crate::validation::{ABOUT_MAX, DISPLAY_NAME_MAX};

#[component]
pub fn DetailsForm() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let action = ServerAction::<UpdateProfile>::new();
    let value = action.value();
    // A saved profile is the new truth for every component showing the name.
    Effect::new(move |_| {
        if let Some(Ok(updated)) = value.get() {
            auth.user.set(Some(updated));
        }
    });
    let pending = action.pending();
    let user = move || auth.current_user();
    let saved = move || matches!(value.get(), Some(Ok(_)));
    view! {
        <section class="card" aria-labelledby="details-heading">
            <h2 id="details-heading">{tx!(i18n, profile.details_heading)}</h2>
            <p class="muted">
                {tx!(i18n, profile.details_login)} " " <strong>{move || user().map(|u| u.login).unwrap_or_default()}</strong>
            </p>
            <ServerForm action=action attr:class="form">
                <FormError message=form_error(value)/>
                <TextField
                    label=t_string!(i18n, profile.display_name_label)
                    name="display_name"
                    required=true
                    maxlength=DISPLAY_NAME_MAX
                    value=Signal::derive(move || user().map(|u| u.display_name).unwrap_or_default())
                    error=field_error(value, "display_name")
                />
                <TextArea
                    label=t_string!(i18n, profile.about_label)
                    name="about"
                    maxlength=ABOUT_MAX
                    value=Signal::derive(move || user().map(|u| u.about).unwrap_or_default())
                    error=field_error(value, "about")
                />
                <div class="form-actions">
                    <button type="submit" class="button" disabled=move || pending.get()>
                        {move || if pending.get() { t_string!(i18n, profile.saving) } else { t_string!(i18n, profile.save) }}
                    </button>
                    <span class="success" role="status">{move || saved().then(|| t_string!(i18n, profile.saved))}</span>
                </div>
            </ServerForm>
        </section>
    }
}
