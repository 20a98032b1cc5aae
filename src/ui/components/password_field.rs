//! A password input with a show/hide toggle.

use leptos::prelude::*;

use crate::i18n::*;

#[component]
pub fn PasswordField(
    label: &'static str,
    name: &'static str,
    autocomplete: &'static str,
    error: Signal<Option<String>>,
    #[prop(optional, into)] hint: Option<&'static str>,
    /// The input's id when two forms on one page share a field name.
    #[prop(optional)]
    id: Option<&'static str>,
) -> impl IntoView {
    let i18n = use_i18n();
    let shown = RwSignal::new(false);
    let id = id.map_or_else(|| format!("field-{name}"), String::from);
    let error_id = format!("{id}-error");
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <div class="password-input">
                <input
                    id=id.clone()
                    type=move || if shown.get() { "text" } else { "password" }
                    name=name
                    autocomplete=autocomplete
                    required=true
                    aria-invalid=move || error.get().is_some().to_string()
                    aria-describedby=error_id.clone()
                />
                <button
                    type="button"
                    class="toggle"
                    aria-controls=id
                    aria-pressed=move || shown.get().to_string()
                    on:click=move |_| shown.update(|s| *s = !*s)
                >
                    {move || if shown.get() { t_string!(i18n, common.hide_password) } else { t_string!(i18n, common.show_password) }}
                </button>
            </div>
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <p class="field-error" id=error_id>{move || error.get()}</p>
        </div>
    }
}
