//! The full-text index of messages and the queries on it: SQLite FTS5 ([`sqlite`]), or
//! PostgreSQL `tsvector` with `pg_trgm` for near spellings ([`postgres`]). The index is written
//! in the transaction that stores the message and goes with it by cascade, so it is always in
//! step with the messages. This file holds what both engines share.
//!
//! Query text never reaches the engine's query language as typed: the search service passes
//! [`SearchExpr`]s of already-tokenized words, rendered by each engine with every word quoted.
//!
//! Ranking reads a bounded number of candidates, so a search costs the same whether a word is
//! in ten messages or in half of them: each part of a query is matched against the owner's
//! [`CANDIDATES`] most recent messages that contain it, ranked among those, and the parts'
//! scores are summed per message (the engines' own rankings are sums over query words too).
//! A word rare enough to matter for ranking has fewer matches than that, so all of them count;
//! a word in thousands of messages carries almost no weight and is read only where it is newest.

mod postgres;
mod postings;
mod sqlite;

use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

use super::{from_millis, parse_id, role_of, Engine, Store, StoreError, StoreResult};
use crate::model::Role;
use crate::server::search::text::IndexTerms;

/// Most recent matches of one query part that are ranked (see the module's notes).
pub const CANDIDATES: i64 = 300;

/// Which indexed form a term is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// Snowball stems: word forms.
    Stems,
    /// Words as written: partial words, by prefix.
    Words,
}

/// A search over indexed terms; every string is one alphanumeric token.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchExpr {
    Term {
        column: Column,
        text: String,
        prefix: bool,
    },
    /// Stems in this order, next to each other.
    Phrase(Vec<String>),
    And(Vec<SearchExpr>),
    Or(Vec<SearchExpr>),
}

/// Which of the owner's messages a search looks at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchFilter {
    /// Only this chat.
    pub chat: Option<Uuid>,
    /// Only messages of this role (the user's own, or the agent's).
    pub role: Option<Role>,
    /// Only messages written at or after this time (milliseconds since the epoch).
    pub after_ms: Option<i64>,
    /// Only messages written before this time (milliseconds since the epoch).
    pub before_ms: Option<i64>,
}

impl SearchFilter {
    /// Whether the filter reads message rows (not only the index).
    fn reads_messages(&self) -> bool {
        self.role.is_some() || self.after_ms.is_some() || self.before_ms.is_some()
    }
}

/// A matching message with its chat; `relevance` grows with the match's quality and
/// `matched` counts the query parts it matched.
#[derive(Debug, Clone)]
pub struct SearchRow {
    pub chat_id: Uuid,
    pub chat_title: String,
    pub message_id: Uuid,
    pub seq: i64,
    pub role: Role,
    pub content: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub matched: i64,
    pub relevance: f64,
}

/// The columns every search query returns, read back by [`search_row`].
const ROW_COLUMNS: &str = "chats.id as chat_id, chats.title, messages.id, messages.seq, \
     messages.role, messages.content, messages.created_at";

/// The message conditions of a filter, on `messages` aliased `m`, with the parameters they
/// take from `next` on; the values are bound by [`bind_filter`].
fn filter_sql(filter: &SearchFilter, next: usize) -> String {
    let mut sql = String::new();
    let mut n = next;
    if filter.role.is_some() {
        sql.push_str(&format!(" and m.role = ${n}"));
        n += 1;
    }
    if filter.after_ms.is_some() {
        sql.push_str(&format!(" and m.created_at >= ${n}"));
        n += 1;
    }
    if filter.before_ms.is_some() {
        sql.push_str(&format!(" and m.created_at < ${n}"));
    }
    sql
}

fn bind_filter<'q>(
    mut query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    filter: &SearchFilter,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    if let Some(role) = filter.role {
        query = query.bind(role.as_str());
    }
    if let Some(after) = filter.after_ms {
        query = query.bind(after);
    }
    if let Some(before) = filter.before_ms {
        query = query.bind(before);
    }
    query
}

fn search_row(row: &sqlx::any::AnyRow) -> StoreResult<SearchRow> {
    Ok(SearchRow {
        chat_id: parse_id(&row.try_get::<String, _>("chat_id")?)?,
        chat_title: row.try_get("title")?,
        message_id: parse_id(&row.try_get::<String, _>("id")?)?,
        seq: row.try_get("seq")?,
        role: role_of(row)?,
        content: row.try_get("content")?,
        created_at: from_millis(row.try_get("created_at")?)?,
        matched: row.try_get("matched")?,
        relevance: row.try_get("relevance")?,
    })
}

/// What every indexed term of a user starts with (SQLite's FTS5 terms, PostgreSQL's postings):
/// 64 bits of the id make another user's prefix practically impossible, and the owner check on
/// the join to the messages would still drop their rows.
fn owner_prefix(user_id: Uuid) -> String {
    format!("u{}", &user_id.simple().to_string()[..16])
}

