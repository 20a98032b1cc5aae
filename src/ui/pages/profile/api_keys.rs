//! API keys for OpenAI clients and scripts: create (shown once), list, revoke.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::auth::{list_api_keys, CreateApiKey, RevokeApiKey};
use crate::model::{ApiKeyInfo, NewApiKey};
use crate::ui::components::copy_field::CopyField;
use crate::ui::components::field::{field_error, form_error, FormError, TextField};
use crate::ui::components::password_field::PasswordField;
use crate::ui::format_time;
use crate::validation::API_KEY_NAME_MAX;

#[component]
pub fn ApiKeys(password_changes: RwSignal<usize>) -> impl IntoView {
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
        |_| list_api_keys(),
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
            <h2 id="keys-heading">"API keys"</h2>
            <p class="muted">
                "Use a key as " <code>"Authorization: Bearer <key>"</code>
                " with any OpenAI client pointed at this server's " <code>"/v1"</code> "."
            </p>
            <ActionForm action=create attr:class="form">
                <FormError message=other_error/>
                <TextField label="Key name" name="name" required=true maxlength=API_KEY_NAME_MAX error=field_error(value, "name")/>
                <PasswordField
                    label="Your password"
                    name="password"
                    id="field-key-password"
                    autocomplete="current-password"
                    hint="A key acts as you: it needs your password."
                    error=password_error
                />
                <div class="field">
                    <label for="field-expires_in_days">"Expires"</label>
                    <select id="field-expires_in_days" name="expires_in_days">
                        <option value="">"Never (until revoked)"</option>
                        <option value="30">"In 30 days"</option>
                        <option value="90">"In 90 days"</option>
                        <option value="365">"In a year"</option>
                    </select>
                </div>
                <div class="form-actions">
                    <button type="submit" class="button" disabled=move || pending.get()>"Create key"</button>
                </div>
            </ActionForm>
            {move || value.get().and_then(Result::ok).map(|key| view! { <NewKey key/> })}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No keys yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="rows keys">
                                {list.into_iter().map(|k| view! { <KeyRow key=k revoke/> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The one time a key is visible.
#[component]
fn NewKey(key: NewApiKey) -> impl IntoView {
    view! {
        <div class="new-key" role="status">
            <p>
                <strong>"Copy your new key “" {key.name.clone()} "” now."</strong>
                " It will not be shown again."
            </p>
            <CopyField value=key.key label="New API key" button="Copy"/>
        </div>
    }
}

#[component]
fn KeyRow(key: ApiKeyInfo, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    view! {
        <li class="row">
            <div class="row-main">
                <span class="row-title">{key.name.clone()}</span>
                <span class="muted">
                    <code>{key.prefix.clone()} "…"</code>
                    " · created " {format_time(key.created_at)}
                    " · " {key.last_used_at.map(|t| format!("last used {}", format_time(t))).unwrap_or_else(|| "never used".into())}
                    " · " {key.expires_at.map(|t| format!("expires {}", format_time(t))).unwrap_or_else(|| "no expiry".into())}
                </span>
            </div>
            <ActionForm action=revoke attr:class="inline-form">
                <input type="hidden" name="id" value=key.id.to_string()/>
                <button type="submit" class="button small danger" aria-label=format!("Revoke key {}", key.name)>"Revoke"</button>
            </ActionForm>
        </li>
    }
}
