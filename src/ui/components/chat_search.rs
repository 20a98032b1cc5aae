//! The sidebar's history search: results as you type (debounced), grouped by chat, the match
//! highlighted; choosing one opens the chat at that message.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

use crate::api::chats::search_chats;
use crate::i18n::*;
use crate::model::{snippet_parts, SearchResult};
use crate::ui::text::error_text;

/// Quiet time after the last keystroke before searching.
const DEBOUNCE: Duration = Duration::from_millis(250);

/// What the search shows: nothing (empty box), a search under way, or its answer.
#[derive(Clone, PartialEq)]
enum Outcome {
    Idle,
    Searching,
    Found(Vec<SearchResult>),
    Failed(String),
}

#[derive(Clone, Copy)]
pub struct SearchState {
    pub query: RwSignal<String>,
    outcome: RwSignal<Outcome>,
    /// Bumped on every keystroke; a search whose number is no longer current is dropped.
    generation: StoredValue<u64>,
}

impl SearchState {
    pub fn new() -> Self {
        SearchState {
            query: RwSignal::new(String::new()),
            outcome: RwSignal::new(Outcome::Idle),
            generation: StoredValue::new(0),
        }
    }

    pub fn active(&self) -> bool {
        !self.query.with(|q| q.trim().is_empty())
    }

    fn input(self, text: String) {
        self.query.set(text.clone());
        self.generation.update_value(|g| *g += 1);
        let mine = self.generation.get_value();
        if text.trim().is_empty() {
            self.outcome.set(Outcome::Idle);
            return;
        }
        self.outcome.set(Outcome::Searching);
        set_timeout(
            move || {
                if self.generation.try_get_value() != Some(mine) {
                    return;
                }
                spawn_local(async move {
                    let answer = search_chats(text).await;
                    if self.generation.try_get_value() != Some(mine) {
                        return;
                    }
                    self.outcome.set(match answer {
                        Ok(found) => Outcome::Found(found),
                        Err(e) => Outcome::Failed(error_text(&e)),
                    });
                });
            },
            DEBOUNCE,
        );
    }

    pub fn clear(self) {
        self.input(String::new());
    }
}

impl Default for SearchState {
    fn default() -> Self {
        Self::new()
    }
}

/// The search box.
#[component]
pub fn ChatSearchBox(search: SearchState) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="chat-search" role="search">
            <label for="chat-search-input" class="visually-hidden">{tx!(i18n, chat.search_label)}</label>
            <input
                id="chat-search-input"
                type="search"
                placeholder=tx!(i18n, chat.search_placeholder)
                autocomplete="off"
                maxlength="500"
                prop:value=move || search.query.get()
                on:input=move |ev| search.input(event_target_value(&ev))
                on:keydown=move |ev| {
                    if ev.key() == "Escape" && search.active() {
                        // Handled: the drawer around the box stays open.
                        ev.prevent_default();
                        search.clear();
                    }
                }
            />
        </div>
    }
}

/// The results in place of the chat list, grouped by chat in order of their best match.
#[component]
pub fn ChatSearchResults(
    search: SearchState,
    #[prop(into)] on_open: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    move || match search.outcome.get() {
        Outcome::Idle => ().into_any(),
        Outcome::Searching => {
            view! { <p class="muted sidebar-empty" role="status">{tx!(i18n, chat.searching)}</p> }
                .into_any()
        }
        Outcome::Failed(e) => view! { <p class="form-error">{e}</p> }.into_any(),
        Outcome::Found(found) if found.is_empty() => view! {
            <p class="muted sidebar-empty" role="status">
                {t!(i18n, chat.no_matches, query = search.query.get_untracked())}
            </p>
        }
        .into_any(),
        Outcome::Found(found) => {
            let mut groups: Vec<(uuid::Uuid, String, Vec<SearchResult>)> = Vec::new();
            for r in found {
                match groups.iter_mut().find(|g| g.0 == r.chat_id) {
                    Some(group) => group.2.push(r),
                    None => groups.push((r.chat_id, r.chat_title.clone(), vec![r])),
                }
            }
            view! {
                <ul class="search-results" aria-label=tx!(i18n, chat.search_results)>
                    {groups.into_iter().map(|(_, title, results)| view! {
                        <li class="search-group">
                            <h3 class="search-chat-title">{title}</h3>
                            <ul>
                                {results.into_iter().map(|r| view! { <SearchHit result=r on_open/> }).collect_view()}
                            </ul>
                        </li>
                    }).collect_view()}
                </ul>
            }
            .into_any()
        }
    }
}

#[component]
fn SearchHit(result: SearchResult, on_open: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let href = format!("/chat/{}?m={}", result.chat_id, result.message_id);
    let by_user = result.role == crate::model::Role::User;
    let who = move || {
        if by_user {
            t_string!(i18n, chat.you)
        } else {
            t_string!(i18n, chat.agent)
        }
    };
    let created_at = result.created_at;
    let when = move || crate::ui::format_date(created_at, i18n.get_locale());
    let parts = snippet_parts(&result.snippet);
    view! {
        <li class="search-hit">
            <A href=href on:click=move |_| on_open.run(())>
                <span class="search-meta muted">{who} " · " {when}</span>
                <span class="search-snippet">
                    {parts.into_iter().map(|(text, marked)| if marked {
                        view! { <mark>{text}</mark> }.into_any()
                    } else {
                        text.into_any()
                    }).collect_view()}
                </span>
            </A>
        </li>
    }
}