/// A title's words as a title search matches them: normalized like the index, space-separated,
/// with a space before each, so `like '% stem%'` finds a word by its stem (a stem is how the
/// word begins).
pub(super) fn title_words(title: &str) -> String {
    crate::server::search::text::words(title)
        .map(|w| format!(" {w}"))
        .collect()
}

/// Every part's candidates (`c1` … `ck`, each `seq, rank`) as one row set, for summing per
/// message.
fn union_of_candidates(k: usize) -> String {
    (1..=k)
        .map(|i| format!("select seq, rank from c{i}"))
        .collect::<Vec<_>>()
        .join(" union all ")
}

fn join(parts: &[SearchExpr], sep: &str, render: impl Fn(&SearchExpr) -> String) -> String {
    format!(
        "({})",
        parts.iter().map(render).collect::<Vec<_>>().join(sep)
    )
}

/// Words per statement when adding to the vocabulary (well under both engines' limits).
const VOCABULARY_CHUNK: usize = 100;

/// The vocabulary entries (owner, word) a transaction adds, in one order for every
/// transaction: PostgreSQL makes a second writer of the same new entry wait for the first to
/// commit, so two transactions adding the same words in different orders would deadlock (two
/// chats of one person written at once did).
pub(super) type Vocabulary = std::collections::BTreeSet<(Uuid, String)>;

impl Store {
    /// Indexes one stored message; called inside the transaction that stored it. Its words go
    /// to the typo vocabulary after the transaction's last message ([`Store::add_vocabulary`]).
    pub(super) async fn index_message(
        engine: Engine,
        tx: &mut Transaction<'_, Any>,
        owner: Uuid,
        chat_id: Uuid,
        seq: i64,
        terms: &IndexTerms,
    ) -> StoreResult<()> {
        match engine {
            Engine::Sqlite => sqlite::index(tx, owner, chat_id, seq, terms).await,
            Engine::Postgres => postgres::index(tx, owner, chat_id, seq, terms).await,
        }
    }

    /// Adds a transaction's new words to their owners' typo vocabularies, in sorted order.
    pub(super) async fn add_vocabulary(
        tx: &mut Transaction<'_, Any>,
        words: &Vocabulary,
    ) -> StoreResult<()> {
        let words: Vec<_> = words.iter().collect();
        for chunk in words.chunks(VOCABULARY_CHUNK) {
            let values = (0..chunk.len())
                .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "insert into search_terms (owner, term) values {values} on conflict do nothing"
            );
            let mut query = sqlx::query(&sql);
            for (owner, term) in chunk {
                query = query.bind(owner.to_string()).bind(term);
            }
            query.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// The owner's user and assistant messages passing `filter` that match at least one of
    /// `parts`, best first: more parts matched, then the summed rank of each part among its
    /// [`CANDIDATES`] most recent matches, ties by recency; `limit` rows.
    pub async fn search_messages(
        &self,
        user_id: Uuid,
        filter: &SearchFilter,
        parts: &[SearchExpr],
        limit: i64,
    ) -> StoreResult<Vec<SearchRow>> {
        if parts.is_empty() {
            return Ok(Vec::new());
        }
        let rows = match self.engine() {
            Engine::Sqlite => sqlite::search(self.pool(), user_id, filter, parts, limit).await?,
            Engine::Postgres => {
                postgres::search(self.pool(), user_id, filter, parts, limit).await?
            }
        };
        rows.iter().map(search_row).collect()
    }

    /// The owner's chats whose title has a word beginning with each of `stems`, most recent
    /// activity first, each with its first message; `limit` chats. Reads the owner's chats (by
    /// the `(user_id, updated_at)` index), never their messages' text.
    pub async fn search_titles(
        &self,
        user_id: Uuid,
        stems: &[String],
        limit: i64,
    ) -> StoreResult<Vec<SearchRow>> {
        if stems.is_empty() {
            return Ok(Vec::new());
        }
        let words = (0..stems.len())
            .map(|i| format!(" and chats.title_words like ${}", i + 3))
            .collect::<String>();
        // The chats are chosen first and only those few look up their first message: a word
        // in hundreds of titles would otherwise look up hundreds before the sort (11 ms on
        // PostgreSQL without statistics, where the planner expects one title to match).
        let sql = format!(
            "select {ROW_COLUMNS}, cast(0 as bigint) as matched, \
             cast(0 as double precision) as relevance from \
             (select id, title, updated_at from chats where chats.user_id = $1{words} \
             and exists (select 1 from messages m where m.chat_id = chats.id \
             and m.role in ('user', 'assistant')) \
             order by chats.updated_at desc, chats.id desc limit $2) chats \
             join messages on messages.seq = (select min(m.seq) from messages m \
             where m.chat_id = chats.id and m.role in ('user', 'assistant')) \
             order by chats.updated_at desc, chats.id desc"
        );
        let mut query = sqlx::query(&sql).bind(user_id.to_string()).bind(limit);
        for stem in stems {
            // Stems are alphanumeric, so they hold no `like` wildcard.
            query = query.bind(format!("% {stem}%"));
        }
        query
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(search_row)
            .collect()
    }

    /// Fills the searchable words of titles stored before titles were searchable, `batch`
    /// chats per statement; returns how many were filled.
    pub async fn fill_title_words(&self, batch: i64) -> StoreResult<u64> {
        let mut filled = 0;
        loop {
            let rows =
                sqlx::query("select id, title from chats where title_words is null limit $1")
                    .bind(batch)
                    .fetch_all(self.pool())
                    .await?;
            if rows.is_empty() {
                return Ok(filled);
            }
            let mut tx = self.begin_write().await?;
            for row in &rows {
                let (id, title): (String, String) = (row.try_get("id")?, row.try_get("title")?);
                sqlx::query("update chats set title_words = $1 where id = $2 and title = $3")
                    .bind(title_words(&title))
                    .bind(&id)
                    .bind(&title)
                    .execute(&mut *tx)
                    .await?;
                filled += 1;
            }
            tx.commit().await?;
        }
    }

    /// The user's own indexed words spelled like `word` (sharing its trigrams), most alike
    /// first.
    pub async fn similar_terms(
        &self,
        user_id: Uuid,
        word: &str,
        limit: i64,
    ) -> StoreResult<Vec<String>> {
        let rows = match self.engine() {
            Engine::Sqlite => sqlite::similar_terms(self.pool(), user_id, word, limit).await?,
            Engine::Postgres => postgres::similar_terms(self.pool(), user_id, word, limit).await?,
        };
        rows.iter()
            .map(|r| r.try_get("term").map_err(StoreError::from))
            .collect()
    }

    /// Whether stored messages have no index entries at all (a database from before the index).
    pub async fn index_is_missing(&self) -> StoreResult<bool> {
        let indexed = match self.engine() {
            Engine::Sqlite => sqlite::ANY_INDEXED,
            Engine::Postgres => postgres::ANY_INDEXED,
        };
        let messages =
            "select exists (select 1 from messages where role in ('user', 'assistant')) as found";
        let found = |sql: &'static str| async move {
            let row = sqlx::query(sql).fetch_one(self.pool()).await?;
            // SQLite answers with an integer, PostgreSQL with a boolean.
            Ok::<bool, StoreError>(match self.engine() {
                Engine::Sqlite => row.try_get::<i64, _>("found")? != 0,
                Engine::Postgres => row.try_get::<bool, _>("found")?,
            })
        };
        Ok(found(messages).await? && !found(indexed).await?)
    }

