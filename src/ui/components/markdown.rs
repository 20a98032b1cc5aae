//! A message's Markdown as the server rendered it (`crate::server::markdown`): the page only
//! places the HTML, and makes its code blocks' Copy buttons work.

use leptos::prelude::*;

/// `html` from the server; a message without it (none should come) shows `text` as it is.
#[component]
pub fn Markdown(html: Option<String>, #[prop(optional)] text: String) -> impl IntoView {
    match html {
        // The Copy buttons are HTML of the rendered text, not components: one listener here
        // serves all of them.
        Some(html) => {
            view! { <div class="markdown" inner_html=html on:click=copy_code></div> }.into_any()
        }
        None => view! { <div class="markdown plain">{text}</div> }.into_any(),
    }
}

/// A click on a code block's Copy button puts the block's text on the clipboard and says so
/// on the button for two seconds.
fn copy_code(event: leptos::ev::MouseEvent) {
    use wasm_bindgen::JsCast;
    let Some(button) = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|el| el.closest("button.copy-code").ok().flatten())
    else {
        return;
    };
    let Some(code) = button
        .closest(".code-block")
        .ok()
        .flatten()
        .and_then(|block| block.query_selector("code").ok().flatten())
    else {
        return;
    };
    let text = code.text_content().unwrap_or_default();
    let promise = window().navigator().clipboard().write_text(&text);
    leptos::task::spawn_local(async move {
        let copied = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
        let label = if copied {
            button.get_attribute("data-copied")
        } else {
            button.get_attribute("data-failed")
        };
        let idle = button.get_attribute("data-copy").unwrap_or_default();
        button.set_text_content(label.as_deref());
        set_timeout(
            move || button.set_text_content(Some(&idle)),
            std::time::Duration::from_secs(2),
        );
    });
}
