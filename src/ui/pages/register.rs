//! `/register`: create an account (and be logged in).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::ui::auth_context::{navigate_on_success, use_auth};
use crate::ui::components::field::{field_error, form_error, FormError, TextArea, TextField};
use crate::ui::components::password_field::PasswordField;
use crate::validation::{ABOUT_MAX, DISPLAY_NAME_MAX, LOGIN_MAX};

#[component]
pub fn RegisterPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    // An invite link (`/register?invite=…`) carries its token into the form.
    let invite = move || query.read().get("invite").unwrap_or_default();
    let value = auth.register.value();
    let pending = auth.register.pending();
    navigate_on_success(value, move || crate::validation::safe_next(Some(&next())));
    view! {
        <Title text="Create an account"/>
        <section class="auth-card">
            <h1>"Create an account"</h1>
            <ActionForm action=auth.register attr:class="form" attr:novalidate=true>
                <input type="hidden" name="next" prop:value=next/>
                <input type="hidden" name="invite" prop:value=invite/>
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
            <p class="switch">"Already have an account? " <A href="/login">"Log in"</A></p>
        </section>
    }
}
