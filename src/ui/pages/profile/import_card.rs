//! "Import chats": a ChatGPT, Claude, Open WebUI or LibreChat export sent to
//! `POST /v1/imports`, with the server's own progress (bytes received, the file checked,
//! conversations written) while it goes, then what came in, with links to the chats.
//! An import that is already running (another tab, a reload) is shown as it goes on.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::imports::latest_import;
use crate::model::{ImportStatus, ImportSummary};

/// Chats linked after an import; the rest are in the chat list.
const LINKS_SHOWN: usize = 20;

#[component]
pub fn ImportCard() -> impl IntoView {
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
        sending.set(true);
        result.set(None);
        status.set(None);
        watch();
        spawn_local(async move {
            let outcome = send_form(&form).await;
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
            <h2 id="import-heading">"Import chats"</h2>
            <p class="muted">
                "Bring your history from ChatGPT (the .zip of your data export), Claude, "
                "Open WebUI or LibreChat (their .json export). Importing the same export again "
                "adds only what is new."
            </p>
            <form
                class="form"
                method="post"
                action="/v1/imports"
                enctype="multipart/form-data"
                on:submit=on_submit
            >
                <div class="field">
                    <label for="import-file">"Export file"</label>
                    <input
                        id="import-file"
                        type="file"
                        name="file"
                        required
                        accept=".zip,.json,application/zip,application/json"
                    />
                </div>
                <div class="form-actions">
                    <button type="submit" class="button" disabled=busy>"Import"</button>
                </div>
            </form>
            {move || {
                // Only a running import: before the new one starts, the latest is an old one.
                let now = status.get().filter(ImportStatus::is_running)?;
                let (label, percent) = progress_of(&now);
                Some(view! {
                    <div class="import-progress">
                        <progress
                            max="100"
                            value=percent.map(|p| format!("{p:.0}"))
                            aria-label="Import progress"
                        ></progress>
                        <p role="status">{label}</p>
                    </div>
                })
            }}
            {move || {
                let running = status.get().is_some_and(|s| s.is_running());
                (sending.get() && !running).then(|| view! {
                    <p role="status" class="muted">"Starting the upload…"</p>
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
    let more = summary.chats.len().saturating_sub(LINKS_SHOWN);
    let chats = summary.chats.into_iter().take(LINKS_SHOWN);
    view! {
        <div class="import-result">
            <p role="status">{summary_text(summary.imported, summary.messages, summary.skipped)}</p>
            <ul class="rows">
                {chats.map(|c| view! {
                    <li><a href=format!("/chat/{}", c.id)>{c.title}</a></li>
                }).collect_view()}
            </ul>
            {(more > 0).then(|| view! {
                <p class="muted">{format!("And {more} more: they are in your chat list.")}</p>
            })}
        </div>
    }
}

fn summary_text(imported: i64, messages: i64, skipped: i64) -> String {
    let chats = if imported == 1 { "chat" } else { "chats" };
    let words = if messages == 1 { "message" } else { "messages" };
    let mut text = format!("Imported {imported} {chats} ({messages} {words}).");
    if skipped > 0 {
        text.push_str(&format!(
            " {skipped} skipped: already imported, empty, or not a conversation."
        ));
    }
    text
}

/// What the bar says, and how full it is (`None`: not known yet).
fn progress_of(s: &ImportStatus) -> (String, Option<f64>) {
    let share = |done: i64, total: Option<i64>| {
        total
            .filter(|t| *t > 0)
            .map(|t| (done as f64 * 100.0 / t as f64).min(100.0))
    };
    match s.phase.as_str() {
        "receiving" => {
            let percent = share(s.bytes_done, s.bytes_total);
            let label = match percent {
                Some(p) => format!("Uploading the file: {p:.0}%"),
                None => "Uploading the file…".to_string(),
            };
            (label, percent)
        }
        "checking" => (
            "Checking the file…".to_string(),
            share(s.bytes_done, s.bytes_total),
        ),
        _ => (
            format!(
                "Importing: {} of {} conversations",
                s.conversations_done,
                s.conversations_total
                    .map_or("?".to_string(), |n| n.to_string())
            ),
            share(s.conversations_done, s.conversations_total),
        ),
    }
}

/// Sends the form to `POST /v1/imports` and reads the answer.
async fn send_form(form: &web_sys::HtmlFormElement) -> Result<ImportSummary, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let unreachable = || "Could not reach the server. Check your connection and try again.";
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
        .unwrap_or_else(|| format!("The import failed ({}).", response.status())))
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
            error: None,
            started_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn the_bar_follows_each_phase() {
        let (label, p) = progress_of(&status("receiving", (50, Some(200)), (0, None)));
        assert_eq!((label.as_str(), p), ("Uploading the file: 25%", Some(25.0)));
        let (label, p) = progress_of(&status("receiving", (50, None), (0, None)));
        assert_eq!((label.as_str(), p), ("Uploading the file…", None));
        let (_, p) = progress_of(&status("checking", (300, Some(200)), (0, None)));
        assert_eq!(p, Some(100.0));
        let (label, p) = progress_of(&status("importing", (0, None), (30, Some(120))));
        assert_eq!(
            (label.as_str(), p),
            ("Importing: 30 of 120 conversations", Some(25.0))
        );
    }

    #[test]
    fn the_summary_reads_as_a_sentence() {
        assert_eq!(summary_text(1, 1, 0), "Imported 1 chat (1 message).");
        assert_eq!(
            summary_text(3, 40, 2),
            "Imported 3 chats (40 messages). 2 skipped: already imported, empty, or not a conversation."
        );
    }
}
