//! The whole instance's tokens per UTC day over the last 30 days.

use leptos::prelude::*;

use crate::api::admin::instance_usage;
use crate::model::UsageDay;

#[component]
pub fn InstanceUsage() -> impl IntoView {
    let days = Resource::new(|| (), |_| instance_usage());
    view! {
        <section class="card" aria-labelledby="usage-heading">
            <h2 id="usage-heading">"Usage per day"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match days.await {
                        Ok(days) if days.is_empty() => view! { <p class="muted">"No runs in the last 30 days."</p> }.into_any(),
                        Ok(days) => view! { <UsageTable days/> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn UsageTable(days: Vec<UsageDay>) -> impl IntoView {
    let total: u64 = days.iter().map(|d| d.total_tokens).sum();
    let runs: u64 = days.iter().map(|d| d.runs).sum();
    let busiest = days
        .iter()
        .map(|d| d.total_tokens)
        .max()
        .unwrap_or(0)
        .max(1);
    view! {
        <p>{format!("{total} tokens in {runs} runs over the last 30 days (UTC days; all accounts).")}</p>
        <div class="table-scroll">
            <table class="data">
                <thead>
                    <tr>
                        <th scope="col">"Day"</th>
                        <th scope="col" class="num">"Runs"</th>
                        <th scope="col" class="num">"Prompt"</th>
                        <th scope="col" class="num">"Completion"</th>
                        <th scope="col" class="num">"Total"</th>
                        <th scope="col"><span class="visually-hidden">"Share of the busiest day"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {days.into_iter().map(|d| view! {
                        <tr>
                            <th scope="row">{d.date.clone()}</th>
                            <td class="num">{d.runs}</td>
                            <td class="num">{d.prompt_tokens}</td>
                            <td class="num">{d.completion_tokens}</td>
                            <td class="num">
                                {d.total_tokens}
                                {(d.estimated_runs > 0).then(|| view! { <span class="muted" title="Some runs' figures are estimates">" ≈"</span> })}
                            </td>
                            <td>
                                <meter class="usage-bar" min="0" max=busiest.to_string() value=d.total_tokens.to_string() aria-label=format!("{} tokens on {}", d.total_tokens, d.date)></meter>
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
