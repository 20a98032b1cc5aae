//! A read-only value with a Copy button: a new API key, an invite link. Focusing the box
//! selects it, for copying by hand where the clipboard is not available (plain HTTP).

use leptos::prelude::*;

use crate::i18n::*;

#[component]
pub fn CopyField(
    value: String,
    /// The box's accessible name ("New API key").
    label: &'static str,
    /// The button's text before copying ("Copy", "Copy link").
    button: &'static str,
) -> impl IntoView {
    // What the last press did, announced: copied, or (no clipboard over plain HTTP) how to
    // copy by hand, with the text selected.
    let i18n = use_i18n();
    let said = RwSignal::new(None::<&'static str>);
    let input = NodeRef::<leptos::html::Input>::new();
    let secret = value.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            if window.is_secure_context() {
                let _ = window.navigator().clipboard().write_text(&secret);
                said.set(Some(tu_string!(i18n, common.copied)));
            } else {
                if let Some(input) = input.get_untracked() {
                    input.select();
                }
                said.set(Some(tu_string!(i18n, common.selected_press_copy)));
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&secret, input, i18n);
    };
    view! {
        <div class="copy-row">
            <input class="key-value" readonly=true value=value aria-label=label node_ref=input on:focus=|ev| {
                #[cfg(feature = "hydrate")]
                {
                    use wasm_bindgen::JsCast;
                    if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                        input.select();
                    }
                }
                #[cfg(not(feature = "hydrate"))]
                let _ = ev;
            }/>
            <button type="button" class="button small" on:click=copy>{button}</button>
        </div>
        <p class="hint" role="status">{move || said.get()}</p>
    }
}
