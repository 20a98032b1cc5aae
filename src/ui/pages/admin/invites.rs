//! Invites: create a single-use link (shown once, with Copy link), list them, withdraw one.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::admin::{list_invites, CreateInvite, WithdrawInvite};
use crate::api::auth::get_registration_info;
use crate::error::AppError;
use crate::model::{InviteInfo, NewInvite};
use crate::ui::components::copy_field::CopyField;
use crate::ui::components::field::{form_error, FormError};
use crate::ui::format_time;

#[component]
pub fn Invites() -> impl IntoView {
    let create = ServerAction::<CreateInvite>::new();
    let withdraw = ServerAction::<WithdrawInvite>::new();
    let invites = Resource::new(
        move || (create.version().get(), withdraw.version().get()),
        |_| list_invites(),
    );
    let registration = Resource::new(|| (), |_| get_registration_info());
    let created = create.value();
    view! {
        <section class="card" aria-labelledby="invites-heading">
            <h2 id="invites-heading">"Invites"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    registration.await.ok().map(|info| view! { <p class="muted">{mode_text(&info.mode)}</p> })
                })}
            </Transition>
            <ActionForm action=create attr:class="form inline">
                <FormError message=form_error(created)/>
                <div class="field">
                    <label for="field-invite-hours">"Valid for"</label>
                    <select id="field-invite-hours" name="expires_in_hours">
                        <option value="24">"1 day"</option>
                        <option value="168" selected=true>"7 days"</option>
                        <option value="720">"30 days"</option>
                    </select>
                </div>
                <div class="form-actions">
                    <button type="submit" class="button" disabled=move || create.pending().get()>"Create invite"</button>
                </div>
            </ActionForm>
            {move || created.get().and_then(Result::ok).map(|invite| view! { <NewInviteLink invite/> })}
            <p class="outcome error" role="alert">
                {move || withdraw.value().get().and_then(Result::err).map(|e| e.to_string())}
            </p>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match invites.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No invites yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="rows">
                                {list.into_iter().map(|invite| view! { <InviteRow invite withdraw created/> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn mode_text(mode: &str) -> &'static str {
    match mode {
        "invite" => "Registration needs an invite (MARUNTIME_REGISTRATION=invite): send one of these links.",
        "closed" => "Registration is closed (MARUNTIME_REGISTRATION=closed): invites cannot be used to register until it is set to invite.",
        _ => "Registration is open to anyone who can reach this instance (MARUNTIME_REGISTRATION=open); set it to invite to admit only people with a link.",
    }
}

/// The one time an invite's link is visible.
#[component]
fn NewInviteLink(invite: NewInvite) -> impl IntoView {
    view! {
        <div class="new-key" role="status">
            <p>
                <strong>"Send this link to the person you invite."</strong>
                " It works once, until " {format_time(invite.expires_at)} ", and will not be shown again."
            </p>
            <CopyField value=invite.url label="Invite link" button="Copy link"/>
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
    let now = chrono::Utc::now();
    let state = match invite.used_at {
        Some(t) => format!("used {}", format_time(t)),
        None if invite.expires_at <= now => "expired".into(),
        None => format!("open until {}", format_time(invite.expires_at)),
    };
    let made = format_time(invite.created_at);
    let button = if invite.used_at.is_none() && invite.expires_at > now {
        "Withdraw"
    } else {
        "Remove"
    };
    view! {
        <li class="row">
            <div class="row-main">
                <span class="row-title">"Invite of " {made.clone()}</span>
                <span class="muted">{state}</span>
            </div>
            <button
                type="button"
                class="button small danger"
                aria-label=format!("{button} the invite of {made}")
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
