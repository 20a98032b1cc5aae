//! The account's tokens today against its daily limit.

use leptos::prelude::*;

use crate::api::agent::my_quota;
use crate::i18n::*;
use crate::ui::page_load::named_load;
use crate::ui::text::error_text;

#[component]
pub fn UsageCard() -> impl IntoView {
    let i18n = use_i18n();
    let quota = Resource::new(|| (), |_| named_load("the quota", my_quota()));
    view! {
        <section class="card" aria-labelledby="usage-heading">
            <h2 id="usage-heading">{tx!(i18n, profile.usage_heading)}</h2>
            <Transition fallback=move || view! { <p class="loading">{tx!(i18n, profile.loading)}</p> }>
                {move || Suspend::new(async move {
                    match quota.await {
                        Ok(q) => {
                            let used = q.used_today;
                            match q.daily_limit {
                                Some(limit) => view! {
                                    <p>{t!(i18n, profile.usage_with_limit, used, limit)}</p>
                                }.into_any(),
                                None => view! {
                                    <p>{t!(i18n, profile.usage_no_limit, used)}</p>
                                }.into_any(),
                            }
                        }
                        Err(e) => view! { <p class="form-error">{error_text(&e)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
