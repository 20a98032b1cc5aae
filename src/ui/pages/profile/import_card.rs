//! "Import chats": a ChatGPT, Claude, Open WebUI or LibreChat export sent to
//! `POST /v1/imports`, with the server's own progress (bytes received, the file checked,
//! conversations written) while it goes, then what came in, with links to the chats.
//! An import that is already running (another tab, a reload) is shown as it goes on.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::imports::latest_import;
use crate::i18n::*;
use crate::model::{ImportStatus, ImportSummary};

/// Chats linked after an import; the rest are in the chat list.
const LINKS_SHOWN: usize = 20;

#[component]
pub fn ImportCard() -> impl IntoView {
    let i18n = use_i18n();
    let status = RwSignal::new(None::<ImportStatus>);
    let sending = RwSignal::new(false);
    let result = RwSignal::new(None::<Result<ImportSummary, String>>);
    let ticker = StoredValue::new(None::<IntervalHandle>);

    // Asks the server how the import goes; stops asking once nothing is sent or running.
    let tick = move || {
        spawn_local(async move {
            let Ok(latest) = latest_import().await else {
                return;
            };
            let running = latest.as_ref().is_some_and(ImportStatus::is_running);
            status.try_set(latest);
            if !running && !sending.get_untracked() {
                if let Some(h) = ticker.try_update_value(Option::take).flatten() {
                    h.clear();
                }
            }
        });
    };
    let watch = move || {
        if ticker.with_value(Option::is_some) {
            return;
        }
        let handle = set_interval_with_handle(tick, std::time::Duration::from_millis(400));
        ticker.set_value(handle.ok());
        tick();
    };
    on_cleanup(move || {
        if let Some(h) = ticker.try_update_value(Option::take).flatten() {
            h.clear();
        }
    });

    // An import already under way when the page opens.
    Effect::new(move |_| {
        spawn_local(async move {
            if let Ok(Some(latest)) = latest_import().await {
                if latest.is_running() {
                    status.set(Some(latest));
                    watch();
                }
            }
        })
    });

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if sending.get_untracked() {
            return;
        }
        use wasm_bindgen::JsCast;
        let Some(form) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
        else {
            return;
        };
        let locale = i18n.get_locale_untracked();
        sending.set(true);
        result.set(None);
        status.set(None);
        watch();
        spawn_local(async move {
            let outcome = send_form(&form, locale).await;
            sending.try_set(false);
            if outcome.is_ok() {
                form.reset();
            }
            result.try_set(Some(outcome));
        });
    };

    let busy = move || sending.get() || status.get().is_some_and(|s| s.is_running());
    view! {
        <section class="card" aria-labelledby="import-heading">
            <h2 id="import-heading">{tx!(i18n, profile.import_heading)}</h2>
            <p class="muted">
                {tx!(i18n, profile.import_intro)}
            </p>
            <form
                class="form"
                method="post"
                action="/v1/imports"
                enctype="multipart/form-data"
                on:submit=on_submit
            >
                <div class="field">
                    <label for="import-file">{tx!(i18n, profile.import_file_label)}</label>
                    <input
                        id="import-file"
                        type="file"
                        name="file"
                        required
                        accept=".zip,.json,application/zip,application/json"
                    />
                </div>
                <div class="form-actions">
                    <button type="submit" class="button" disabled=busy>{tx!(i18n, profile.import_button)}</button>
                </div>
            </form>
            {move || {
                // Only a running import: before the new one starts, the latest is an old one.
                let now = status.get().filter(ImportStatus::is_running)?;
                let (label, percent) = progress_of(&now, i18n.get_locale());
                Some(view! {
                    <div class="import-progress">
                        <progress
                            max="100"
                            value=percent.map(|p| p.to_string())
                            aria-label=tx!(i18n, profile.import_progress_label)
                        ></progress>
                        <p role="status">{label}</p>
                        <button type="button" class="button small secondary" on:click=move |_| {
                            spawn_local(async move {
                                stop_import().await;
                                tick();
                            });
                        }>{tx!(i18n, profile.import_stop)}</button>
                    </div>
                })
            }}
            {move || {
                let running = status.get().is_some_and(|s| s.is_running());
                (sending.get() && !running).then(|| view! {
                    <p role="status" class="muted">{tx!(i18n, profile.import_starting)}</p>
                })
            }}
            {move || result.get().map(|r| match r {
                Ok(summary) => view! { <ImportResult summary/> }.into_any(),
                Err(message) => view! { <p class="form-error" role="alert">{message}</p> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn ImportResult(summary: ImportSummary) -> impl IntoView {
    let i18n = use_i18n();
    let more = summary.chats.len().saturating_sub(LINKS_SHOWN);
    let chats = summary.chats.into_iter().take(LINKS_SHOWN);
    let (imported, messages, skipped) = (summary.imported, summary.messages, summary.skipped);
    let truncated = summary.truncated;
    view! {
        <div class="import-result">
            <p role="status">{move || summary_text(i18n.get_locale(), imported, messages, skipped)}</p>
            {(truncated > 0).then(|| view! {
                <p class="muted">
                    {tx!(i18n, profile.import_truncated_before)}{truncated}{tx!(i18n, profile.import_truncated_after)}
                </p>
            })}
            <ul class="rows">
                {chats.map(|c| view! {
                    <li><a href=format!("/chat/{}", c.id)>{c.title}</a></li>
                }).collect_view()}
            </ul>
            {(more > 0).then(|| view! {
                <p class="muted">{t!(i18n, profile.import_more, more)}</p>
            })}
        </div>
    }
}

/// What came in, as a sentence. English says "1 chat" and "2 chats"; Russian puts each number
/// after its noun ("Импортировано чатов: 3"), so it needs no plural forms.
fn summary_text(locale: Locale, imported: i64, messages: i64, skipped: i64) -> String {
    let chats = if imported == 1 {
        td_string!(locale, profile.import_summary_chat_one)
    } else {
        td_string!(locale, profile.import_summary_chats)
    };
    let words = if messages == 1 {
        td_string!(locale, profile.import_summary_message_one)
    } else {
        td_string!(locale, profile.import_summary_messages)
    };
    let mut text = format!(
        "{}{imported}{chats}{messages}{words}",
        td_string!(locale, profile.import_summary_before)
    );
    if skipped > 0 {
        text.push_str(&format!(
            " {}{skipped}{}",
            td_string!(locale, profile.import_skipped_before),
            td_string!(locale, profile.import_skipped_after)
        ));
    }
    text
}

/// What the bar says, and how full it is in whole percent (`None`: not known yet). Whole
/// numbers: formatting a float would bring 14 KB of float printing into the WASM.
fn progress_of(s: &ImportStatus, locale: Locale) -> (String, Option<i64>) {
    let share = |done: i64, total: Option<i64>| {
        total
            .filter(|t| *t > 0)
            .map(|t| (done.max(0).saturating_mul(100) / t).min(100))
    };
    match s.phase.as_str() {
        "receiving" => {
            let percent = share(s.bytes_done, s.bytes_total);
            let label = match percent {
                Some(p) => format!(
                    "{} {p}%",
                    td_string!(locale, profile.import_uploading_percent)
                ),
                None => td_string!(locale, profile.import_uploading).to_string(),
            };
            (label, percent)
        }
        "waiting" => (td_string!(locale, profile.import_waiting).to_string(), None),
        "checking" => (
            td_string!(locale, profile.import_checking).to_string(),
            share(s.bytes_done, s.bytes_total),
        ),
        _ => (
            format!(
                "{} {} {} {}{}",
                td_string!(locale, profile.import_importing),
                s.conversations_done,
                td_string!(locale, profile.import_importing_of),
                s.conversations_total
                    .map_or("?".to_string(), |n| n.to_string()),
                td_string!(locale, profile.import_importing_after)
            ),
            share(s.conversations_done, s.conversations_total),
        ),
    }
}

/// Asks the server to stop the running import (`DELETE /v1/imports/latest`); the progress
/// shown then says how it ended.
async fn stop_import() {
    use wasm_bindgen_futures::JsFuture;
    let init = web_sys::RequestInit::new();
    init.set_method("DELETE");
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    if let Some(window) = web_sys::window() {
        let _ = JsFuture::from(window.fetch_with_str_and_init("/v1/imports/latest", &init)).await;
    }
}

/// Sends the form to `POST /v1/imports` and reads the answer.
async fn send_form(
    form: &web_sys::HtmlFormElement,
    locale: Locale,
) -> Result<ImportSummary, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let unreachable = || td_string!(locale, profile.import_unreachable);
    let data = web_sys::FormData::new_with_form(form).map_err(|_| unreachable())?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&data);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let window = web_sys::window().ok_or_else(unreachable)?;
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str_and_init("/v1/imports", &init))
            .await
            .map_err(|_| unreachable())?
            .dyn_into()
            .map_err(|_| unreachable())?;
    let text = JsFuture::from(response.text().map_err(|_| unreachable())?)
        .await
        .map_err(|_| unreachable())?
        .as_string()
        .unwrap_or_default();
    if response.ok() {
        return serde_json::from_str(&text).map_err(|_| unreachable().to_string());
    }
    let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    Err(body["error"]["message"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| {
            format!(
                "{} ({}).",
                td_string!(locale, profile.import_failed),
                response.status()
            )
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(
        phase: &str,
        bytes: (i64, Option<i64>),
        conversations: (i64, Option<i64>),
    ) -> ImportStatus {
        ImportStatus {
            id: uuid::Uuid::nil(),
            state: "running".into(),
            phase: phase.into(),
            bytes_total: bytes.1,
            bytes_done: bytes.0,
            conversations_total: conversations.1,
            conversations_done: conversations.0,
            imported: 0,
            skipped: 0,
            messages: 0,
            truncated: 0,
            error: None,
            started_at: crate::model::Timestamp::UNIX_EPOCH,
            updated_at: crate::model::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn the_bar_follows_each_phase() {
        let english = Locale::en;
        let (label, p) = progress_of(&status("receiving", (50, Some(200)), (0, None)), english);
        assert_eq!((label.as_str(), p), ("Uploading the file: 25%", Some(25)));
        let (label, p) = progress_of(&status("receiving", (50, None), (0, None)), english);
        assert_eq!((label.as_str(), p), ("Uploading the file…", None));
        let (_, p) = progress_of(&status("checking", (300, Some(200)), (0, None)), english);
        assert_eq!(p, Some(100));
        let (label, p) = progress_of(&status("importing", (0, None), (30, Some(120))), english);
        assert_eq!(
            (label.as_str(), p),
            ("Importing: 30 of 120 conversations", Some(25))
        );
        let (label, _) = progress_of(&status("importing", (0, None), (30, Some(120))), Locale::ru);
        assert_eq!(label, "Импорт диалогов: 30 из 120");
    }

    #[test]
    fn the_summary_reads_as_a_sentence() {
        assert_eq!(
            summary_text(Locale::en, 1, 1, 0),
            "Imported 1 chat (1 message)."
        );
        assert_eq!(
            summary_text(Locale::en, 3, 40, 2),
            "Imported 3 chats (40 messages). 2 skipped: already imported, empty, or not a conversation."
        );
        assert_eq!(
            summary_text(Locale::ru, 3, 40, 2),
            "Импортировано чатов: 3 (сообщений: 40). Пропущено: 2 (уже импортированы, пустые или не являются диалогами)."
        );
    }
}
