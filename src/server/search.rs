//! History search: `search_chats` over the user's messages, for the sidebar, `/v1/chats/search`
//! and the agent's `chat_history_search` tool.
//!
//! A query is tokenized and stemmed like the index (see [`text`]), then tried in tiers: chats
//! whose title has every word (when no filter is set), then messages with every word (and
//! quoted phrase), then with any of them, and only when none of these finds anything, partial
//! words and near spellings. Results are the owner's only, always.

pub mod query;
mod snippet;
pub mod stopwords;
pub mod text;

use std::collections::HashSet;

use uuid::Uuid;

use self::query::{Filters, ParsedQuery};
use self::snippet::{snippet, Matcher};
use self::text::IndexTerms;
use super::store::{Column, SearchExpr, SearchFilter, SearchRow, Store};
use crate::error::AppError;
use crate::model::{ReplyData, Role, SearchResult, SearchScope};

/// What the index holds of a message: the words of people's messages and the agent's answers,
/// but not the recall agent's lists of hits (they quote other messages, and a search that found
/// them would quote the quotes).
pub fn terms_to_index(role: Role, content: &str, data: Option<&str>) -> Option<IndexTerms> {
    let recall = || {
        data.and_then(|d| serde_json::from_str::<ReplyData>(d).ok())
            .is_some_and(|d| d.recall)
    };
    (matches!(role, Role::User | Role::Assistant) && !recall()).then(|| text::index_terms(content))
}

pub const DEFAULT_LIMIT: i64 = 10;
pub const MAX_LIMIT: i64 = 50;
/// Longest query looked at, in characters.
pub const MAX_QUERY: usize = 500;
/// Chats found by their title, at most, ahead of the messages.
const TITLE_HITS: i64 = 3;
/// Near spellings tried per word when nothing matches as typed.
const CORRECTIONS_PER_WORD: usize = 3;

/// What to search for, and where.
#[derive(Debug, Clone)]
pub struct SearchRequest<'a> {
    pub user_id: Uuid,
    pub query: &'a str,
    pub scope: SearchScope,
    /// The chat searched from; required for [`SearchScope::Current`].
    pub current_chat_id: Option<Uuid>,
    pub limit: i64,
    /// A message never to return (the question the agent is answering).
    pub exclude: Option<Uuid>,
    /// Filters given beside the query (`/v1/chats/search`'s parameters); each one set here
    /// wins over the same filter written in the query.
    pub filters: Filters,
}

#[derive(Clone, Debug)]
pub struct ChatSearch {
    store: Store,
}

impl ChatSearch {
    pub fn new(store: Store) -> Self {
        ChatSearch { store }
    }

    pub async fn search_chats(
        &self,
        req: &SearchRequest<'_>,
    ) -> Result<Vec<SearchResult>, AppError> {
        if !(1..=MAX_LIMIT).contains(&req.limit) {
            return Err(AppError::validation(
                "limit",
                format!("limit must be between 1 and {MAX_LIMIT}."),
            ));
        }
        if req.query.chars().count() > MAX_QUERY {
            return Err(AppError::validation(
                "q",
                format!("The search is too long (at most {MAX_QUERY} characters)."),
            ));
        }
        let chat = match req.scope {
            SearchScope::All => None,
            SearchScope::Current => Some(req.current_chat_id.ok_or_else(|| {
                AppError::validation("chat_id", "Searching the current chat needs its chat_id.")
            })?),
        };
        let parsed = query::parse(req.query);
        if parsed.is_empty() {
            return Ok(Vec::new());
        }
        let filter = store_filter(chat, &parsed.filters, &req.filters);
        let mut found: Vec<SearchResult> = Vec::new();
        let mut seen: HashSet<Uuid> = req.exclude.into_iter().collect();
        let mut matcher = Matcher {
            stems: parsed.all_stems(),
            prefixes: Vec::new(),
        };
        // Tier 3: chats named by every word (a title is how people know a chat), the most
        // recent few, each shown by its first message; only when no filter looks at messages.
        // Tier 2 (every word and phrase) does not depend on it, so both run at once on two
        // connections, tier 2 asking for enough rows to leave out the titles' messages.
        let titles = async {
            if filter != SearchFilter::default() {
                return Ok::<_, AppError>(Vec::new());
            }
            let stems = parsed.all_stems();
            Ok(self
                .store
                .search_titles(req.user_id, &stems, TITLE_HITS.min(req.limit))
                .await?)
        };
        let all = vec![parsed.all()];
        let every_word = self.run(
            req.user_id,
            &filter,
            &all,
            req.limit + seen.len() as i64 + TITLE_HITS,
        );
        let (titles, every_word) = tokio::try_join!(titles, every_word)?;
        collect(titles, 3.0, 1, &matcher, &mut seen, &mut found, req.limit);
        collect(
            every_word, 2.0, 1, &matcher, &mut seen, &mut found, req.limit,
        );
        // Tier 1: some of the words, more of them first.
        let wanted = req.limit - found.len() as i64;
        if parsed.len() > 1 && wanted > 0 {
            let parts = parsed.parts();
            let rows = self
                .run(req.user_id, &filter, &parts, wanted + seen.len() as i64)
                .await?;
            collect(
                rows,
                1.0,
                parts.len(),
                &matcher,
                &mut seen,
                &mut found,
                req.limit,
            );
        }
        if found.is_empty() {
            // Tier 0: nothing matched as typed, so partial words and near spellings.
            let (parts, fallback) = self.fallback(req.user_id, &parsed).await?;
            if !parts.is_empty() {
                matcher = fallback;
                let rows = self
                    .run(req.user_id, &filter, &parts, req.limit + seen.len() as i64)
                    .await?;
                collect(
                    rows,
                    0.0,
                    parts.len(),
                    &matcher,
                    &mut seen,
                    &mut found,
                    req.limit,
                );
            }
        }
        Ok(found)
    }

