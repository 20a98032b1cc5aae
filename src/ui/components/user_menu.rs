//! The user menu: the display name opens a menu with Profile and Log out. It closes on an
//! outside click and on Escape, and works by keyboard (arrows move between items).

use leptos::ev;
use leptos::form::ActionForm;
use leptos::html;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

use crate::ui::auth_context::use_auth;

#[component]
pub fn UserMenu() -> impl IntoView {
    let auth = use_auth();
    let open = RwSignal::new(false);
    let root = NodeRef::<html::Div>::new();
    let button = NodeRef::<html::Button>::new();
    let profile = NodeRef::<html::A>::new();
    let logout = NodeRef::<html::Button>::new();

    let outside = window_event_listener(ev::pointerdown, move |event| {
        if !open.get_untracked() {
            return;
        }
        let inside = match (root.get_untracked(), event.target()) {
            (Some(root), Some(target)) => root.contains(target.dyn_ref::<web_sys::Node>()),
            _ => false,
        };
        if !inside {
            open.set(false);
        }
    });
    on_cleanup(move || outside.remove());

    let focus_item = move |first: bool| {
        request_animation_frame(move || {
            if first {
                if let Some(a) = profile.get_untracked() {
                    let _ = a.focus();
                }
            } else if let Some(b) = logout.get_untracked() {
                let _ = b.focus();
            }
        });
    };
    let on_keydown = move |event: ev::KeyboardEvent| match event.key().as_str() {
        "Escape" if open.get_untracked() => {
            event.prevent_default();
            open.set(false);
            if let Some(b) = button.get_untracked() {
                let _ = b.focus();
            }
        }
        "ArrowDown" | "ArrowUp" => {
            event.prevent_default();
            let on_profile = match (profile.get_untracked(), document().active_element()) {
                (Some(a), Some(active)) => a.is_same_node(Some(&active)),
                _ => false,
            };
            let opening = !open.get_untracked();
            open.set(true);
            // From the button or the ends, the arrow picks the nearest item; otherwise it moves.
            focus_item(opening && event.key() == "ArrowDown" || !opening && !on_profile);
        }
        _ => {}
    };

    let name = move || {
        auth.current_user()
            .map(|u| u.display_name)
            .unwrap_or_default()
    };
    view! {
        <div class="user-menu" node_ref=root on:keydown=on_keydown>
            <button
                type="button"
                class="user-menu-button"
                node_ref=button
                aria-label=name
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                aria-controls="user-menu-list"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                <span class="avatar" aria-hidden="true">{move || name().chars().next().unwrap_or('?').to_string()}</span>
                <span class="user-menu-name">{name}</span>
                <span aria-hidden="true">"▾"</span>
            </button>
            <div id="user-menu-list" class="user-menu-list" role="menu" hidden=move || !open.get()>
                <a href="/profile" role="menuitem" node_ref=profile on:click=move |_| open.set(false)>"Profile"</a>
                <ActionForm action=auth.logout attr:class="menu-form">
                    <button type="submit" role="menuitem" node_ref=logout>"Log out"</button>
                </ActionForm>
            </div>
        </div>
    }
}
