//! Invites: create a single-use link (shown once, with Copy link), list them, withdraw one.

use leptos::prelude::*;

use crate::api::admin::{list_invites, CreateInvite, WithdrawInvite};
use crate::api::auth::get_registration_info;
use crate::error::AppError;
use crate::i18n::*;
use crate::model::{InviteInfo, NewInvite};
use crate::ui::components::copy_field::CopyField;
use crate::ui::components::field::{form_error, FormError};
use crate::ui::components::server_form::ServerForm;
use crate::ui::format_time;
use crate::ui::page_load::named_load;
use crate::ui::text::error_text;

#[component]
pub fn Invites() -> impl IntoView {
    let i18n = use_i18n();
    let create = ServerAction::<CreateInvite>::new();
    let withdraw = ServerAction::<WithdrawInvite>::new();
    let invites = Resource::new(
        move || (create.version().get(), withdraw.version().get()),
        |_| named_load("the invites", list_invites()),
    );
    let registration = Resource::new(
        || (),
        |_| named_load("the registration rule", get_registration_info()),
    );
    let created = create.value();
    view! {
        <section class="card" aria-labelledby="invites-heading">
            <h2 id="invites-heading">{tx!(i18n, admin.invites_title)}</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    registration.await.ok().map(|info| {
                        view! { <p class="muted">{mode_text(&info.mode, i18n.get_locale_untracked())}</p> }
                    })
                })}
            </Transition>
            <ServerForm action=create attr:class="form inline">
                <FormError message=form_error(created)/>
                <div class="field">
                    <label for="field-invite-hours">{tx!(i18n, admin.valid_for)}</label>
                    <select id="field-invite-hours" name="expires_in_hours">
                        <option value="24">{tx!(i18n, admin.valid_1_day)}</option>
                        <option value="168" selected=true>{tx!(i18n, admin.valid_7_days)}</option>
                        <option value="720">{tx!(i18n, admin.valid_30_days)}</option>
                    </select>
                </div>
                <div class="form-actions">
                    <button type="submit" class="button" disabled=move || create.pending().get()>{tx!(i18n, admin.create_invite)}</button>
                </div>
            </ServerForm>
            {move || created.get().and_then(Result::ok).map(|invite| view! { <NewInviteLink invite/> })}
            <p class="outcome error" role="alert">
                {move || withdraw.value().get().and_then(Result::err).map(|e| error_text(&e))}
            </p>
            <Transition fallback=move || view! { <p class="loading">{tx!(i18n, admin.loading)}</p> }>
                {move || Suspend::new(async move {
                    match invites.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">{tx!(i18n, admin.no_invites)}</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="rows">
                                {list.into_iter().map(|invite| view! { <InviteRow invite withdraw created/> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn mode_text(mode: &str, locale: Locale) -> &'static str {
    match mode {
        "invite" => td_string!(locale, admin.registration_invite),
        "closed" => td_string!(locale, admin.registration_closed),
        _ => td_string!(locale, admin.registration_open),
    }
}

/// The one time an invite's link is visible.
#[component]
fn NewInviteLink(invite: NewInvite) -> impl IntoView {
    let i18n = use_i18n();
    let expires_at = invite.expires_at;
    view! {
        <div class="new-key" role="status">
            <p>
                <strong>{tx!(i18n, admin.new_invite_send)}</strong>
                " "
                {t!(i18n, admin.new_invite_once, until = move || format_time(expires_at, i18n.get_locale()))}
            </p>
            <CopyField
                value=invite.url
                label=t_string!(i18n, admin.invite_link)
                button=t_string!(i18n, admin.copy_link)
            />
        </div>
    }
}

#[component]
fn InviteRow(
    invite: InviteInfo,
    withdraw: ServerAction<WithdrawInvite>,
    /// The link shown once: it goes away with its invite, so a dead link is not sent.
    created: MappedSignal<Option<Result<NewInvite, AppError>>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let now = crate::model::now();
    let state = match invite.used_at {
        Some(t) => format!(
            "{} {}",
            tu_string!(i18n, admin.invite_used),
            format_time(t, locale)
        ),
        None if invite.expires_at <= now => tu_string!(i18n, admin.invite_expired).to_string(),
        None => format!(
            "{} {}",
            tu_string!(i18n, admin.invite_open_until),
            format_time(invite.expires_at, locale)
        ),
    };
    let made = format_time(invite.created_at, locale);
    let button = if invite.used_at.is_none() && invite.expires_at > now {
        tu_string!(i18n, admin.withdraw)
    } else {
        tu_string!(i18n, admin.remove)
    };
    view! {
        <li class="row">
            <div class="row-main">
                <span class="row-title">{tx!(i18n, admin.invite_of)} " " {made.clone()}</span>
                <span class="muted">{state}</span>
            </div>
            <button
                type="button"
                class="button small danger"
                aria-label=format!("{button} {} {made}", tu_string!(i18n, admin.the_invite_of))
                on:click=move |_| {
                    if created.with_untracked(|c| matches!(c, Some(Ok(new)) if new.id == invite.id)) {
                        created.set(None);
                    }
                    withdraw.dispatch(WithdrawInvite { id: invite.id.to_string() });
                }
            >
                {button}
            </button>
        </li>
    }
}
