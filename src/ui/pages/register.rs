//! `/register`: create an account (and be logged in).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::auth::get_registration_info;
use crate::model::RegistrationInfo;
use crate::ui::auth_context::{navigate_on_success, use_auth};
use crate::ui::components::field::{field_error, form_error, FormError, TextArea, TextField};
use crate::ui::components::password_field::PasswordField;
use crate::validation::{ABOUT_MAX, DISPLAY_NAME_MAX, LOGIN_MAX};

#[component]
pub fn RegisterPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let invited = move || query.read().get("invite").is_some_and(|i| !i.is_empty());
    navigate_on_success(auth.register.value(), move || {
        crate::validation::safe_next(Some(&next()))
    });
    // Who may register, said before anything is filled in (rendered in place on the server).
    // Read only inside the Suspense: a resource read outside one can leave the server's
    // render of the page waiting.
    let info = Resource::new_blocking(|| (), |_| get_registration_info());
    view! {
        <Title text="Create an account"/>
        <section class="auth-card">
            <h1>"Create an account"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let info = info.await.ok();
                    let closed = info
                        .as_ref()
                        .is_some_and(|i| i.mode == "closed" && !i.first_account);
                    view! {
                        {info.map(|info| view! { <RegistrationNotice info invited=invited()/> })}
                        <div hidden=closed>
                            <RegisterForm/>
                        </div>
                    }
                })}
            </Suspense>
            <p class="switch">"Already have an account? " <A href="/login">"Log in"</A></p>
        </section>
    }
}

#[component]
fn RegisterForm() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    // An invite link (`/register?invite=…`) carries its token into the form.
    let invite = move || query.read().get("invite").unwrap_or_default();
    let value = auth.register.value();
    let pending = auth.register.pending();
    view! {
        <ActionForm action=auth.register attr:class="form" attr:novalidate=true>
            <input type="hidden" name="next" prop:value=next/>
            <input type="hidden" name="invite" value=invite/>
            <FormError message=form_error(value)/>
            <TextField
                label="Login"
                name="login"
                autocomplete="username"
                required=true
                maxlength=LOGIN_MAX
                hint="3–50 characters: letters, digits, '.', '_' or '-'."
                error=field_error(value, "login")
            />
            <TextField
                label="Display name"
                name="display_name"
                autocomplete="name"
                required=true
                maxlength=DISPLAY_NAME_MAX
                hint="How the agent should address you."
                error=field_error(value, "display_name")
            />
            <PasswordField
                label="Password"
                name="password"
                autocomplete="new-password"
                hint="At least 8 characters. Long passphrases are welcome."
                error=field_error(value, "password")
            />
            <TextArea label="About you (optional)" name="about" maxlength=ABOUT_MAX error=field_error(value, "about")/>
            <button type="submit" class="button wide" disabled=move || pending.get()>
                {move || if pending.get() { "Creating account…" } else { "Create account" }}
            </button>
        </ActionForm>
    }
}

/// What applies to a visitor of the register page: the first account, an invite, or closed.
#[component]
fn RegistrationNotice(info: RegistrationInfo, invited: bool) -> impl IntoView {
    let text = if info.first_account {
        Some("This instance has no accounts yet: the account you create here will be its administrator.")
    } else {
        match (info.mode.as_str(), invited) {
            ("closed", _) => Some(
                "Registration is closed on this instance. Ask its administrator for an account.",
            ),
            ("invite", true) => Some("You were invited: create your account below."),
            ("invite", false) => {
                Some("Registration on this instance needs an invite link from its administrator.")
            }
            _ => None,
        }
    };
    text.map(|text| view! { <p class="notice" role="note">{text}</p> })
}
