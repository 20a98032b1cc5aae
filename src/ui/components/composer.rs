//! The message input: Enter sends, Shift+Enter makes a new line. A message that fails to
//! send stays in the box with the error, so nothing typed is lost.

use leptos::ev;
use leptos::prelude::*;

use crate::api::chats::Sent;
use crate::error::AppError;
use crate::validation::MESSAGE_MAX;

#[component]
pub fn Composer(
    send: Action<String, Result<Sent, AppError>>,
    /// True while the agent answers: one question at a time.
    #[prop(optional, into)]
    busy: Signal<bool>,
) -> impl IntoView {
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
        Some(Err(e)) => error.set(Some(e.to_string())),
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
        }
    };

    view! {
        <form class="composer" on:submit=move |event: ev::SubmitEvent| {
            event.prevent_default();
            submit();
        }>
            {move || error.get().map(|e| view! { <p class="form-error composer-error" role="alert">{e}</p> })}
            {move || busy.get().then(|| view! {
                <p class="muted composer-note">"The agent is answering; you can send when it has finished (or press Stop)."</p>
            })}
            <div class="composer-row">
                <textarea
                    name="content"
                    aria-label="Message"
                    placeholder="Message… (Enter to send, Shift+Enter for a new line)"
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
                    {move || if pending.get() { "Sending…" } else { "Send" }}
                </button>
            </div>
        </form>
    }
}
