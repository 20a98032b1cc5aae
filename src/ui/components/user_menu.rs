//! The user menu: the display name opens a menu with Profile and Log out (and Administration
//! for admins). It closes on an outside click and on Escape, and works by keyboard (arrows
//! move between items).

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

use crate::i18n::*;
use crate::model::AccountRole;
use crate::ui::auth_context::use_auth;
use crate::ui::components::server_form::ServerForm;
use crate::ui::shortcuts::use_shortcuts;

#[component]
pub fn UserMenu() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let open = RwSignal::new(false);
    let root = NodeRef::<html::Div>::new();
    let button = NodeRef::<html::Button>::new();

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

    // Arrows move through the items as they are in the page (admins have one more).
    let move_focus = move |step: i32| {
        request_animation_frame(move || {
            let Some(root) = root.get_untracked() else {
                return;
            };
            let Ok(items) = root.query_selector_all("[role=menuitem]") else {
                return;
            };
            let count = items.length() as i32;
            if count == 0 {
                return;
            }
            let active = document().active_element();
            let current = (0..count).find(|&i| {
                let item = items.item(i as u32);
                matches!((&item, &active), (Some(item), Some(active)) if item.is_same_node(Some(active.unchecked_ref())))
            });
            let next = match current {
                Some(i) => (i + step).rem_euclid(count),
                // From the button: Down picks the first item, Up the last.
                None if step > 0 => 0,
                None => count - 1,
            };
            if let Some(item) = items
                .item(next as u32)
                .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = item.focus();
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
            open.set(true);
            move_focus(if event.key() == "ArrowDown" { 1 } else { -1 });
        }
        _ => {}
    };

    let is_admin = move || {
        auth.user
            .with(|u| u.as_ref().is_some_and(|u| u.role == AccountRole::Admin))
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
                {move || is_admin().then(|| view! {
                    <a href="/admin" role="menuitem" on:click=move |_| open.set(false)>{tx!(i18n, common.administration)}</a>
                })}
                <a href="/profile" role="menuitem" on:click=move |_| open.set(false)>{tx!(i18n, common.profile)}</a>
                {use_shortcuts().map(|shortcuts| view! {
                    <button type="button" role="menuitem" on:click=move |_| {
                        open.set(false);
                        shortcuts.help.set(true);
                    }>
                        {tx!(i18n, common.keyboard_shortcuts)} " " <kbd class="menu-hint" aria-hidden="true">"?"</kbd>
                    </button>
                })}
                <ServerForm action=auth.logout attr:class="menu-form">
                    <button type="submit" role="menuitem">{tx!(i18n, common.log_out)}</button>
                </ServerForm>
            </div>
        </div>
    }
}
