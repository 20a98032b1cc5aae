//! The chat area's header: the drawer button (phone width), the title, Export and the user menu.

use leptos::prelude::*;

use super::user_menu::UserMenu;
use crate::ui::chat_list::use_chat_list;

#[component]
pub fn ChatHeader(
    #[prop(into)] title: Signal<String>,
    /// The open chat, which can be exported as its markdown document.
    #[prop(optional)]
    chat_id: Option<uuid::Uuid>,
) -> impl IntoView {
    let list = use_chat_list();
    view! {
        <header class="chat-header">
            <button
                type="button"
                class="menu-button"
                aria-label="Show chats"
                aria-controls="chat-sidebar"
                aria-expanded=move || list.drawer_open.get().to_string()
                on:click=move |_| list.drawer_open.update(|o| *o = !*o)
            >
                "☰"
            </button>
            <h1 class="chat-title">{move || title.get()}</h1>
            {chat_id.map(|id| view! {
                <a
                    class="button small secondary export"
                    href=format!("/v1/chats/{id}/document")
                    download=""
                    title="Download this chat as a markdown document"
                >
                    "Export .md"
                </a>
            })}
            <UserMenu/>
        </header>
    }
}
