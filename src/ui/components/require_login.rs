//! Wraps a page that needs a user: logged-out visitors go to `/login?next=<this page>`.
//!
//! The routes using it render with `SsrMode::Async`, so on the server the redirect is a real
//! 302 sent before any private data is rendered.

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
            let to = format!("/login?next={}", encode_query_value(&here));
            view! { <Redirect path=to/> }.into_any()
        }
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters and `/` stay as they are).
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            super::encode_query_value("/chat/1?a=b&c"),
            "/chat/1%3Fa%3Db%26c"
        );
    }
}
