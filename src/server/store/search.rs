//! The full-text index of messages and the queries on it: SQLite FTS5, or PostgreSQL
//! `tsvector` with `pg_trgm` for near spellings. The index is written in the transaction that
//! stores the message and goes with it by cascade, so it is always in step with the messages.
//!
//! Query text never reaches the engine's query language as typed: the search service passes a
//! [`SearchExpr`] of already-tokenized words, rendered here with every word quoted.

use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

use super::{from_millis, parse_id, role_of, Engine, Store, StoreError, StoreResult};
use crate::model::Role;
use crate::server::search::text::IndexTerms;

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

/// A matching message with its chat; `relevance` grows with the match's quality.
#[derive(Debug, Clone)]
pub struct SearchRow {
    pub chat_id: Uuid,
    pub chat_title: String,
    pub message_id: Uuid,
    pub seq: i64,
    pub role: Role,
    pub content: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub relevance: f64,
}

/// Words go in quoted, so nothing in them can be read as query syntax; each carries the
/// owner's `prefix`, as indexed.
fn fts5(expr: &SearchExpr, prefix: &str) -> String {
    let quote = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
    let own = |t: &str| format!("{prefix}{t}");
    match expr {
        SearchExpr::Term {
            column,
            text,
            prefix: is_prefix,
        } => format!(
            "{}:{}{}",
            match column {
                Column::Stems => "stems",
                Column::Words => "words",
            },
            quote(&own(text)),
            if *is_prefix { "*" } else { "" }
        ),
        SearchExpr::Phrase(stems) => format!(
            "stems:{}",
            quote(&stems.iter().map(|s| own(s)).collect::<Vec<_>>().join(" "))
        ),
        SearchExpr::And(parts) => join(parts, " AND ", |e| fts5(e, prefix)),
        SearchExpr::Or(parts) => join(parts, " OR ", |e| fts5(e, prefix)),
    }
}

fn tsquery(expr: &SearchExpr) -> String {
    let quote = |t: &str| format!("'{}'", t.replace(['\'', '\\'], ""));
    match expr {
        SearchExpr::Term {
            column,
            text,
            prefix,
        } => format!(
            "{}:{}{}",
            quote(text),
            if *prefix { "*" } else { "" },
            match column {
                Column::Stems => "A",
                Column::Words => "B",
            }
        ),
        SearchExpr::Phrase(stems) => format!(
            "({})",
            stems
                .iter()
                .map(|s| format!("{}:A", quote(s)))
                .collect::<Vec<_>>()
                .join(" <-> ")
        ),
        SearchExpr::And(parts) => join(parts, " & ", tsquery),
        SearchExpr::Or(parts) => join(parts, " | ", tsquery),
    }
}

fn join(parts: &[SearchExpr], sep: &str, render: impl Fn(&SearchExpr) -> String) -> String {
    format!(
        "({})",
        parts.iter().map(render).collect::<Vec<_>>().join(sep)
    )
}

/// What every FTS5 term of a user starts with: 64 bits of the id make another user's prefix
/// practically impossible, and the owner check on the join would still drop their rows.
fn owner_prefix(user_id: Uuid) -> String {
    format!("u{}", &user_id.simple().to_string()[..16])
}

