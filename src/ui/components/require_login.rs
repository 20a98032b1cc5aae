//! Wraps a page that needs a user: logged-out visitors go to `/login?next=<this page>`.
//!
//! On the server a request for such a page never gets here without a user: the `page_guard`
//! middleware answers it with a 303 before anything renders. This covers the browser, when
//! a session ends while the page is open.

use crate::login_paths::login_url;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

use super::super::auth_context::use_auth;

#[component]
pub fn RequireLogin(children: ChildrenFn) -> impl IntoView {
    let auth = use_auth();
    let location = use_location();
    // Only logging in or out re-renders the page, not a profile edit.
    let logged_in = Memo::new(move |_| auth.user.with(Option::is_some));
    move || {
        if logged_in.get() {
            children().into_any()
        } else {
            let here = format!(
                "{}{}",
                location.pathname.get_untracked(),
                location.search.get_untracked(),
            );
            view! { <Redirect path=login_url(&here)/> }.into_any()
        }
    }
}
