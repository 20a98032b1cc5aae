//! `/login`: the login form. `?next=` is honoured only for paths on this site.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::auth::Login;
use crate::i18n::*;
use crate::ui::auth_context::navigate_on_success;
use crate::ui::components::field::{field_error, form_error, FormError, TextField};
use crate::ui::components::password_field::PasswordField;
use crate::ui::components::server_form::ServerForm;
use crate::validation::encode_query_value;

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let login = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let register_href = move || match next() {
        n if n.is_empty() => "/register".to_string(),
        n => format!("/register?next={}", encode_query_value(&n)),
    };
    let value = login.value();
    let pending = login.pending();
    navigate_on_success(value, move || crate::validation::safe_next(Some(&next())));
    view! {
        <Title text=t_string!(i18n, auth.log_in_title)/>
        <section class="auth-card">
            <h1>{tx!(i18n, auth.log_in_title)}</h1>
            <ServerForm action=login attr:class="form" attr:novalidate=true>
                <input type="hidden" name="next" prop:value=next/>
                <FormError message=form_error(value)/>
                <TextField label=t_string!(i18n, auth.login) name="login" autocomplete="username" required=true error=field_error(value, "login")/>
                <PasswordField label=t_string!(i18n, auth.password) name="password" autocomplete="current-password" error=field_error(value, "password")/>
                <button type="submit" class="button wide" disabled=move || pending.get()>
                    {move || if pending.get() { t_string!(i18n, auth.logging_in) } else { t_string!(i18n, auth.log_in) }}
                </button>
            </ServerForm>
            <p class="switch">{tx!(i18n, auth.new_here)} <A href=register_href>{tx!(i18n, auth.create_an_account)}</A></p>
        </section>
    }
}
