//! The account's tokens today against its daily limit.

use leptos::prelude::*;

use crate::api::agent::my_quota;
use crate::model::QuotaInfo;

#[component]
pub fn UsageCard() -> impl IntoView {
    let quota = Resource::new(|| (), |_| my_quota());
    view! {
        <section class="card" aria-labelledby="usage-heading">
            <h2 id="usage-heading">"Usage"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match quota.await {
                        Ok(q) => view! { <p>{usage_text(&q)}</p> }.into_any(),
                        Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn usage_text(q: &QuotaInfo) -> String {
    match q.daily_limit {
        Some(limit) => format!(
            "{} of your {} tokens used today (UTC); the count starts again at midnight UTC.",
            q.used_today, limit
        ),
        None => format!("{} tokens used today (UTC); no daily limit.", q.used_today),
    }
}
