//! The user's login sessions, with a button to end any but this one.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::auth::{list_sessions, EndSession};
use crate::model::SessionInfo;
use crate::ui::format_time;

#[component]
pub fn SessionsList(password_changes: RwSignal<usize>) -> impl IntoView {
    let end = ServerAction::<EndSession>::new();
    let sessions = Resource::new(
        move || (end.version().get(), password_changes.get()),
        |_| list_sessions(),
    );
    view! {
        <section class="card" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Sessions"</h2>
            <p class="muted">"Everywhere you are logged in. End any session you do not recognise."</p>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Ok(list) => view! {
                            <ul class="rows sessions">
                                {list.into_iter().map(|s| view! { <SessionRow session=s end/> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SessionRow(session: SessionInfo, end: ServerAction<EndSession>) -> impl IntoView {
    let agent = session
        .user_agent
        .clone()
        .unwrap_or_else(|| "Unknown client".into());
    view! {
        <li class="row">
            <div class="row-main">
                <span class="row-title" title=agent.clone()>{short_agent(&agent)}</span>
                <span class="muted">
                    {session.ip.clone().unwrap_or_else(|| "address unknown".into())}
                    " · last active " {format_time(session.last_seen_at)}
                    " · since " {format_time(session.created_at)}
                </span>
            </div>
            {if session.current {
                view! { <span class="badge">"This session"</span> }.into_any()
            } else {
                view! {
                    <ActionForm action=end attr:class="inline-form">
                        <input type="hidden" name="id" value=session.id.to_string()/>
                        <button type="submit" class="button small danger">"End"</button>
                    </ActionForm>
                }.into_any()
            }}
        </li>
    }
}

/// The browser and system from a user agent, or its first characters.
fn short_agent(agent: &str) -> String {
    let browser = [
        "Firefox", "Edg", "Chrome", "Safari", "curl", "python", "node",
    ]
    .into_iter()
    .find(|b| agent.contains(b));
    let system = ["Windows", "Mac OS", "Android", "iPhone", "Linux"]
        .into_iter()
        .find(|s| agent.contains(s));
    match (browser, system) {
        (Some(b), Some(s)) => format!("{} on {s}", if b == "Edg" { "Edge" } else { b }),
        (Some(b), None) => b.to_string(),
        _ => agent.chars().take(60).collect(),
    }
}
