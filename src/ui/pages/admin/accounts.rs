//! The accounts table: search, role, disable or enable, daily token limit, delete. Disabling
//! and deleting ask first; every outcome is announced above the table.

use leptos::html;
use leptos::prelude::*;
use uuid::Uuid;

use crate::api::admin::{
    list_accounts, remove_account, set_account_disabled, set_account_limit, set_account_role,
    AccountsPage, ACCOUNTS_PAGE,
};
use crate::error::AppError;
use crate::i18n::*;
use crate::model::{AccountRole, AdminUser};
use crate::ui::auth_context::use_auth;
use crate::ui::page_load::named_load;
use crate::ui::text::error_text;
use crate::ui::{format_date, format_time};

/// One change to one account, as the table asks for it.
#[derive(Debug, Clone, PartialEq)]
enum Change {
    Disable(bool),
    Role(AccountRole),
    /// The limit box's text: empty for the instance's default.
    Limit(String),
    Delete,
}

#[derive(Debug, Clone)]
struct Op {
    id: Uuid,
    login: String,
    change: Change,
}

/// Applies `op` and says what happened, in words for the status line, in `locale`.
async fn apply(op: Op, locale: Locale) -> Result<String, AppError> {
    let id = op.id.to_string();
    let login = op.login;
    Ok(match op.change {
        Change::Disable(true) => {
            set_account_disabled(id, true).await?;
            format!("{login}{}", td_string!(locale, admin.outcome_disabled))
        }
        Change::Disable(false) => {
            set_account_disabled(id, false).await?;
            format!("{login}{}", td_string!(locale, admin.outcome_enabled))
        }
        Change::Role(role) => {
            set_account_role(id, role.as_str().to_string()).await?;
            let now = match role {
                AccountRole::Admin => td_string!(locale, admin.outcome_now_admin),
                AccountRole::User => td_string!(locale, admin.outcome_now_user),
            };
            format!("{login}{now}")
        }
        Change::Limit(text) => {
            let user = set_account_limit(id, text).await?;
            match user.daily_token_limit {
                Some(n) => format!(
                    "{login}{}{n}{}",
                    td_string!(locale, admin.outcome_limit),
                    td_string!(locale, admin.outcome_limit_end)
                ),
                None => format!("{login}{}", td_string!(locale, admin.outcome_default_limit)),
            }
        }
        Change::Delete => {
            remove_account(id).await?;
            format!("{login}{}", td_string!(locale, admin.outcome_deleted))
        }
    })
}

type ChangeAction = Action<Op, Result<String, AppError>>;

