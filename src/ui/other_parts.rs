//! Links into a part of the site this browser bundle does not carry (see
//! `crate::page_bundle`) are page loads: the server answers with that part's page and bundle.
//!
//! The router would take such a link for one of its own and find no route for it. A listener
//! in the capture phase sees the click first and, for those links alone, marks it handled
//! (the router then leaves it) and loads the page.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{HtmlAnchorElement, MouseEvent};

use crate::page_bundle::PagePart;

/// Installs the listener, in a bundle built for one part; a bundle with every page needs none.
pub fn load_other_parts_fully() {
    if PagePart::BUILT_ALONE.is_none() {
        return;
    }
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let on_click = Closure::<dyn Fn(MouseEvent)>::new(|event: MouseEvent| {
        if let Some(url) = other_part_link(&event) {
            event.prevent_default();
            if let Some(window) = web_sys::window() {
                let _ = window.location().assign(&url);
            }
        }
    });
    let _ = document.add_event_listener_with_callback_and_bool(
        "click",
        on_click.as_ref().unchecked_ref(),
        true,
    );
    // It serves the page for as long as the page lives.
    on_click.forget();
}

/// The address of the link clicked, when it is a plain click on a link of this site into a
/// part this bundle does not carry (a new tab, a download or another site is the browser's).
fn other_part_link(event: &MouseEvent) -> Option<String> {
    if event.default_prevented()
        || event.button() != 0
        || event.meta_key()
        || event.alt_key()
        || event.ctrl_key()
        || event.shift_key()
    {
        return None;
    }
    let anchor = event
        .target()?
        .dyn_into::<web_sys::Element>()
        .ok()?
        .closest("a[href]")
        .ok()??
        .dyn_into::<HtmlAnchorElement>()
        .ok()?;
    let own_site = web_sys::window()?.location().origin().ok()? == anchor.origin();
    let browsers = !anchor.target().is_empty() || anchor.has_attribute("download");
    if !own_site || browsers || PagePart::of_path(&anchor.pathname()).carried() {
        return None;
    }
    Some(anchor.href())
}
