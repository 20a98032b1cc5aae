//! The user's login sessions, with a button to end any but this one.

use leptos::prelude::*;

use crate::api::auth::{list_sessions, EndSession};
use crate::i18n::*;
use crate::model::SessionInfo;
use crate::ui::components::server_form::ServerForm;
use crate::ui::format_time;
use crate::ui::page_load::named_load;
use crate::ui::text::error_text;

#[component]
pub fn SessionsList(password_changes: RwSignal<usize>) -> impl IntoView {
    let i18n = use_i18n();
    let end = ServerAction::<EndSession>::new();
    let sessions = Resource::new(
        move || (end.version().get(), password_changes.get()),
        |_| named_load("the sessions", list_sessions()),
    );
    view! {
        <section class="card" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">{tx!(i18n, profile.sessions_heading)}</h2>
            <p class="muted">{tx!(i18n, profile.sessions_intro)}</p>
            <Transition fallback=move || view! { <p class="loading">{tx!(i18n, profile.loading)}</p> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Ok(list) => view! {
                            <ul class="rows sessions">
                                {list.into_iter().map(|s| view! { <SessionRow session=s end/> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="form-error">{error_text(&e)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SessionRow(session: SessionInfo, end: ServerAction<EndSession>) -> impl IntoView {
    let i18n = use_i18n();
    let agent = session
        .user_agent
        .clone()
        .unwrap_or_else(|| tu_string!(i18n, profile.unknown_client).to_string());
    let shown = agent.clone();
    let last_seen = session.last_seen_at;
    let since = session.created_at;
    view! {
        <li class="row">
            <div class="row-main">
                <span class="row-title" title=agent>{move || short_agent(&shown, i18n.get_locale())}</span>
                <span class="muted">
                    {match session.ip.clone() {
                        Some(ip) => ip.into_any(),
                        None => tx!(i18n, profile.address_unknown).into_any(),
                    }}
                    " · " {t!(i18n, profile.session_last_active, time = move || format_time(last_seen, i18n.get_locale()))}
                    " · " {t!(i18n, profile.session_since, time = move || format_time(since, i18n.get_locale()))}
                </span>
            </div>
            {if session.current {
                view! { <span class="badge">{tx!(i18n, profile.this_session)}</span> }.into_any()
            } else {
                view! {
                    <ServerForm action=end attr:class="inline-form">
                        <input type="hidden" name="id" value=session.id.to_string()/>
                        <button type="submit" class="button small danger">{tx!(i18n, profile.end_session)}</button>
                    </ServerForm>
                }.into_any()
            }}
        </li>
    }
}

/// The browser and system from a user agent, or its first characters.
fn short_agent(agent: &str, locale: Locale) -> String {
    let browser = [
        "Firefox", "Edg", "Chrome", "Safari", "curl", "python", "node",
    ]
    .into_iter()
    .find(|b| agent.contains(b));
    let system = ["Windows", "Mac OS", "Android", "iPhone", "Linux"]
        .into_iter()
        .find(|s| agent.contains(s));
    match (browser, system) {
        (Some(b), Some(s)) => format!(
            "{} {} {s}",
            if b == "Edg" { "Edge" } else { b },
            td_string!(locale, profile.agent_on)
        ),
        (Some(b), None) => b.to_string(),
        _ => agent.chars().take(60).collect(),
    }
}
