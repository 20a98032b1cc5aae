//! The left sidebar: logo, New Chat, the history search, and the user's chats (newest first,
//! more on scroll); while a search is typed its results take the list's place.

use leptos::html;
use leptos::prelude::*;
use leptos_router::components::A;

use super::chat_list_item::ChatListItem;
use super::chat_search::{ChatSearchBox, ChatSearchResults, SearchState};
use crate::i18n::*;
use crate::ui::chat_list::use_chat_list;
use crate::ui::shortcuts::{focus_soon, use_shortcuts};

#[component]
pub fn ChatSidebar() -> impl IntoView {
    let i18n = use_i18n();
    let list = use_chat_list();
    let search = SearchState::new();
    let scroller = NodeRef::<html::Nav>::new();
    let on_scroll = move |_| {
        if let Some(el) = scroller.get_untracked() {
            if el.scroll_top() + el.client_height() >= el.scroll_height() - 80 {
                list.load_more();
            }
        }
    };
    // Ctrl/Cmd+K: the search box, in the drawer opened for it on a phone.
    if let Some(shortcuts) = use_shortcuts() {
        Effect::new(move |_| {
            if shortcuts.search.get() {
                shortcuts.search.set(false);
                list.drawer_open.set(true);
                focus_soon("chat-search-input");
            }
        });
    }
    view! {
        <aside class="sidebar" id="chat-sidebar" aria-label=tx!(i18n, chat.your_chats)>
            <div class="sidebar-top">
                <A href="/" attr:class="logo">
                    <span class="logo-mark" aria-hidden="true">"◆"</span>
                    "maruntime"
                </A>
                <A href="/chat" attr:class="button new-chat" on:click=move |_| list.drawer_open.set(false)>
                    {tx!(i18n, chat.new_chat_button)}
                </A>
            </div>
            <ChatSearchBox search/>
            {move || search.active().then(|| view! {
                <nav class="chat-list" aria-label=tx!(i18n, chat.search_results)>
                    <ChatSearchResults search on_open=move |_| list.drawer_open.set(false)/>
                </nav>
            })}
            <nav class="chat-list" class:hidden=move || search.active() node_ref=scroller on:scroll=on_scroll aria-label=tx!(i18n, chat.chats)>
                <ul>
                    <For
                        each=move || list.chats.get()
                        key=|chat| (chat.id, chat.title.clone(), chat.updated_at)
                        let:chat
                    >
                        <ChatListItem chat/>
                    </For>
                </ul>
                {move || list.chats.with(|c| c.is_empty()).then(|| view! {
                    <p class="muted sidebar-empty">{tx!(i18n, chat.no_chats)}</p>
                })}
                {move || list.error.get().map(|e| view! { <p class="form-error">{e}</p> })}
                {move || list.next.get().is_some().then(|| view! {
                    <button type="button" class="link-button load-more" on:click=move |_| list.load_more()>
                        {move || if list.loading_more.get() { t_string!(i18n, chat.loading) } else { t_string!(i18n, chat.load_more_chats) }}
                    </button>
                })}
            </nav>
        </aside>
    }
}
