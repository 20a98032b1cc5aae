//! The sidebar's chat list, shared by the sidebar and the chat views through context, so a
//! message sent or a chat renamed shows in the list at once.

use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::api::chats::list_chats;
use crate::model::{Chat, Page};
use crate::ui::text::error_text;

#[derive(Clone, Copy)]
pub struct ChatList {
    pub chats: RwSignal<Vec<Chat>>,
    /// Cursor for older chats; `None` when the list is complete.
    pub next: RwSignal<Option<String>>,
    pub loading_more: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
    /// The phone-width drawer.
    pub drawer_open: RwSignal<bool>,
}

impl ChatList {
    pub fn new(first_page: Page<Chat>) -> Self {
        ChatList {
            chats: RwSignal::new(first_page.data),
            next: RwSignal::new(first_page.next),
            loading_more: RwSignal::new(false),
            error: RwSignal::new(None),
            drawer_open: RwSignal::new(false),
        }
    }

    /// Puts `chat` at the top (it just had activity), replacing its old entry.
    pub fn bump(&self, chat: Chat) {
        self.chats.update(|list| {
            list.retain(|c| c.id != chat.id);
            list.insert(0, chat);
        });
    }

    /// Replaces a chat in place (a rename keeps its position).
    pub fn replace(&self, chat: Chat) {
        self.chats.update(|list| {
            if let Some(slot) = list.iter_mut().find(|c| c.id == chat.id) {
                *slot = chat;
            }
        });
    }

    /// Removes a chat, returning it and its position so a failed delete can put it back.
    pub fn remove(&self, id: Uuid) -> Option<(usize, Chat)> {
        let mut removed = None;
        self.chats.update(|list| {
            if let Some(i) = list.iter().position(|c| c.id == id) {
                removed = Some((i, list.remove(i)));
            }
        });
        removed
    }

    pub fn restore(&self, at: usize, chat: Chat) {
        self.chats
            .update(|list| list.insert(at.min(list.len()), chat));
    }

    /// Loads the next page of older chats, once at a time.
    pub fn load_more(self) {
        let Some(cursor) = self.next.get_untracked() else {
            return;
        };
        if self.loading_more.get_untracked() {
            return;
        }
        self.loading_more.set(true);
        spawn_local(async move {
            match list_chats(Some(cursor)).await {
                Ok(page) => {
                    self.chats.update(|list| {
                        for chat in page.data {
                            if !list.iter().any(|c| c.id == chat.id) {
                                list.push(chat);
                            }
                        }
                    });
                    self.next.set(page.next);
                    self.error.set(None);
                }
                Err(e) => self.error.set(Some(error_text(&e))),
            }
            self.loading_more.set(false);
        });
    }
}

pub fn use_chat_list() -> ChatList {
    expect_context::<ChatList>()
}
