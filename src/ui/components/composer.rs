//! The message input: Enter sends, Shift+Enter makes a new line, Escape stops an answer
//! being written. A message that fails to send stays in the box with the error, so nothing
//! typed is lost.

use leptos::ev;
use leptos::prelude::*;

use crate::api::chats::Sent;
use crate::error::AppError;
use crate::i18n::*;
use crate::ui::shortcuts::{focus_soon, use_shortcuts};
use crate::ui::text::error_text;
use crate::validation::MESSAGE_MAX;

#[component]
pub fn Composer(
    send: Action<String, Result<Sent, AppError>>,
    /// True while the agent answers: one question at a time.
    #[prop(optional, into)]
    busy: Signal<bool>,
    /// Stops the answer being written (Escape while `busy`).
    #[prop(optional, into)]
    stop: Option<Callback<()>>,
    /// The box of a new chat: Ctrl/Cmd+Shift+O lands here.
    #[prop(optional)]
    new_chat: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let text = RwSignal::new(String::new());
    let sent_text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let pending = send.pending();

    Effect::new(move |_| match send.value().get() {
        Some(Ok(_)) => {
            // Clear only what was sent: anything typed meanwhile stays.
            if text.get_untracked() == sent_text.get_untracked() {
                text.set(String::new());
            }
            error.set(None);
        }
        Some(Err(e)) => error.set(Some(error_text(&e))),
        None => {}
    });

    let submit = move || {
        let content = text.get_untracked();
        if content.trim().is_empty() || pending.get_untracked() || busy.get_untracked() {
            return;
        }
        sent_text.set(content.clone());
        error.set(None);
        send.dispatch(content);
    };
    let on_keydown = move |event: ev::KeyboardEvent| {
        if event.key() == "Enter" && !event.shift_key() && !event.is_composing() {
            event.prevent_default();
            submit();
        } else if event.key() == "Escape" && busy.get_untracked() {
            if let Some(stop) = stop {
                event.prevent_default();
                stop.run(());
            }
        }
    };
    if let (true, Some(shortcuts)) = (new_chat, use_shortcuts()) {
        Effect::new(move |_| {
            if shortcuts.compose.get() {
                shortcuts.compose.set(false);
                focus_soon("composer-input");
            }
        });
    }

    view! {
        <form class="composer" on:submit=move |event: ev::SubmitEvent| {
            event.prevent_default();
            submit();
        }>
            {move || error.get().map(|e| view! { <p class="form-error composer-error" role="alert">{e}</p> })}
            {move || busy.get().then(|| view! {
                <p class="muted composer-note">{tx!(i18n, chat.agent_busy_note)}</p>
            })}
            <div class="composer-row">
                <textarea
                    id="composer-input"
                    name="content"
                    aria-label=tx!(i18n, chat.message_label)
                    placeholder=tx!(i18n, chat.message_placeholder)
                    rows="2"
                    maxlength=MESSAGE_MAX
                    prop:value=move || text.get()
                    on:input=move |event| text.set(event_target_value(&event))
                    on:keydown=on_keydown
                ></textarea>
                <button
                    type="submit"
                    class="button send"
                    disabled=move || pending.get() || busy.get() || text.get().trim().is_empty()
                >
                    {move || if pending.get() { t_string!(i18n, chat.sending) } else { t_string!(i18n, chat.send) }}
                </button>
            </div>
        </form>
    }
}