    /// Bytes on disk of the message index and of the typo vocabulary (for the benchmarks).
    pub async fn index_size_bytes(&self) -> StoreResult<(i64, i64)> {
        let (index, vocabulary) = match self.engine() {
            Engine::Sqlite => sqlite::SIZES,
            Engine::Postgres => postgres::SIZES,
        };
        let bytes = |sql: &'static str| async move {
            let row = sqlx::query(sql).fetch_one(self.pool()).await?;
            Ok::<i64, StoreError>(row.try_get("bytes")?)
        };
        Ok((bytes(index).await?, bytes(vocabulary).await?))
    }

    /// Rebuilds the whole index from the stored messages, `batch` messages per transaction.
    /// Returns how many messages were indexed.
    pub async fn reindex(
        &self,
        terms_of: impl Fn(Role, &str, Option<&str>) -> Option<IndexTerms>,
        batch: i64,
    ) -> StoreResult<u64> {
        let clear = match self.engine() {
            Engine::Sqlite => sqlite::CLEAR,
            Engine::Postgres => postgres::CLEAR,
        };
        let mut tx = self.begin_write().await?;
        for sql in clear {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        let mut after = 0_i64;
        let mut indexed = 0_u64;
        loop {
            let rows = sqlx::query(
                "select messages.seq, messages.role, messages.content, messages.data, \
                 messages.chat_id, chats.user_id \
                 from messages join chats on chats.id = messages.chat_id \
                 where messages.seq > $1 and messages.role in ('user', 'assistant') \
                 order by messages.seq limit $2",
            )
            .bind(after)
            .bind(batch)
            .fetch_all(self.pool())
            .await?;
            if rows.is_empty() {
                return Ok(indexed);
            }
            let mut tx = self.begin_write().await?;
            let mut vocabulary = Vocabulary::new();
            for row in &rows {
                let seq: i64 = row.try_get("seq")?;
                after = seq;
                let content: String = row.try_get("content")?;
                let data: Option<String> = row.try_get("data")?;
                let Some(terms) = terms_of(role_of(row)?, &content, data.as_deref()) else {
                    continue;
                };
                let owner = parse_id(&row.try_get::<String, _>("user_id")?)?;
                let chat = parse_id(&row.try_get::<String, _>("chat_id")?)?;
                Self::index_message(self.engine(), &mut tx, owner, chat, seq, &terms).await?;
                vocabulary.extend(terms.vocabulary.into_iter().map(|t| (owner, t)));
                indexed += 1;
            }
            Self::add_vocabulary(&mut tx, &vocabulary).await?;
            tx.commit().await?;
        }
    }
}