#[component]
pub fn Accounts() -> impl IntoView {
    let i18n = use_i18n();
    let query = RwSignal::new(String::new());
    let offset = RwSignal::new(0i64);
    // The outcome is worded in the language of the moment the change was asked for.
    let act: ChangeAction =
        Action::new(move |op: &Op| apply(op.clone(), i18n.get_locale_untracked()));
    let page = Resource::new(
        move || (query.get(), offset.get(), act.version().get()),
        |(q, offset, _)| named_load("the accounts", list_accounts(q, offset)),
    );
    view! {
        <section class="card" aria-labelledby="accounts-heading">
            <h2 id="accounts-heading">{tx!(i18n, admin.accounts_title)}</h2>
            <div class="toolbar">
                <label class="visually-hidden" for="account-search">{tx!(i18n, admin.search_accounts)}</label>
                <input
                    id="account-search"
                    class="search-input"
                    type="search"
                    placeholder=tx!(i18n, admin.search_placeholder)
                    autocomplete="off"
                    on:input=move |ev| {
                        query.set(event_target_value(&ev));
                        offset.set(0);
                    }
                />
            </div>
            <Outcome act/>
            <Transition fallback=move || view! { <p class="loading">{tx!(i18n, admin.loading)}</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! { <AccountsTable page offset act/> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The latest change's outcome: a status line, or an alert for a refusal (the last admin).
/// Both stay in the page and only their text changes, so screen readers announce it; the
/// outcome takes the focus, since the table it came from is rebuilt.
#[component]
fn Outcome(act: ChangeAction) -> impl IntoView {
    let value = act.value();
    let line = NodeRef::<html::P>::new();
    Effect::new(move |_| {
        if value.get().is_some() {
            if let Some(line) = line.get_untracked() {
                let _ = line.focus();
            }
        }
    });
    view! {
        <p class="outcome" role="status" tabindex="-1" node_ref=line>
            {move || value.get().and_then(Result::ok)}
        </p>
        <p class="outcome error" role="alert">
            {move || value.get().and_then(Result::err).map(|e| error_text(&e))}
        </p>
    }
}

#[component]
fn AccountsTable(page: AccountsPage, offset: RwSignal<i64>, act: ChangeAction) -> impl IntoView {
    let i18n = use_i18n();
    let first = offset.get_untracked();
    if page.data.is_empty() {
        // Past the end (the last row of the last page was deleted): a way back.
        return view! {
            <p class="muted">{tx!(i18n, admin.no_account_matches)}</p>
            {(first > 0).then(|| view! {
                <button type="button" class="button small secondary" on:click=move |_| offset.set(0)>
                    {tx!(i18n, admin.back_to_first_page)}
                </button>
            })}
        }
        .into_any();
    }
    let shown = format!(
        "{} {}–{}",
        tu_string!(i18n, admin.accounts_title),
        first + 1,
        first + page.data.len() as i64
    );
    let has_previous = first > 0;
    let next = page.next_offset;
    let default_limit = page.default_daily_limit;
    view! {
        <div class="table-scroll">
            <table class="data">
                <caption class="visually-hidden">{shown.clone()}</caption>
                <thead>
                    <tr>
                        <th scope="col">{tx!(i18n, admin.col_account)}</th>
                        <th scope="col">{tx!(i18n, admin.col_created)}</th>
                        <th scope="col">{tx!(i18n, admin.col_last_active)}</th>
                        <th scope="col" class="num">{tx!(i18n, admin.col_chats)}</th>
                        <th scope="col" class="num">{tx!(i18n, admin.col_messages)}</th>
                        <th scope="col" class="num">{tx!(i18n, admin.col_tokens_30d)}</th>
                        <th scope="col">{tx!(i18n, admin.col_daily_limit)}</th>
                        <th scope="col">{tx!(i18n, admin.col_actions)}</th>
                    </tr>
                </thead>
                <tbody>
                    {page.data.into_iter().map(|user| view! { <AccountRow user default_limit act/> }).collect_view()}
                </tbody>
            </table>
        </div>
        <div class="pager">
            <span class="muted">{shown}</span>
            <button
                type="button"
                class="button small secondary"
                disabled=!has_previous
                on:click=move |_| offset.update(|o| *o = (*o - ACCOUNTS_PAGE).max(0))
            >
                {tx!(i18n, admin.previous)}
            </button>
            <button
                type="button"
                class="button small secondary"
                disabled=next.is_none()
                on:click=move |_| if let Some(n) = next { offset.set(n) }
            >
                {tx!(i18n, admin.next)}
            </button>
        </div>
    }
    .into_any()
}

#[component]
fn AccountRow(user: AdminUser, default_limit: Option<u64>, act: ChangeAction) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let is_me = auth.user.with_untracked(|u| u.as_ref().map(|u| u.id)) == Some(user.id);
    let op = {
        let (id, login) = (user.id, user.login.clone());
        move |change: Change| Op {
            id,
            login: login.clone(),
            change,
        }
    };
    let login = user.login.clone();
    let last_active = match user.last_active_at {
        Some(t) => view! { <Day t/> }.into_any(),
        None => tx!(i18n, admin.never).into_any(),
    };
    view! {
        <tr class:disabled-account=user.disabled>
            <th scope="row">
                <span class="row-title">{user.login.clone()}</span>
                <span class="muted">" " {user.display_name.clone()}</span>
                <span class="badges">
                    {(user.role == AccountRole::Admin).then(move || view! { <span class="badge">{tx!(i18n, admin.badge_admin)}</span> })}
                    {user.disabled.then(move || view! { <span class="badge danger">{tx!(i18n, admin.badge_disabled)}</span> })}
                    {is_me.then(move || view! { <span class="badge">{tx!(i18n, admin.badge_you)}</span> })}
                </span>
            </th>
            <td><Day t=user.created_at/></td>
            <td>{last_active}</td>
            <td class="num">{user.chats}</td>
            <td class="num">{user.messages}</td>
            <td class="num">{user.tokens_30d}</td>
            <td><LimitForm login=login.clone() limit=user.daily_token_limit default_limit act op=op.clone()/></td>
            <td>
                {if is_me {
                    view! { <span class="muted">{t!(i18n, admin.own_account, <a> = <a href="/profile" />)}</span> }.into_any()
                } else {
                    view! { <RowActions id=user.id login role=user.role disabled=user.disabled act op/> }.into_any()
                }}
            </td>
        </tr>
    }
}

/// The account's own tokens per UTC day; empty for the instance's default.
#[component]
fn LimitForm(
    login: String,
    limit: Option<i64>,
    default_limit: Option<u64>,
    act: ChangeAction,
    op: impl Fn(Change) -> Op + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let input = NodeRef::<html::Input>::new();
    let placeholder = match default_limit {
        Some(n) => format!("{} {n}", tu_string!(i18n, admin.limit_default)),
        None => tu_string!(i18n, admin.limit_unlimited).to_string(),
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(input) = input.get_untracked() {
            act.dispatch(op(Change::Limit(input.value())));
        }
    };
    view! {
        <form class="limit-form" on:submit=on_submit>
            <input
                type="number"
                min="0"
                step="1"
                inputmode="numeric"
                node_ref=input
                value=limit.map(|n| n.to_string())
                placeholder=placeholder
                aria-label=format!("{} {login}", tu_string!(i18n, admin.limit_label))
            />
            <button type="submit" class="button small secondary" aria-label=format!("{} {login}", tu_string!(i18n, admin.limit_save_label))>
                {tx!(i18n, admin.save)}
            </button>
        </form>
    }
}

/// Role, disable or enable, delete; disabling and deleting ask first, in place. The question
/// takes the focus; Cancel or Escape give it back to the button that asked.
#[component]
fn RowActions(
    id: Uuid,
    login: String,
    role: AccountRole,
    disabled: bool,
    act: ChangeAction,
    op: impl Fn(Change) -> Op + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    // The change waiting for a yes (`Disable(true)` or `Delete`).
    let asking = RwSignal::new(None::<Change>);
    // The button to focus again after a question was put away.
    let back_to = RwSignal::new(None::<Change>);
    let yes = NodeRef::<html::Button>::new();
    let disable_button = NodeRef::<html::Button>::new();
    let delete_button = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if asking.get().is_some() {
            if let Some(button) = yes.get() {
                let _ = button.focus();
            }
        }
    });
    Effect::new(move |_| {
        let target = match back_to.get() {
            Some(Change::Delete) => delete_button.get(),
            Some(_) => disable_button.get(),
            None => None,
        };
        // The ref holds the old button until the new one is in the page.
        if let Some(button) = target.filter(|b| b.is_connected()) {
            let _ = button.focus();
            back_to.set(None);
        }
    });
    let cancel = move || {
        back_to.set(asking.get_untracked());
        asking.set(None);
    };
    let new_role = match role {
        AccountRole::Admin => AccountRole::User,
        AccountRole::User => AccountRole::Admin,
    };
    let role_label = match new_role {
        AccountRole::Admin => tu_string!(i18n, admin.make_admin),
        AccountRole::User => tu_string!(i18n, admin.make_user),
    };
    let question_id = format!("confirm-{id}");
    move || {
        let op = op.clone();
        let login = login.clone();
        match asking.get() {
            Some(change) => {
                let (question, answer) = if change == Change::Delete {
                    (
                        format!(
                            "{} {login} {}",
                            tu_string!(i18n, admin.delete),
                            tu_string!(i18n, admin.delete_question)
                        ),
                        format!("{} {login}", tu_string!(i18n, admin.yes_delete)),
                    )
                } else {
                    (
                        format!(
                            "{} {login}{}",
                            tu_string!(i18n, admin.disable),
                            tu_string!(i18n, admin.disable_question)
                        ),
                        format!("{} {login}", tu_string!(i18n, admin.yes_disable)),
                    )
                };
                view! {
                    <div
                        class="confirm"
                        role="group"
                        aria-label=format!("{} {login}", tu_string!(i18n, admin.confirm_for))
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                            if ev.key() == "Escape" {
                                ev.prevent_default();
                                cancel();
                            }
                        }
                    >
                        <span id=question_id.clone()>{question}</span>
                        <button
                            type="button"
                            class="button small danger"
                            node_ref=yes
                            aria-describedby=question_id.clone()
                            on:click=move |_| {
                                asking.set(None);
                                act.dispatch(op(change.clone()));
                            }
                        >
                            {answer}
                        </button>
                        <button type="button" class="button small secondary" on:click=move |_| cancel()>
                            {tx!(i18n, admin.cancel)}
                        </button>
                    </div>
                }
                .into_any()
            }
            None => {
                let (op_role, op_enable) = (op.clone(), op.clone());
                view! {
                    <div class="row-actions">
                        <button
                            type="button"
                            class="button small secondary"
                            aria-label=format!("{role_label}: {login}")
                            on:click=move |_| { act.dispatch(op_role(Change::Role(new_role))); }
                        >
                            {role_label}
                        </button>
                        {if disabled {
                            view! {
                                <button
                                    type="button"
                                    class="button small secondary"
                                    aria-label=format!("{} {login}", tu_string!(i18n, admin.enable))
                                    on:click=move |_| { act.dispatch(op_enable(Change::Disable(false))); }
                                >
                                    {tx!(i18n, admin.enable)}
                                </button>
                            }
                            .into_any()
                        } else {
                            view! {
                                <button
                                    type="button"
                                    class="button small danger"
                                    node_ref=disable_button
                                    aria-label=format!("{} {login}", tu_string!(i18n, admin.disable))
                                    on:click=move |_| asking.set(Some(Change::Disable(true)))
                                >
                                    {tx!(i18n, admin.disable)}
                                </button>
                            }
                            .into_any()
                        }}
                        <button
                            type="button"
                            class="button small danger"
                            node_ref=delete_button
                            aria-label=format!("{} {login}", tu_string!(i18n, admin.delete))
                            on:click=move |_| asking.set(Some(Change::Delete))
                        >
                            {tx!(i18n, admin.delete)}
                        </button>
                    </div>
                }
                .into_any()
            }
        }
    }
}

/// The day, with the full time on hover and for machines.
#[component]
fn Day(t: crate::model::Timestamp) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <time datetime=t.to_rfc3339() title=move || format_time(t, i18n.get_locale())>
            {move || format_date(t, i18n.get_locale())}
        </time>
    }
}
