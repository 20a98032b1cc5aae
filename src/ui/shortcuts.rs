//! Keyboard shortcuts: Ctrl/Cmd+K searches the chats, Ctrl/Cmd+Shift+O starts a new chat,
//! `?` lists them in a dialog (Escape in the message box stops an answer: see the composer).
//!
//! One window listener at the root. A shortcut that needs a part of the chat page (the search
//! box, the message box) raises a request here and goes to `/chat` when that part is not on
//! the page; the part carries the request out when it is there, now or once it mounts.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos_router::hooks::{use_location, use_navigate};

use crate::i18n::*;
use crate::page_bundle::PagePart;
use crate::ui::auth_context::navigate_fully;

/// What a shortcut asked the chat page for.
#[derive(Clone, Copy)]
pub struct Shortcuts {
    /// Focus the history search (opening the drawer on a phone).
    pub search: RwSignal<bool>,
    /// Focus the message box of a new chat.
    pub compose: RwSignal<bool>,
    /// The list of shortcuts is shown.
    pub help: RwSignal<bool>,
}

/// `/chat?shortcut=search`: a shortcut's request carried by a page load to the chat.
const SHORTCUT_QUERY: &str = "shortcut";
const SEARCH: &str = "search";
const COMPOSE: &str = "compose";

pub fn use_shortcuts() -> Option<Shortcuts> {
    use_context::<Shortcuts>()
}

/// Focuses the element with `id` on the next frame (after the view has updated).
pub fn focus_soon(id: &'static str) {
    request_animation_frame(move || {
        if let Some(el) = document()
            .get_element_by_id(id)
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
}

/// Whether the key went to something that takes text (there `?` is a character, not a command).
fn typing_into(event: &ev::KeyboardEvent) -> bool {
    event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
        .is_some_and(|el| {
            matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || el.is_content_editable()
        })
}

/// The listener and the dialog; provides [`Shortcuts`] to the page.
#[component]
pub fn KeyboardShortcuts() -> impl IntoView {
    let shortcuts = Shortcuts {
        search: RwSignal::new(false),
        compose: RwSignal::new(false),
        help: RwSignal::new(false),
    };
    provide_context(shortcuts);
    let navigate = use_navigate();
    let location = use_location();
    let on_chat_page = move || location.pathname.get_untracked().starts_with("/chat");
    // Where this build does not carry the chat (src/page_bundle.rs), `/chat` is a page load:
    // the request rides in the address and is raised again when the chat page starts.
    let to_chat = {
        let navigate = navigate.clone();
        move |request: &str| {
            if PagePart::Chat.carried() {
                navigate("/chat", Default::default());
            } else {
                navigate_fully(&format!("/chat?{SHORTCUT_QUERY}={request}"));
            }
        }
    };
    Effect::new({
        let navigate = navigate.clone();
        move |_| {
            let request = location.query.with_untracked(|q| q.get(SHORTCUT_QUERY));
            let Some(request) = request else { return };
            match request.as_str() {
                SEARCH => shortcuts.search.set(true),
                COMPOSE => shortcuts.compose.set(true),
                _ => {}
            }
            // Carried out: the address goes back to plain `/chat`, so a reload does not repeat it.
            let replace = leptos_router::NavigateOptions {
                replace: true,
                ..Default::default()
            };
            navigate(&location.pathname.get_untracked(), replace);
        }
    });

    let listener = window_event_listener(ev::keydown, move |event: ev::KeyboardEvent| {
        let command = event.ctrl_key() || event.meta_key();
        // `code` names the key, whatever the layout types on it (Ctrl+K on a Russian layout
        // is Ctrl+Л).
        match event.code().as_str() {
            "KeyK" if command && !event.shift_key() && !event.alt_key() => {
                event.prevent_default();
                shortcuts.search.set(true);
                if !on_chat_page() {
                    to_chat(SEARCH);
                }
            }
            "KeyO" if command && event.shift_key() && !event.alt_key() => {
                event.prevent_default();
                shortcuts.compose.set(true);
                if location.pathname.get_untracked() != "/chat" {
                    to_chat(COMPOSE);
                }
            }
            _ if event.key() == "?" && !command && !event.alt_key() && !typing_into(&event) => {
                event.prevent_default();
                shortcuts.help.set(true);
            }
            _ => {}
        }
    });
    on_cleanup(move || listener.remove());

    view! { <ShortcutsDialog open=shortcuts.help/> }
}

/// The list of shortcuts, as a modal dialog: it keeps focus inside while open, closes on
/// Escape or its button, and gives focus back to where it was.
#[component]
fn ShortcutsDialog(open: RwSignal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let dialog = NodeRef::<html::Dialog>::new();
    Effect::new(move |_| {
        let want = open.get();
        if let Some(d) = dialog.get() {
            if want && !d.open() {
                let _ = d.show_modal();
            } else if !want && d.open() {
                d.close();
            }
        }
    });
    // The key combinations are the same in every language; what they do is translated.
    let rows = move || -> [(&'static str, &'static str); 5] {
        [
            ("Ctrl+K  /  ⌘K", t_string!(i18n, chat.shortcut_search)),
            (
                "Ctrl+Shift+O  /  ⌘⇧O",
                t_string!(i18n, chat.shortcut_new_chat),
            ),
            ("Escape", t_string!(i18n, chat.shortcut_stop)),
            ("Enter  /  Shift+Enter", t_string!(i18n, chat.shortcut_send)),
            ("?", t_string!(i18n, chat.shortcut_help)),
        ]
    };
    view! {
        <dialog
            node_ref=dialog
            class="dialog shortcuts-dialog"
            aria-labelledby="shortcuts-title"
            on:close=move |_| open.set(false)
        >
            <h2 id="shortcuts-title">{tx!(i18n, chat.shortcuts_title)}</h2>
            <dl class="shortcut-list">
                {move || rows().into_iter().map(|(keys, what)| view! {
                    <div class="shortcut">
                        <dt><kbd>{keys}</kbd></dt>
                        <dd>{what}</dd>
                    </div>
                }).collect_view()}
            </dl>
            <form method="dialog">
                <button type="submit" class="button">{tx!(i18n, chat.close)}</button>
            </form>
        </dialog>
    }
}
