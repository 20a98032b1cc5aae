//! Form fields with their error shown beside them, and helpers that pick an action's error
//! apart into the field it names and the message for the whole form.

use leptos::prelude::*;

use crate::error::AppError;
use crate::ui::text::error_text;

/// The message of an action's last error when it concerns `field`.
pub fn field_error<T, S>(value: S, field: &'static str) -> Signal<Option<String>>
where
    S: Get<Value = Option<Result<T, AppError>>> + Copy + Send + Sync + 'static,
{
    Signal::derive(move || {
        value
            .get()
            .and_then(Result::err)
            .filter(|e| e.field() == Some(field))
            .map(|e| error_text(&e))
    })
}

/// The message of an action's last error when it concerns no single field.
pub fn form_error<T, S>(value: S) -> Signal<Option<String>>
where
    S: Get<Value = Option<Result<T, AppError>>> + Copy + Send + Sync + 'static,
{
    Signal::derive(move || {
        value
            .get()
            .and_then(Result::err)
            .filter(|e| e.field().is_none())
            .map(|e| error_text(&e))
    })
}

/// A form-level message, announced to screen readers.
#[component]
pub fn FormError(message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message
            .get()
            .map(|m| view! { <p class="form-error" role="alert">{m}</p> })
    }
}

/// A labelled single-line input with its error.
#[component]
pub fn TextField(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional, into)] value: Signal<String>,
    #[prop(optional)] required: bool,
    #[prop(optional)] maxlength: Option<usize>,
    #[prop(optional, into)] hint: Option<&'static str>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                type=kind
                name=name
                autocomplete=autocomplete
                required=required
                maxlength=maxlength
                prop:value=move || value.get()
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=error_id.clone()
            />
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <p class="field-error" id=error_id>{move || error.get()}</p>
        </div>
    }
}

/// A labelled multi-line input with its error.
#[component]
pub fn TextArea(
    label: &'static str,
    name: &'static str,
    #[prop(optional, into)] value: Signal<String>,
    #[prop(optional)] maxlength: Option<usize>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <textarea
                id=id
                name=name
                rows="4"
                maxlength=maxlength
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=error_id.clone()
                prop:value=move || value.get()
            >
                {value.get_untracked()}
            </textarea>
            <p class="field-error" id=error_id>{move || error.get()}</p>
        </div>
    }
}
