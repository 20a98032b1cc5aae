//! One chat in the sidebar: a link, inline rename (Enter saves, Escape cancels) and delete
//! with a confirmation. Changes show at once and are undone if the server refuses them.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate};

use crate::api::chats::{delete_chat, rename_chat};
use crate::i18n::*;
use crate::model::Chat;
use crate::ui::chat_list::use_chat_list;
use crate::ui::text::error_text_in;
use crate::validation::TITLE_MAX;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Normal,
    Renaming,
    ConfirmingDelete,
}

#[component]
pub fn ChatListItem(chat: Chat) -> impl IntoView {
    let i18n = use_i18n();
    let list = use_chat_list();
    let location = use_location();
    let navigate = use_navigate();
    let mode = RwSignal::new(Mode::Normal);
    let error = RwSignal::new(None::<String>);
    let input = NodeRef::<html::Input>::new();
    let href = format!("/chat/{}", chat.id);
    let id = chat.id;
    let chat = StoredValue::new(chat);

    let start_rename = move |_| {
        error.set(None);
        mode.set(Mode::Renaming);
        request_animation_frame(move || {
            if let Some(el) = input.get_untracked() {
                let _ = el.focus();
                el.select();
            }
        });
    };
    let save = move || {
        let Some(el) = input.get_untracked() else {
            return;
        };
        let old = chat.get_value();
        let title = el.value().trim().to_string();
        if title == old.title {
            mode.set(Mode::Normal);
            return;
        }
        if title.is_empty() {
            error.set(Some(tu_string!(i18n, chat.title_empty).to_string()));
            return;
        }
        mode.set(Mode::Normal);
        list.replace(Chat {
            title: title.clone(),
            ..old.clone()
        });
        let locale = i18n.get_locale_untracked();
        spawn_local(async move {
            match rename_chat(id.to_string(), title).await {
                Ok(saved) => list.replace(saved),
                Err(e) => {
                    list.replace(old);
                    error.try_set(Some(error_text_in(&e, locale)));
                }
            }
        });
    };
    let on_key = move |event: ev::KeyboardEvent| match event.key().as_str() {
        "Enter" => {
            event.prevent_default();
            save();
        }
        "Escape" => {
            event.prevent_default();
            error.set(None);
            mode.set(Mode::Normal);
        }
        _ => {}
    };
    let confirm_delete = move |_| {
        let removed = list.remove(id);
        let viewing = location.pathname.get_untracked() == format!("/chat/{id}");
        if viewing {
            navigate("/chat", Default::default());
        }
        let failed = tu_string!(i18n, chat.delete_failed);
        let locale = i18n.get_locale_untracked();
        spawn_local(async move {
            if let Err(e) = delete_chat(id.to_string()).await {
                if let Some((at, chat)) = removed {
                    list.restore(at, chat);
                }
                list.error
                    .set(Some(format!("{failed} {}", error_text_in(&e, locale))));
            }
        });
    };

    let title = chat.get_value().title;
    view! {
        <li class="chat-item">
            {move || match mode.get() {
                Mode::Normal => view! {
                    <A href=href.clone() attr:class="chat-link" on:click=move |_| list.drawer_open.set(false)>
                        <span class="chat-title-text">{chat.get_value().title}</span>
                    </A>
                    <div class="chat-actions">
                        <button type="button" class="icon-button" aria-label=format!("{} {}", t_string!(i18n, chat.rename_chat), chat.get_value().title) on:click=start_rename>"✎"</button>
                        <button type="button" class="icon-button" aria-label=format!("{} {}", t_string!(i18n, chat.delete_chat), chat.get_value().title) on:click=move |_| mode.set(Mode::ConfirmingDelete)>"🗑"</button>
                    </div>
                }.into_any(),
                Mode::Renaming => view! {
                    <input
                        class="rename-input"
                        node_ref=input
                        aria-label=tx!(i18n, chat.chat_title_label)
                        maxlength=TITLE_MAX
                        value=title.clone()
                        on:keydown=on_key
                        on:blur=move |_| mode.set(Mode::Normal)
                    />
                }.into_any(),
                Mode::ConfirmingDelete => {
                    let confirm_delete = confirm_delete.clone();
                    view! {
                        <div class="confirm" role="alertdialog" aria-label=tx!(i18n, chat.confirm_delete)>
                            <span>{tx!(i18n, chat.delete_question)}</span>
                            <button type="button" class="button small danger" on:click=confirm_delete>{tx!(i18n, chat.delete)}</button>
                            <button type="button" class="button small secondary" on:click=move |_| mode.set(Mode::Normal)>{tx!(i18n, chat.cancel)}</button>
                        </div>
                    }.into_any()
                }
            }}
            {move || error.get().map(|e| view! { <p class="field-error">{e}</p> })}
        </li>
    }
}
