//! The messages of a chat: the latest on load, earlier ones when scrolled to the top.
//! User messages are plain text; the agent's are Markdown, which the server renders.

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::markdown::Markdown;
use crate::api::chats::{older_messages, whole_message};
use crate::i18n::*;
use crate::model::{AgentStep, Message, Role};
use crate::ui::agent_run::{AgentRun, Announcement};
use crate::ui::text::error_text;

#[component]
pub fn MessageList(
    chat_id: uuid::Uuid,
    agent: String,
    messages: RwSignal<Vec<Message>>,
    /// Cursor for earlier messages; `None` when the start of the chat is loaded.
    older: RwSignal<Option<String>>,
    run: AgentRun,
    /// A message to show (and mark) instead of the latest: the chat was opened at it.
    focus: Option<uuid::Uuid>,
) -> impl IntoView {
    let i18n = use_i18n();
    let agent_name = agent.clone();
    let agent_announce = agent.clone();
    let focus_pending = StoredValue::new(focus);
    let scroller = NodeRef::<html::Div>::new();
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // Whether the view follows new messages to the bottom (false while reading history).
    let follow = RwSignal::new(true);

    Effect::new(move |_| {
        messages.track();
        run.streaming.track();
        if let Some(target) = focus_pending.get_value() {
            focus_pending.set_value(None);
            follow.set(false);
            request_animation_frame(move || {
                if let Some(el) = document().get_element_by_id(&format!("message-{target}")) {
                    el.scroll_into_view_with_bool(true);
                }
            });
        } else if follow.get_untracked() {
            request_animation_frame(move || {
                if let Some(el) = scroller.try_get_untracked().flatten() {
                    el.set_scroll_top(el.scroll_height());
                }
            });
        }
    });

    let load_older = move || {
        let Some(cursor) = older.get_untracked() else {
            return;
        };
        if loading.get_untracked() {
            return;
        }
        loading.set(true);
        spawn_local(async move {
            match older_messages(chat_id.to_string(), cursor).await {
                Ok(page) => {
                    let before = scroller
                        .get_untracked()
                        .map(|el| (el.scroll_height(), el.scroll_top()));
                    follow.set(false);
                    messages.update(|list| {
                        let mut earlier = page.data;
                        earlier.append(list);
                        *list = earlier;
                    });
                    older.set(page.next);
                    error.set(None);
                    // Keep the message the reader was looking at in place.
                    request_animation_frame(move || {
                        if let (Some(el), Some((height, top))) = (scroller.get_untracked(), before)
                        {
                            el.set_scroll_top(el.scroll_height() - height + top);
                        }
                    });
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
            loading.set(false);
        });
    };

    let on_scroll = move |_| {
        if let Some(el) = scroller.get_untracked() {
            follow.set(el.scroll_top() + el.client_height() >= el.scroll_height() - 40);
            if el.scroll_top() < 80 {
                load_older();
            }
        }
    };

    view! {
        // The reply is announced to screen readers whole, once it is written (the streaming
        // text itself is not a live region: it would be read letter by letter).
        <div class="visually-hidden" role="status" aria-atomic="true">
            {move || run.announce.get().map(|a| match a {
                Announcement::Answering => {
                    t!(i18n, chat.announce_answering, agent = agent_announce.clone()).into_any()
                }
                Announcement::Answered(text) => {
                    t!(i18n, chat.announce_answered, agent = agent_announce.clone(), text).into_any()
                }
                Announcement::Stopped(text) => {
                    t!(i18n, chat.announce_stopped, agent = agent_announce.clone(), text).into_any()
                }
            })}
        </div>
        <div class="messages" node_ref=scroller on:scroll=on_scroll>
            {move || older.get().is_some().then(|| view! {
                <button type="button" class="link-button load-earlier" on:click=move |_| load_older()>
                    {move || if loading.get() { t_string!(i18n, chat.loading_earlier) } else { t_string!(i18n, chat.load_earlier) }}
                </button>
            })}
            {move || error.get().map(|e| view! { <p class="form-error">{e}</p> })}
            {move || messages.with(|m| m.is_empty()).then(|| view! {
                <p class="empty-chat">{tx!(i18n, chat.no_messages)}</p>
            })}
            <For each=move || messages.get() key=|m| m.id let:message>
                <MessageItem chat_id focused=focus == Some(message.id) message agent=agent.clone() run messages/>
            </For>
            {move || run.streaming.get().map(|s| view! {
                <article class="message assistant streaming" aria-busy="true">
                    <header class="message-meta">
                        <span class="message-author">{agent_name.clone()}</span>
                        <span class="typing">{match s.tool.clone() {
                            Some(tool) => t!(i18n, chat.using_tool, tool).into_any(),
                            None => tx!(i18n, chat.typing_answering).into_any(),
                        }}</span>
                    </header>
                    <Steps steps=s.steps/>
                    <Markdown html=Some(s.blocks.concat())/>
                </article>
            })}
            <RunStatus run messages/>
        </div>
    }
}

/// Stop while a reply streams; the error and Retry when a run failed, or when the latest
/// message has no answer and nothing is answering it.
#[component]
fn RunStatus(run: AgentRun, messages: RwSignal<Vec<Message>>) -> impl IntoView {
    let i18n = use_i18n();
    let unanswered =
        move || messages.with(|m| m.last().is_some_and(|last| last.role == Role::User));
    let last_failed = move || {
        messages.with(|m| {
            m.last()
                .filter(|last| last.role == Role::Assistant)
                .and_then(|last| last.reply_data().failed)
        })
    };
    move || {
        if run.running.get() {
            view! {
                <div class="run-status">
                    <button type="button" class="button small secondary" on:click=move |_| run.stop()>{tx!(i18n, chat.stop)}</button>
                </div>
            }
            .into_any()
        } else if run.busy() {
            view! {
                <div class="run-status">
                    <p class="muted">{tx!(i18n, chat.starting_agent)}</p>
                </div>
            }
            .into_any()
        } else if let Some(error) = run.error.get() {
            view! {
                <div class="run-status error" role="alert">
                    <p>{error}</p>
                    <button type="button" class="button small" on:click=move |_| run.retry()>{tx!(i18n, chat.retry)}</button>
                </div>
            }
            .into_any()
        } else if last_failed().is_some() {
            view! {
                <div class="run-status error">
                    <button type="button" class="button small" on:click=move |_| run.retry()>{tx!(i18n, chat.retry)}</button>
                </div>
            }
            .into_any()
        } else if unanswered() {
            view! {
                <div class="run-status">
                    <p class="muted">{tx!(i18n, chat.no_answer_yet)}</p>
                    <button type="button" class="button small" on:click=move |_| run.retry()>{tx!(i18n, chat.retry)}</button>
                </div>
            }
            .into_any()
        } else {
            ().into_any()
        }
    }
}

/// The agent's steps, one expandable line each.
#[component]
fn Steps(steps: Vec<AgentStep>) -> impl IntoView {
    let i18n = use_i18n();
    (!steps.is_empty()).then(|| {
        view! {
            <ul class="steps">
                {steps.into_iter().map(|step| view! {
                    <li class="step" class:failed=!step.ok>
                        <details>
                            <summary>{step.summary.clone()}</summary>
                            <p class="muted">{t!(i18n, chat.step_duration, tool = step.tool.clone(), ms = step.duration_ms)}</p>
                            <pre><code>{step.arguments.clone()}</code></pre>
                        </details>
                    </li>
                }).collect_view()}
            </ul>
        }
    })
}

#[component]
fn MessageItem(
    chat_id: uuid::Uuid,
    message: Message,
    agent: String,
    focused: bool,
    run: AgentRun,
    messages: RwSignal<Vec<Message>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let reply = message.reply_data();
    let (class, who) = match message.role {
        Role::User => ("message user", tu_string!(i18n, chat.you).to_string()),
        Role::Assistant => ("message assistant", agent),
        // The model's calls to a gateway client's own tools are the agent's words.
        Role::Tool if !reply.tool_calls.is_empty() => ("message tool-calls", agent),
        Role::Tool => (
            "message tool",
            tu_string!(i18n, chat.tool_result).to_string(),
        ),
        Role::System => ("message system", tu_string!(i18n, chat.system).to_string()),
    };
    let created_at = message.created_at;
    let time = move || crate::ui::format_time(created_at, i18n.get_locale());
    let iso = message.created_at.to_rfc3339();
    let id = message.id;
    let role = message.role;
    // Only the latest user message can be edited, and only the latest answer regenerated,
    // while nothing runs.
    let is_latest = move || {
        !run.busy()
            && messages.with(|list| {
                list.iter().rev().find(|m| m.role == role).map(|m| m.id) == Some(id)
                    && (role == Role::User || list.last().map(|m| m.id) == Some(id))
            })
    };
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(message.content.clone());
    let body = match message.role {
        Role::Assistant => view! {
            <Steps steps=reply.steps/>
            <Markdown html=message.html.clone() text=message.content.clone()/>
            {reply.stopped.then(|| view! { <p class="stopped-note">{tx!(i18n, chat.stopped)}</p> })}
            {reply.cut.then(|| view! { <p class="stopped-note">{tx!(i18n, chat.cut_short)}</p> })}
            {reply.failed.map(|error| view! { <p class="failed-note" role="alert">{t!(i18n, chat.reply_failed, error)}</p> })}
            {move || (is_latest() && reply_data_ok(messages, id)).then(|| view! {
                <div class="message-actions">
                    <button type="button" class="link-button" on:click=move |_| run.retry()>{tx!(i18n, chat.regenerate)}</button>
                </div>
            })}
        }
        .into_any(),
        Role::User => {
            let content = message.content.clone();
            view! {
                {move || if editing.get() {
                    view! {
                        <form class="edit-message" on:submit=move |event: leptos::ev::SubmitEvent| {
                            event.prevent_default();
                            let text = draft.get_untracked();
                            if !text.trim().is_empty() {
                                editing.set(false);
                                run.edit(id, text);
                            }
                        }>
                            <textarea
                                aria-label=tx!(i18n, chat.edit_message_label)
                                rows="3"
                                maxlength=crate::validation::MESSAGE_MAX
                                prop:value=move || draft.get()
                                on:input=move |event| draft.set(event_target_value(&event))
                            ></textarea>
                            <div class="message-actions">
                                <button type="submit" class="button small">{tx!(i18n, chat.save_and_resend)}</button>
                                <button type="button" class="button small secondary" on:click=move |_| editing.set(false)>{tx!(i18n, chat.cancel)}</button>
                            </div>
                        </form>
                    }.into_any()
                } else {
                    view! {
                        <div class="plain">{content.clone()}</div>
                        {move || is_latest().then(|| view! {
                            <div class="message-actions">
                                <button type="button" class="link-button" on:click=move |_| editing.set(true)>{tx!(i18n, chat.edit)}</button>
                            </div>
                        })}
                    }.into_any()
                }}
            }
            .into_any()
        }
        Role::Tool if !reply.tool_calls.is_empty() => view! {
            <Steps steps=reply.steps/>
            {(!message.content.trim().is_empty()).then(|| view! { <Markdown html=message.html.clone() text=message.content.clone()/> })}
            <ul class="steps">
                {reply.tool_calls.into_iter().map(|call| view! {
                    <li class="step client-call">
                        <details>
                            <summary>{t!(i18n, chat.asked_client, name = call.name)}</summary>
                            <p class="muted">{t!(i18n, chat.call_id, id = call.id)}</p>
                            <pre><code>{call.arguments}</code></pre>
                        </details>
                    </li>
                }).collect_view()}
            </ul>
        }
        .into_any(),
        Role::Tool => {
            let call = reply.tool_call_id.unwrap_or_default();
            view! {
                <details class="tool-result">
                    <summary>{t!(i18n, chat.client_result, call)}</summary>
                    <pre><code>{message.content.clone()}</code></pre>
                </details>
            }
            .into_any()
        }
        _ => view! { <div class="plain">{message.content.clone()}</div> }.into_any(),
    };
    // A long message (an imported document) came shortened: the whole text on request.
    let whole = RwSignal::new(None::<Message>);
    let shortened = message.shortened;
    let markdown = message.html.is_some();
    view! {
        <article class=class class:focused=focused id=format!("message-{}", message.id) data-role=message.role.as_str()>
            <header class="message-meta">
                <span class="message-author">{who}</span>
                <time datetime=iso>{time}</time>
            </header>
            <div class="message-body" hidden=move || whole.with(Option::is_some)>{body}</div>
            {shortened.then(|| view! { <WholeMessage chat_id id markdown whole/> })}
        </article>
    }
}

/// The note under a shortened message, its button, and then the whole text in its place.
#[component]
fn WholeMessage(
    chat_id: uuid::Uuid,
    id: uuid::Uuid,
    markdown: bool,
    whole: RwSignal<Option<Message>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let load = move |_| {
        loading.set(true);
        spawn_local(async move {
            match whole_message(chat_id.to_string(), id.to_string()).await {
                Ok(message) => whole.set(Some(message)),
                Err(e) => error.set(Some(error_text(&e))),
            }
            loading.set(false);
        });
    };
    move || {
        match whole.get() {
        Some(message) if markdown => {
            view! { <Markdown html=message.html.clone() text=message.content.clone()/> }.into_any()
        }
        Some(message) => view! { <div class="plain">{message.content}</div> }.into_any(),
        None => view! {
            <p class="shortened-note muted">
                {tx!(i18n, chat.shortened)}" "
                <button type="button" class="link-button" disabled=move || loading.get() on:click=load>
                    {move || if loading.get() { t_string!(i18n, chat.loading_whole) } else { t_string!(i18n, chat.show_whole) }}
                </button>
            </p>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        }
        .into_any(),
    }
    }
}

/// Whether the reply `id` is a whole one (a failed reply gets Retry from the run status
/// instead of Regenerate).
fn reply_data_ok(messages: RwSignal<Vec<Message>>, id: uuid::Uuid) -> bool {
    messages.with(|list| {
        list.iter()
            .find(|m| m.id == id)
            .is_some_and(|m| m.reply_data().failed.is_none())
    })
}
