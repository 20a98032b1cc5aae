//! `/profile`: the account page (details, what the agent remembers, password, sessions, API
//! keys, deleting the account). Requires login.

mod api_keys;
mod delete_account;
mod details_form;
mod import_card;
mod password_form;
mod preferences_form;
mod sessions_list;
mod usage_card;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::ChangePassword;
use crate::ui::components::require_login::RequireLogin;

#[component]
pub fn ProfilePage() -> impl IntoView {
    view! {
        <Title text="Your profile"/>
        <RequireLogin>
            <ProfileSections/>
        </RequireLogin>
    }
}

#[component]
fn ProfileSections() -> impl IntoView {
    // A password change ends other sessions and can revoke keys: both lists listen to it.
    let change_password = ServerAction::<ChangePassword>::new();
    view! {
        <div class="profile">
            <h1>"Your profile"</h1>
            <details_form::DetailsForm/>
            <preferences_form::PreferencesForm/>
            <password_form::PasswordForm action=change_password/>
            <sessions_list::SessionsList password_changes=change_password.version()/>
            <usage_card::UsageCard/>
            <import_card::ImportCard/>
            <api_keys::ApiKeys password_changes=change_password.version()/>
            <delete_account::DeleteAccountForm/>
        </div>
    }
}
