//! `/login`: the login form. `?next=` is honoured only for paths on this site.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::ui::auth_context::{navigate_on_success, use_auth};
use crate::ui::components::field::{field_error, form_error, FormError, TextField};
use crate::ui::components::password_field::PasswordField;
use crate::validation::encode_query_value;

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let register_href = move || match next() {
        n if n.is_empty() => "/register".to_string(),
        n => format!("/register?next={}", encode_query_value(&n)),
    };
    let value = auth.login.value();
    let pending = auth.login.pending();
    navigate_on_success(value, move || crate::validation::safe_next(Some(&next())));
    view! {
        <Title text="Log in"/>
        <section class="auth-card">
            <h1>"Log in"</h1>
            <ActionForm action=auth.login attr:class="form" attr:novalidate=true>
                <input type="hidden" name="next" prop:value=next/>
                <FormError message=form_error(value)/>
                <TextField label="Login" name="login" autocomplete="username" required=true error=field_error(value, "login")/>
                <PasswordField label="Password" name="password" autocomplete="current-password" error=field_error(value, "password")/>
                <button type="submit" class="button wide" disabled=move || pending.get()>
                    {move || if pending.get() { "Logging in…" } else { "Log in" }}
                </button>
            </ActionForm>
            <p class="switch">"New here? " <A href=register_href>"Create an account"</A></p>
        </section>
    }
}