/// Each space-separated term of `text` with the owner's prefix.
fn owned(text: &str, prefix: &str) -> String {
    text.split(' ')
        .filter(|t| !t.is_empty())
        .map(|t| format!("{prefix}{t}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn chat_token(chat_id: Uuid) -> String {
    format!("c{}", chat_id.simple())
}

/// Rows per statement when adding words to the vocabulary (well under both engines' limits).
const VOCABULARY_CHUNK: usize = 200;

impl Store {
    /// Indexes one stored message; called inside the transaction that stored it.
    pub(super) async fn index_message(
        engine: Engine,
        tx: &mut Transaction<'_, Any>,
        owner: Uuid,
        chat_id: Uuid,
        seq: i64,
        terms: &IndexTerms,
    ) -> StoreResult<()> {
        let sql = match engine {
            // Idempotent: `reindex` may meet a message the server indexed while it ran.
            Engine::Sqlite => {
                "insert or replace into message_fts (rowid, stems, words, chat) \
                 values ($1, $2, $3, $5)"
            }
            Engine::Postgres => {
                "insert into message_search (seq, terms, owner, chat) values ($1, \
                 setweight(to_tsvector('simple', $2), 'A') || setweight(to_tsvector('simple', $3), 'B'), \
                 $4, $5) on conflict (seq) do nothing"
            }
        };
        let owner_id = owner;
        let (stems, words, owner, chat) = match engine {
            Engine::Sqlite => {
                let prefix = owner_prefix(owner);
                (
                    owned(&terms.stems, &prefix),
                    owned(&terms.words, &prefix),
                    String::new(),
                    chat_token(chat_id),
                )
            }
            Engine::Postgres => (
                terms.stems.clone(),
                terms.words.clone(),
                owner.to_string(),
                chat_id.to_string(),
            ),
        };
        sqlx::query(sql)
            .bind(seq)
            .bind(stems)
            .bind(words)
            .bind(owner)
            .bind(chat)
            .execute(&mut **tx)
            .await?;
        for chunk in terms.vocabulary.chunks(VOCABULARY_CHUNK) {
            let values = (2..=chunk.len() + 1)
                .map(|i| format!("($1, ${i})"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "insert into search_terms (owner, term) values {values} on conflict do nothing"
            );
            let mut query = sqlx::query(&sql).bind(owner_id.to_string());
            for term in chunk {
                query = query.bind(term);
            }
            query.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// The owner's user and assistant messages (of one chat, or all) matching `expr`, best
    /// first, ties broken by recency; `limit` rows.
    pub async fn search_messages(
        &self,
        user_id: Uuid,
        chat_id: Option<Uuid>,
        expr: &SearchExpr,
        limit: i64,
    ) -> StoreResult<Vec<SearchRow>> {
        let columns =
            "chats.id as chat_id, chats.title, messages.id, messages.seq, messages.role, \
                       messages.content, messages.created_at";
        let rows = match self.engine() {
            Engine::Sqlite => {
                // Scoped and ranked inside FTS5 (`rank`: bm25, lower is better), so only the
                // best `limit` rows are joined; the owner check on the join stays as a guard.
                let mut matching = fts5(expr, &owner_prefix(user_id));
                if let Some(chat) = chat_id {
                    matching = format!("chat:\"{}\" AND {matching}", chat_token(chat));
                }
                let sql = format!(
                    "with hits as (select rowid as seq, rank from message_fts \
                     where message_fts match $1 order by rank, rowid desc limit $3) \
                     select {columns}, -hits.rank as relevance from hits \
                     join messages on messages.seq = hits.seq \
                     join chats on chats.id = messages.chat_id \
                     where chats.user_id = $2 order by hits.rank, messages.seq desc"
                );
                sqlx::query(&sql)
                    .bind(matching)
                    .bind(user_id.to_string())
                    .bind(limit)
                    .fetch_all(self.pool())
                    .await?
            }
            Engine::Postgres => {
                // Scoped by the (owner, terms) index and ranked before any join, as above.
                let scope = if chat_id.is_some() {
                    "and s.chat = $4"
                } else {
                    ""
                };
                let sql = format!(
                    "with hits as (select s.seq, ts_rank(s.terms, q)::float8 as relevance \
                     from message_search s, to_tsquery('simple', $1) q \
                     where s.owner = $2 and s.terms @@ q {scope} \
                     order by relevance desc, s.seq desc limit $3) \
                     select {columns}, hits.relevance from hits \
                     join messages on messages.seq = hits.seq \
                     join chats on chats.id = messages.chat_id \
                     where chats.user_id = $2 order by hits.relevance desc, messages.seq desc"
                );
                let mut query = sqlx::query(&sql)
                    .bind(tsquery(expr))
                    .bind(user_id.to_string())
                    .bind(limit);
                if let Some(chat) = chat_id {
                    query = query.bind(chat.to_string());
                }
                query.fetch_all(self.pool()).await?
            }
        };
        rows.iter()
            .map(|row| {
                Ok(SearchRow {
                    chat_id: parse_id(&row.try_get::<String, _>("chat_id")?)?,
                    chat_title: row.try_get("title")?,
                    message_id: parse_id(&row.try_get::<String, _>("id")?)?,
                    seq: row.try_get("seq")?,
                    role: role_of(row)?,
                    content: row.try_get("content")?,
                    created_at: from_millis(row.try_get("created_at")?)?,
                    relevance: row.try_get("relevance")?,
                })
            })
            .collect()
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
            Engine::Sqlite => {
                let chars: Vec<char> = word.chars().collect();
                if chars.len() < 3 {
                    return Ok(Vec::new());
                }
                let trigrams = chars
                    .windows(3)
                    .map(|w| format!("\"{}\"", w.iter().collect::<String>().replace('"', "\"\"")))
                    .collect::<Vec<_>>()
                    .join(" OR ");
                sqlx::query(
                    "select term from search_terms_trigrams where search_terms_trigrams match $1 \
                     and owner = $3 order by rank limit $2",
                )
                .bind(trigrams)
                .bind(limit)
                .bind(user_id.to_string())
                .fetch_all(self.pool())
                .await?
            }
            Engine::Postgres => {
                // pg_trgm's default cut-off (0.3) misses one typo in a short word ("cats" and
                // "cots" score 0.25); the edit distance check after this is the real filter.
                let mut tx = self.pool().begin().await?;
                sqlx::query("set local pg_trgm.similarity_threshold = 0.15")
                    .execute(&mut *tx)
                    .await?;
                let rows = sqlx::query(
                    "select term from search_terms where owner = $3 and term % $1 \
                     order by similarity(term, $1) desc limit $2",
                )
                .bind(word)
                .bind(limit)
                .bind(user_id.to_string())
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                rows
            }
        };
        rows.iter()
            .map(|r| r.try_get("term").map_err(StoreError::from))
            .collect()
    }

    /// Whether stored messages have no index entries at all (a database from before the index).
    pub async fn index_is_missing(&self) -> StoreResult<bool> {
        let indexed = match self.engine() {
            // A contentless FTS5 table keeps one `docsize` row per indexed message.
            Engine::Sqlite => "select exists (select 1 from message_fts_docsize) as found",
            Engine::Postgres => "select exists (select 1 from message_search) as found",
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

    /// Rebuilds the whole index from the stored messages, `batch` messages per transaction.
    /// Returns how many messages were indexed.
    pub async fn reindex(
        &self,
        terms_of: impl Fn(&str) -> IndexTerms,
        batch: i64,
    ) -> StoreResult<u64> {
        let clear: &[&str] = match self.engine() {
            Engine::Sqlite => &[
                "delete from message_fts",
                "delete from search_terms",
                "delete from search_terms_trigrams",
            ],
            Engine::Postgres => &["delete from message_search", "delete from search_terms"],
        };
        let mut tx = self.pool().begin().await?;
        for sql in clear {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        let mut after = 0_i64;
        let mut indexed = 0_u64;
        loop {
            let rows = sqlx::query(
                "select messages.seq, messages.content, messages.chat_id, chats.user_id \
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
            let mut tx = self.pool().begin().await?;
            for row in &rows {
                let seq: i64 = row.try_get("seq")?;
                let content: String = row.try_get("content")?;
                let owner = parse_id(&row.try_get::<String, _>("user_id")?)?;
                let chat = parse_id(&row.try_get::<String, _>("chat_id")?)?;
                let terms = terms_of(&content);
                Self::index_message(self.engine(), &mut tx, owner, chat, seq, &terms).await?;
                after = seq;
                indexed += 1;
            }
            tx.commit().await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(text: &str) -> SearchExpr {
        SearchExpr::Term {
            column: Column::Stems,
            text: text.into(),
            prefix: false,
        }
    }

    #[test]
    fn expressions_render_with_every_word_quoted() {
        let expr = SearchExpr::Or(vec![
            SearchExpr::And(vec![
                term("погод"),
                SearchExpr::Phrase(vec!["a".into(), "b".into()]),
            ]),
            SearchExpr::Term {
                column: Column::Words,
                text: "run\"x".into(),
                prefix: true,
            },
        ]);
        assert_eq!(
            fts5(&expr, "u1"),
            "((stems:\"u1погод\" AND stems:\"u1a u1b\") OR words:\"u1run\"\"x\"*)"
        );
        assert_eq!(
            tsquery(&expr),
            "(('погод':A & ('a':A <-> 'b':A)) | 'run\"x':*B)"
        );
    }
}
