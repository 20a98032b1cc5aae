//! API keys for OpenAI clients and scripts: create (shown once), list, revoke.

use leptos::prelude::*;

use crate::api::auth::{list_api_keys, CreateApiKey, RevokeApiKey};
use crate::i18n::*;
use crate::model::{ApiKeyInfo, NewApiKey};
use crate::ui::components::copy_field::CopyField;
use crate::ui::components::field::{field_error, form_error, FormError, TextField};
use crate::ui::components::password_field::PasswordField;
use crate::ui::components::server_form::ServerForm;
use crate::ui::format_time;
use crate::ui::page_load::named_load;
use crate::ui::text::error_text;
use crate::validation::API_KEY_NAME_MAX;

#[component]
pub fn ApiKeys(password_changes: RwSignal<usize>) -> impl IntoView {
    let i18n = use_i18n();
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(
        move || {
            (
                create.version().get(),
                revoke.version().get(),
                password_changes.get(),
            )
        },
        |_| named_load("the API keys", list_api_keys()),
    );
    let value = create.value();
    let pending = create.pending();
    // A wrong password is a 403 with no field: show it by the password box.
    let password_error = Signal::derive(move || match value.get() {
        Some(Err(crate::error::AppError::Forbidden(m))) => Some(m),
        _ => field_error(value, "password").get(),
    });
    let other_error = Signal::derive(move || {
        form_error(value)
            .get()
            .filter(|_| password_error.get().is_none())
    });
    view! {
        <section class="card" aria-labelledby="keys-heading">
            <h2 id="keys-heading">{tx!(i18n, profile.api_keys_heading)}</h2>
            <p class="muted">
                {tx!(i18n, profile.api_keys_use_as)} " " <code>"Authorization: Bearer <key>"</code>
                " " {tx!(i18n, profile.api_keys_with_client)} " " <code>"/v1"</code> "."
            </p>
            <ServerForm action=create attr:class="form">
                <FormError message=other_error/>
                <TextField label=t_string!(i18n, profile.key_name_label) name="name" required=true maxlength=API_KEY_NAME_MAX error=field_error(value, "name")/>
                <PasswordField
                    label=t_string!(i18n, profile.key_password_label)
                    name="password"
                    id="field-key-password"
                    autocomplete="current-password"
                    hint=t_string!(i18n, profile.key_password_hint)
                    error=password_error
                />
                <div class="field">
                    <label for="field-expires_in_days">{tx!(i18n, profile.key_expires_label)}</label>
                    <select id="field-expires_in_days" name="expires_in_days">
                        <option value="">{tx!(i18n, profile.key_expires_never)}</option>
                        <option value="30">{tx!(i18n, profile.key_expires_30_days)}</option>
                        <option value="90">{tx!(i18n, profile.key_expires_90_days)}</option>
                        <option value="365">{tx!(i18n, profile.key_expires_year)}</option>
                    </select>
                </div>
                <div class="form-actions">
                    <button type="submit" class="button" disabled=move || pending.get()>{tx!(i18n, profile.create_key)}</button>
                </div>
            </ServerForm>
            {move || value.get().and_then(Result::ok).map(|key| view! { <NewKey key/> })}
            <Transition fallback=move || view! { <p class="loading">{tx!(i18n, profile.loading)}</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">{tx!(i18n, profile.no_keys)}</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="rows keys">
                                {list.into_iter().map(|k| view! { <KeyRow key=k revoke/> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="form-error">{error_text(&e)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The one time a key is visible.
#[component]
fn NewKey(key: NewApiKey) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="new-key" role="status">
            <p>
                <strong>{t!(i18n, profile.new_key_copy_now, name = key.name.clone())}</strong>
                " " {tx!(i18n, profile.new_key_not_shown_again)}
            </p>
            <CopyField
                value=key.key
                label=t_string!(i18n, profile.new_key_label)
                button=t_string!(i18n, profile.copy)
            />
        </div>
    }
}

#[component]
fn KeyRow(key: ApiKeyInfo, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    let i18n = use_i18n();
    let created = key.created_at;
    let name = key.name.clone();
    view! {
        <li class="row">
            <div class="row-main">
                <span class="row-title">{key.name.clone()}</span>
                <span class="muted">
                    <code>{key.prefix.clone()} "…"</code>
                    " · " {t!(i18n, profile.key_created, time = move || format_time(created, i18n.get_locale()))}
                    " · " {match key.last_used_at {
                        Some(t) => t!(i18n, profile.key_last_used, time = move || format_time(t, i18n.get_locale())).into_any(),
                        None => tx!(i18n, profile.key_never_used).into_any(),
                    }}
                    " · " {match key.expires_at {
                        Some(t) => t!(i18n, profile.key_expires_at, time = move || format_time(t, i18n.get_locale())).into_any(),
                        None => tx!(i18n, profile.key_no_expiry).into_any(),
                    }}
                </span>
            </div>
            <ServerForm action=revoke attr:class="inline-form">
                <input type="hidden" name="id" value=key.id.to_string()/>
                <button type="submit" class="button small danger" aria-label=move || format!("{} {name}", t_string!(i18n, profile.revoke_key_aria))>{tx!(i18n, profile.revoke)}</button>
            </ServerForm>
        </li>
    }
}
