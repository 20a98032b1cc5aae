//! `/chat` and `/chat/{id}`: the sidebar with the user's chats beside the conversation.
//! The server renders the sidebar and the messages in place (no loading flash).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::{use_location, use_navigate};

use crate::api::chats::{get_chat_view, list_chats, send_message, ChatView as ChatData};
use crate::error::AppError;
use crate::i18n::*;
use crate::model::{Chat, Page};
use crate::ui::agent_run::AgentRun;
use crate::ui::chat_list::{use_chat_list, ChatList};
use crate::ui::components::chat_header::ChatHeader;
use crate::ui::components::chat_sidebar::ChatSidebar;
use crate::ui::components::composer::Composer;
use crate::ui::components::message_list::MessageList;
use crate::ui::components::require_login::RequireLogin;
use crate::ui::page_load::named_load;
use crate::ui::pages::not_found::NotFoundStatus;
use crate::ui::shortcuts::focus_soon;
use crate::ui::text::error_text;

/// The parent route: login check, then the first page of chats, then the layout.
#[component]
pub fn ChatLayout() -> impl IntoView {
    view! {
        <RequireLogin>
            <ChatLayoutLoaded/>
        </RequireLogin>
    }
}

/// The open chat's data (and the message it was opened at), loaded by the layout and read
/// by [`ChatView`].
#[derive(Clone, Copy)]
struct OpenChat(Resource<Result<Option<Opened>, AppError>>);

/// A chat's data and the message to show first, if it was opened at one.
type Opened = (ChatData, Option<uuid::Uuid>);

