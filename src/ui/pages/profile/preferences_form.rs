//! What the agent has learned about the user (the Preferences of `user.md`): shown, editable,
//! and clearable.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::memory::{get_preferences, SavePreferences, PREFERENCES_MAX};
use crate::ui::components::field::{field_error, form_error, FormError, TextArea};

#[component]
pub fn PreferencesForm() -> impl IntoView {
    let save = ServerAction::<SavePreferences>::new();
    let value = save.value();
    let pending = save.pending();
    let stored = Resource::new(move || save.version().get(), |_| get_preferences());
    let saved = move || matches!(value.get(), Some(Ok(_)));
    view! {
        <section class="card" aria-labelledby="preferences-heading">
            <h2 id="preferences-heading">"What the agent remembers"</h2>
            <p class="muted">
                "Preferences the agent learned from your chats (one per line). It reads them before every answer. Edit or clear them at any time."
            </p>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match stored.await {
                        Ok(text) => view! {
                            <ActionForm action=save attr:class="form preferences-form">
                                <FormError message=form_error(value)/>
                                <TextArea
                                    label="Preferences"
                                    name="preferences"
                                    maxlength=PREFERENCES_MAX
                                    value=text
                                    error=field_error(value, "preferences")
                                />
                                <div class="form-actions">
                                    <button type="submit" class="button" disabled=move || pending.get()>
                                        {move || if pending.get() { "Saving…" } else { "Save preferences" }}
                                    </button>
                                    <span class="success" role="status">{move || saved().then_some("Saved.")}</span>
                                </div>
                            </ActionForm>
                            <ActionForm action=save attr:class="inline-form">
                                <input type="hidden" name="preferences" value=""/>
                                <button type="submit" class="button small secondary">"Clear all"</button>
                            </ActionForm>
                        }.into_any(),
                        Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
