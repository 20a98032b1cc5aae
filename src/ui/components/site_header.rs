//! The top bar: the logo, and either the user's name with Log out (and Administration for
//! admins) or the auth links.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::*;
use crate::model::AccountRole;
use crate::ui::auth_context::use_auth;
use crate::ui::components::server_form::ServerForm;

#[component]
pub fn SiteHeader() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    view! {
        <header class="site-header">
            <A href="/" attr:class="logo">
                <span class="logo-mark" aria-hidden="true">"◆"</span>
                "maruntime"
            </A>
            <nav aria-label=tx!(i18n, common.nav_account)>
                {move || match auth.current_user() {
                        Some(user) => view! {
                            {(user.role == AccountRole::Admin).then(|| view! {
                                <A href="/admin" attr:class="nav-link">{tx!(i18n, common.administration)}</A>
                            })}
                            <A href="/profile" attr:class="nav-link">{user.display_name}</A>
                            <ServerForm action=auth.logout attr:class="inline-form">
                                <button type="submit" class="link-button">{tx!(i18n, common.log_out)}</button>
                            </ServerForm>
                        }
                        .into_any(),
                        None => view! {
                            <A href="/login" attr:class="nav-link">{tx!(i18n, common.log_in)}</A>
                            <A href="/register" attr:class="button small">{tx!(i18n, common.register)}</A>
                        }
                        .into_any(),
                }}
            </nav>
        </header>
    }
}
