//! What the agent has learned about the user (the Preferences of `user.md`): shown, editable,
//! and clearable.

use leptos::prelude::*;

use crate::api::memory::{get_preferences, SavePreferences, PREFERENCES_MAX};
use crate::i18n::*;
use crate::ui::components::field::{field_error, form_error, FormError, TextArea};
use crate::ui::components::server_form::ServerForm;
use crate::ui::page_load::named_load;
use crate::ui::text::error_text;

#[component]
pub fn PreferencesForm() -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<SavePreferences>::new();
    let value = save.value();
    let pending = save.pending();
    let stored = Resource::new(
        move || save.version().get(),
        |_| named_load("the preferences", get_preferences()),
    );
    let saved = move || matches!(value.get(), Some(Ok(_)));
    view! {
        <section class="card" aria-labelledby="preferences-heading">
            <h2 id="preferences-heading">{tx!(i18n, profile.preferences_heading)}</h2>
            <p class="muted">
                {tx!(i18n, profile.preferences_intro)}
            </p>
            <Transition fallback=move || view! { <p class="loading">{tx!(i18n, profile.loading)}</p> }>
                {move || Suspend::new(async move {
                    match stored.await {
                        Ok(text) => view! {
                            <ServerForm action=save attr:class="form preferences-form">
                                <FormError message=form_error(value)/>
                                <TextArea
                                    label=t_string!(i18n, profile.preferences_label)
                                    name="preferences"
                                    maxlength=PREFERENCES_MAX
                                    value=text
                                    error=field_error(value, "preferences")
                                />
                                <div class="form-actions">
                                    <button type="submit" class="button" disabled=move || pending.get()>
                                        {move || if pending.get() { t_string!(i18n, profile.saving) } else { t_string!(i18n, profile.save_preferences) }}
                                    </button>
                                    <span class="success" role="status">{move || saved().then(|| t_string!(i18n, profile.saved))}</span>
                                </div>
                            </ServerForm>
                            <ServerForm action=save attr:class="inline-form">
                                <input type="hidden" name="preferences" value=""/>
                                <button type="submit" class="button small secondary">{tx!(i18n, profile.clear_all)}</button>
                            </ServerForm>
                        }.into_any(),
                        Err(e) => view! { <p class="form-error">{error_text(&e)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
