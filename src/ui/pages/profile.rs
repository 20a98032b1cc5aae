//! `/profile`: the account page (details, what the agent remembers, password, sessions, API
//! keys, deleting the account). Requires login.

mod api_keys;
mod delete_account;
mod details_form;
mod import_card;
mod language_form;
mod password_form;
mod preferences_form;
mod sessions_list;
mod usage_card;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::ChangePassword;
use crate::i18n::*;
use crate::ui::components::require_login::RequireLogin;

#[component]
pub fn ProfilePage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=t_string!(i18n, profile.page_title)/>
        <RequireLogin>
            <ProfileSections/>
        </RequireLogin>
    }
}

#[component]
fn ProfileSections() -> impl IntoView {
    // A password change ends other sessions and can revoke keys: both lists listen to it.
    let i18n = use_i18n();
    let change_password = ServerAction::<ChangePassword>::new();
    view! {
        <div class="profile">
            <h1>{tx!(i18n, profile.page_title)}</h1>
            <details_form::DetailsForm/>
            <preferences_form::PreferencesForm/>
            <language_form::LanguageForm/>
            <password_form::PasswordForm action=change_password/>
            <sessions_list::SessionsList password_changes=change_password.version()/>
            <usage_card::UsageCard/>
            <import_card::ImportCard/>
            <api_keys::ApiKeys password_changes=change_password.version()/>
            <delete_account::DeleteAccountForm/>
        </div>
    }
}
