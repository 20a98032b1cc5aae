//! The whole instance's tokens per UTC day over the last 30 days.

use leptos::prelude::*;

use crate::api::admin::instance_usage;
use crate::i18n::*;
use crate::model::UsageDay;
use crate::ui::page_load::named_load;
use crate::ui::text::error_text;

#[component]
pub fn InstanceUsage() -> impl IntoView {
    let i18n = use_i18n();
    let days = Resource::new(
        || (),
        |_| named_load("the instance's usage", instance_usage()),
    );
    view! {
        <section class="card" aria-labelledby="usage-heading">
            <h2 id="usage-heading">{tx!(i18n, admin.usage_title)}</h2>
            <Transition fallback=move || view! { <p class="loading">{tx!(i18n, admin.loading)}</p> }>
                {move || Suspend::new(async move {
                    match days.await {
                        Ok(days) if days.is_empty() => view! { <p class="muted">{tx!(i18n, admin.no_runs)}</p> }.into_any(),
                        Ok(days) => view! { <UsageTable days/> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn UsageTable(days: Vec<UsageDay>) -> impl IntoView {
    let i18n = use_i18n();
    let total: u64 = days.iter().map(|d| d.total_tokens).sum();
    let runs: u64 = days.iter().map(|d| d.runs).sum();
    let busiest = days
        .iter()
        .map(|d| d.total_tokens)
        .max()
        .unwrap_or(0)
        .max(1);
    view! {
        <p>{t!(i18n, admin.usage_summary, total, runs)}</p>
        <div class="table-scroll">
            <table class="data">
                <thead>
                    <tr>
                        <th scope="col">{tx!(i18n, admin.col_day)}</th>
                        <th scope="col" class="num">{tx!(i18n, admin.col_runs)}</th>
                        <th scope="col" class="num">{tx!(i18n, admin.col_prompt)}</th>
                        <th scope="col" class="num">{tx!(i18n, admin.col_completion)}</th>
                        <th scope="col" class="num">{tx!(i18n, admin.col_total)}</th>
                        <th scope="col"><span class="visually-hidden">{tx!(i18n, admin.col_share)}</span></th>
                    </tr>
                </thead>
                <tbody>
                    {days.into_iter().map(move |d| view! {
                        <tr>
                            <th scope="row">{d.date.clone()}</th>
                            <td class="num">{d.runs}</td>
                            <td class="num">{d.prompt_tokens}</td>
                            <td class="num">{d.completion_tokens}</td>
                            <td class="num">
                                {d.total_tokens}
                                {(d.estimated_runs > 0).then(move || view! { <span class="muted" title=tx!(i18n, admin.estimated)>" ≈"</span> })}
                            </td>
                            <td>
                                <meter class="usage-bar" min="0" max=busiest.to_string() value=d.total_tokens.to_string() aria-label=format!("{} {} {}", d.total_tokens, tu_string!(i18n, admin.tokens_on), d.date)></meter>
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
