//! `/register`: create an account (and be logged in).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::auth::{get_registration_info, Register};
use crate::i18n::*;
use crate::model::RegistrationInfo;
use crate::ui::auth_context::navigate_on_success;
use crate::ui::components::field::{field_error, form_error, FormError, TextArea, TextField};
use crate::ui::components::password_field::PasswordField;
use crate::ui::components::server_form::ServerForm;
use crate::ui::page_load::named_load;
use crate::validation::{ABOUT_MAX, DISPLAY_NAME_MAX, LOGIN_MAX};

#[component]
pub fn RegisterPage() -> impl IntoView {
    let i18n = use_i18n();
    let register = ServerAction::<Register>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let invited = move || query.read().get("invite").is_some_and(|i| !i.is_empty());
    navigate_on_success(register.value(), move || {
        crate::validation::safe_next(Some(&next()))
    });
    // Who may register, said before anything is filled in (rendered in place on the server).
    // Read only inside the Suspense: a resource read outside one can leave the server's
    // render of the page waiting.
    let info = Resource::new_blocking(
        || (),
        |_| named_load("the registration rule", get_registration_info()),
    );
    view! {
        <Title text=t_string!(i18n, auth.create_an_account)/>
        <section class="auth-card">
            <h1>{tx!(i18n, auth.create_an_account)}</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let info = info.await.ok();
                    let closed = info
                        .as_ref()
                        .is_some_and(|i| i.mode == "closed" && !i.first_account);
                    view! {
                        {info.map(|info| view! { <RegistrationNotice info invited=invited()/> })}
                        <div hidden=closed>
                            <RegisterForm register/>
                        </div>
                    }
                })}
            </Suspense>
            <p class="switch">{tx!(i18n, auth.already_have_account)} <A href="/login">{tx!(i18n, auth.log_in)}</A></p>
        </section>
    }
}

#[component]
fn RegisterForm(register: ServerAction<Register>) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    // An invite link (`/register?invite=…`) carries its token into the form.
    let invite = move || query.read().get("invite").unwrap_or_default();
    let value = register.value();
    let pending = register.pending();
    view! {
        <ServerForm action=register attr:class="form" attr:novalidate=true>
            <input type="hidden" name="next" prop:value=next/>
            <input type="hidden" name="invite" value=invite/>
            <FormError message=form_error(value)/>
            <TextField
                label=t_string!(i18n, auth.login)
                name="login"
                autocomplete="username"
                required=true
                maxlength=LOGIN_MAX
                hint=t_string!(i18n, auth.login_hint)
                error=field_error(value, "login")
            />
            <TextField
                label=t_string!(i18n, auth.display_name)
                name="display_name"
                autocomplete="name"
                required=true
                maxlength=DISPLAY_NAME_MAX
                hint=t_string!(i18n, auth.display_name_hint)
                error=field_error(value, "display_name")
            />
            <PasswordField
                label=t_string!(i18n, auth.password)
                name="password"
                autocomplete="new-password"
                hint=t_string!(i18n, auth.password_hint)
                error=field_error(value, "password")
            />
            <TextArea label=t_string!(i18n, auth.about_optional) name="about" maxlength=ABOUT_MAX error=field_error(value, "about")/>
            <button type="submit" class="button wide" disabled=move || pending.get()>
                {move || if pending.get() { t_string!(i18n, auth.creating_account) } else { t_string!(i18n, auth.create_account) }}
            </button>
        </ServerForm>
    }
}

/// What applies to a visitor of the register page: the first account, an invite, or closed.
#[component]
fn RegistrationNotice(info: RegistrationInfo, invited: bool) -> impl IntoView {
    let i18n = use_i18n();
    let text = if info.first_account {
        Some(t_string!(i18n, auth.first_account))
    } else {
        match (info.mode.as_str(), invited) {
            ("closed", _) => Some(t_string!(i18n, auth.registration_closed)),
            ("invite", true) => Some(t_string!(i18n, auth.invited)),
            ("invite", false) => Some(t_string!(i18n, auth.invite_needed)),
            _ => None,
        }
    };
    text.map(|text| view! { <p class="notice" role="note">{text}</p> })
}