    async fn run(
        &self,
        user_id: Uuid,
        filter: &SearchFilter,
        parts: &[SearchExpr],
        limit: i64,
    ) -> Result<Vec<SearchRow>, AppError> {
        let started = std::time::Instant::now();
        let rows = self
            .store
            .search_messages(user_id, filter, parts, limit)
            .await?;
        tracing::debug!(
            parts = parts.len(),
            found = rows.len(),
            micros = started.elapsed().as_micros() as u64,
            "searched messages"
        );
        Ok(rows)
    }

    /// Every word as a prefix of written words, and as the stems of indexed words spelled
    /// within an edit or two of it.
    async fn fallback(
        &self,
        user_id: Uuid,
        parsed: &ParsedQuery,
    ) -> Result<(Vec<SearchExpr>, Matcher), AppError> {
        let mut parts = Vec::new();
        let mut matcher = Matcher::default();
        for word in parsed.plain_words() {
            let length = word.chars().count();
            if length >= 2 {
                parts.push(SearchExpr::Term {
                    column: Column::Words,
                    text: word.clone(),
                    prefix: true,
                });
                matcher.prefixes.push(word.clone());
            }
            // The vocabulary holds words of 3 to 40 characters; nothing else has a near spelling.
            if !(3..=40).contains(&length) {
                continue;
            }
            let allowed = if length <= 4 { 1 } else { 2 };
            let mut near: Vec<(usize, String)> = self
                .store
                .similar_terms(user_id, &word, 30)
                .await?
                .into_iter()
                .map(|t| (text::levenshtein(&word, &t), t))
                .filter(|(d, t)| *d <= allowed && t != &word)
                .collect();
            near.sort();
            for (_, term) in near.into_iter().take(CORRECTIONS_PER_WORD) {
                let stem = text::stem(&term);
                if !matcher.stems.contains(&stem) {
                    parts.push(SearchExpr::Term {
                        column: Column::Stems,
                        text: stem.clone(),
                        prefix: false,
                    });
                    matcher.stems.push(stem);
                }
            }
        }
        Ok((parts, matcher))
    }
}

/// The store's filter: the scope's chat, and each filter from the request's own parameters
/// or else from the query text; days are UTC.
fn store_filter(chat: Option<Uuid>, written: &Filters, given: &Filters) -> SearchFilter {
    let start_of = |day: chrono::NaiveDate| {
        day.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis())
    };
    SearchFilter {
        chat,
        role: given.from.or(written.from),
        after_ms: given.after.or(written.after).and_then(start_of),
        before_ms: given.before.or(written.before).and_then(start_of),
    }
}

/// Adds new rows to `found`; `parts` is how many parts the tier searched for.
fn collect(
    rows: Vec<SearchRow>,
    base: f64,
    parts: usize,
    matcher: &Matcher,
    seen: &mut HashSet<Uuid>,
    found: &mut Vec<SearchResult>,
    limit: i64,
) {
    for row in rows {
        if found.len() as i64 >= limit {
            return;
        }
        if !seen.insert(row.message_id) {
            continue;
        }
        let relevance = row.relevance.max(0.0);
        // Within a tier, more parts matched first, then relevance; every tier above the next.
        let within =
            (row.matched.max(1) as f64 - 1.0 + relevance / (1.0 + relevance)) / parts.max(1) as f64;
        found.push(SearchResult {
            chat_id: row.chat_id,
            chat_title: row.chat_title,
            message_id: row.message_id,
            role: row.role,
            created_at: row.created_at,
            snippet: snippet(&row.content, matcher),
            score: base + within,
        });
    }
}
