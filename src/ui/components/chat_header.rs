//! The chat area's header: the drawer button (phone width), the title, Export and the user menu.

use leptos::prelude::*;

use super::user_menu::UserMenu;
use crate::i18n::*;
use crate::ui::chat_list::use_chat_list;
use crate::ui::shortcuts::focus_soon;

#[component]
pub fn ChatHeader(
    #[prop(into)] title: Signal<String>,
    /// The open chat, which can be exported as its markdown document.
    #[prop(optional)]
    chat_id: Option<uuid::Uuid>,
) -> impl IntoView {
    let i18n = use_i18n();
    let list = use_chat_list();
    view! {
        <header class="chat-header">
            <button
                type="button"
                class="menu-button"
                id="drawer-button"
                aria-label=tx!(i18n, chat.show_chats)
                aria-controls="chat-sidebar"
                aria-expanded=move || list.drawer_open.get().to_string()
                on:click=move |_| {
                    list.drawer_open.update(|o| *o = !*o);
                    // Opened: focus moves into the drawer, to its search box.
                    if list.drawer_open.get_untracked() {
                        focus_soon("chat-search-input");
                    }
                }
            >
                "☰"
            </button>
            <h1 class="chat-title">{move || title.get()}</h1>
            {chat_id.map(|id| view! {
                <a
                    class="button small secondary export"
                    href=format!("/v1/chats/{id}/document")
                    download=""
                    title=tx!(i18n, chat.export_hint)
                >
                    {tx!(i18n, chat.export)}
                </a>
            })}
            <UserMenu/>
        </header>
    }
}