#[component]
fn ChatLayoutLoaded() -> impl IntoView {
    // Every resource of the page is created here, outside any <Suspense>: resources created
    // inside a suspended child can stall leptos 0.8's SSR stream (leptos-rs/leptos#4866).
    let i18n = use_i18n();
    let location = use_location();
    // `?m=` (from a search result) opens the chat at that message.
    let open_id = Memo::new(move |_| {
        let id = location
            .pathname
            .get()
            .strip_prefix("/chat/")
            .map(str::to_string)?;
        Some((id, location.query.with(|q| q.get("m"))))
    });
    let first_page = Resource::new(|| (), |_| named_load("the list of chats", list_chats(None)));
    let open_chat = Resource::new(
        move || open_id.get(),
        |id| {
            named_load("the open chat", async move {
                match id {
                    Some((id, around)) => {
                        let focus = around
                            .as_deref()
                            .and_then(|m| uuid::Uuid::parse_str(m).ok());
                        get_chat_view(id, around).await.map(|v| Some((v, focus)))
                    }
                    None => Ok(None),
                }
            })
        },
    );
    provide_context(OpenChat(open_chat));
    view! {
        <Suspense fallback=move || view! { <p class="loading">{tx!(i18n, chat.loading_chats)}</p> }>
            {move || Suspend::new(async move {
                match first_page.await {
                    Ok(page) => view! { <ChatShell page/> }.into_any(),
                    Err(e) => view! { <p class="form-error">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ChatShell(page: Page<Chat>) -> impl IntoView {
    let list = ChatList::new(page);
    provide_context(list);
    // The phone-width drawer closes on Escape (unless the search box used it to clear itself),
    // and focus goes back to the button that opens it.
    let on_keydown = move |event: leptos::ev::KeyboardEvent| {
        if event.key() == "Escape" && !event.default_prevented() && list.drawer_open.get_untracked()
        {
            list.drawer_open.set(false);
            focus_soon("drawer-button");
        }
    };
    view! {
        <div class="chat-layout" class:drawer-open=move || list.drawer_open.get() on:keydown=on_keydown>
            <ChatSidebar/>
            <div class="drawer-backdrop" on:click=move |_| list.drawer_open.set(false)></div>
            <section class="chat-main">
                <Outlet/>
            </section>
        </div>
    }
}

/// `/chat`: an empty conversation; the first message creates the chat.
#[component]
pub fn NewChatView() -> impl IntoView {
    let i18n = use_i18n();
    let list = use_chat_list();
    let navigate = use_navigate();
    let send = Action::new(|content: &String| send_message(None, content.clone()));
    Effect::new(move |_| {
        if let Some(Ok(sent)) = send.value().get() {
            list.bump(sent.chat.clone());
            // The chat page follows the run that answers the first message.
            navigate(&format!("/chat/{}", sent.chat.id), Default::default());
        }
    });
    view! {
        <Title text=t_string!(i18n, chat.new_chat)/>
        <ChatHeader title=Signal::derive(move || t_string!(i18n, chat.new_chat).to_string())/>
        <div class="messages">
            <div class="empty-chat">
                <h2>{tx!(i18n, chat.empty_title)}</h2>
                <p class="muted">{tx!(i18n, chat.empty_hint)}</p>
            </div>
        </div>
        <Composer send new_chat=true/>
    }
}

/// `/chat/{id}`: one conversation. Another user's chat is indistinguishable from none.
#[component]
pub fn ChatView() -> impl IntoView {
    let i18n = use_i18n();
    let OpenChat(data) = expect_context::<OpenChat>();
    view! {
        <Suspense fallback=move || view! { <p class="loading">{tx!(i18n, chat.loading_chat)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                Ok(Some((view, focus))) => view! { <Conversation data=view focus/> }.into_any(),
                Ok(None) => ().into_any(),
                Err(AppError::NotFound(_)) => view! {
                    <NotFoundStatus/>
                    <Title text=t_string!(i18n, chat.not_found_title)/>
                    <ChatHeader title=Signal::derive(move || t_string!(i18n, chat.not_found_title).to_string())/>
                    <div class="messages">
                        <div class="empty-chat">
                            <h2>{tx!(i18n, chat.not_found_heading)}</h2>
                            <p class="muted">{tx!(i18n, chat.not_found_hint)}</p>
                            <A href="/chat" attr:class="button">{tx!(i18n, chat.start_new_chat)}</A>
                        </div>
                    </div>
                }.into_any(),
                Err(e) => view! { <p class="form-error">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Conversation(data: ChatData, focus: Option<uuid::Uuid>) -> impl IntoView {
    let list = use_chat_list();
    let chat_id = data.chat.id;
    let agent_name = if data.chat.agent == crate::validation::DEFAULT_AGENT {
        "Memory Agent".to_string()
    } else {
        data.chat.agent.clone()
    };
    let messages = RwSignal::new(data.messages.data);
    let older = RwSignal::new(data.messages.next);
    let own_title = data.chat.title.clone();
    // The sidebar's copy follows renames; a chat not (yet) in the loaded list keeps its own.
    let title = Signal::derive(move || {
        list.chats
            .with(|chats| {
                chats
                    .iter()
                    .find(|c| c.id == chat_id)
                    .map(|c| c.title.clone())
            })
            .unwrap_or_else(|| own_title.clone())
    });
    let run = AgentRun::new(chat_id, messages);
    let send = Action::new(move |content: &String| {
        send_message(Some(chat_id.to_string()), content.clone())
    });
    Effect::new(move |_| {
        if let Some(Ok(sent)) = send.value().get() {
            messages.update(|list| {
                if !list.iter().any(|m| m.id == sent.message.id) {
                    list.push(sent.message.clone());
                }
            });
            list.bump(sent.chat);
            // The message is stored and the agent is answering it: show that run.
            run.follow(sent.run);
        }
    });
    // A run going when the page was read (a reload, another tab, the first message sent
    // from /chat) is followed from its start. Effects run only in the browser.
    if let Some(run_id) = data.run {
        Effect::new(move |_| run.follow(run_id));
    }
    // The server-rendered <title> is a snapshot: leptos_meta would read a reactive title after
    // this component is disposed (SSR re-renders suspended children), which panics. Renames
    // reach the browser tab through the effect instead.
    let initial_title = title.get_untracked();
    Effect::new(move |_| {
        let text = title.get();
        document().set_title(&format!("{text} · maruntime"));
    });
    view! {
        <Title text=initial_title/>
        <ChatHeader title chat_id/>
        <MessageList chat_id agent=agent_name messages older run focus/>
        <Composer send busy=Signal::derive(move || run.busy()) stop=move |_| run.stop()/>
    }
}
