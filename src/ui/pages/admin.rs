//! `/admin`: the instance's administration (accounts, invites, usage per day), for admins.
//! Anyone else signed in gets the not-found page with status 404: the data comes only from
//! server functions that refuse them, so nothing of it reaches their page.

mod accounts;
mod instance_usage;
mod invites;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::i18n::*;
use crate::model::AccountRole;
use crate::ui::auth_context::use_auth;
use crate::ui::components::require_login::RequireLogin;
use crate::ui::pages::not_found::{NotFound, NotFoundStatus};

#[component]
pub fn AdminPage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let is_admin = Memo::new(move |_| {
        auth.user
            .with(|u| u.as_ref().is_some_and(|u| u.role == AccountRole::Admin))
    });
    view! {
        <RequireLogin>
            {move || if is_admin.get() {
                view! {
                    <Title text=tx!(i18n, admin.title)/>
                    <div class="admin">
                        <h1>{tx!(i18n, admin.title)}</h1>
                        <accounts::Accounts/>
                        <invites::Invites/>
                        <instance_usage::InstanceUsage/>
                    </div>
                }
                .into_any()
            } else {
                view! { <NotFoundStatus/> <NotFound/> }.into_any()
            }}
        </RequireLogin>
    }
}
