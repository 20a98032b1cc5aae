//! Search on SQLite: a contentless FTS5 table whose every term carries its owner's prefix,
//! so a user's search reads only that user's postings.

use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Transaction};
use uuid::Uuid;

use super::CANDIDATES;
use super::{bind_filter, filter_sql, join, union_of_candidates, Column, SearchExpr, SearchFilter};
use super::{owner_prefix, IndexTerms, StoreResult, ROW_COLUMNS};

/// Answers whether anything is indexed: a contentless FTS5 table keeps one `docsize` row per
/// indexed message.
pub(super) const ANY_INDEXED: &str = "select exists (select 1 from message_fts_docsize) as found";

/// Bytes of the message index's tables, and of the vocabulary's (SQLite's `dbstat`).
pub(super) const SIZES: (&str, &str) = (
    "select coalesce(sum(pgsize), 0) as bytes from dbstat where name like 'message_fts%'",
    "select coalesce(sum(pgsize), 0) as bytes from dbstat \
     where name like 'search_terms%' or name like 'sqlite_autoindex_search_terms%'",
);

/// Empties the index and the vocabulary before a rebuild.
pub(super) const CLEAR: &[&str] = &[
    "delete from message_fts",
    "delete from search_terms",
    "delete from search_terms_trigrams",
];

/// Words go in quoted, so nothing in them can be read as query syntax; each carries the
/// owner's `prefix`, as indexed.
fn render(expr: &SearchExpr, prefix: &str) -> String {
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
        SearchExpr::And(parts) => join(parts, " AND ", |e| render(e, prefix)),
        SearchExpr::Or(parts) => join(parts, " OR ", |e| render(e, prefix)),
    }
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

pub(super) async fn index(
    tx: &mut Transaction<'_, Any>,
    owner: Uuid,
    chat_id: Uuid,
    seq: i64,
    terms: &IndexTerms,
) -> StoreResult<()> {
    let prefix = owner_prefix(owner);
    // Idempotent: `reindex` may meet a message the server indexed while it ran.
    sqlx::query(
        "insert or replace into message_fts (rowid, stems, words, chat) values ($1, $2, $3, $4)",
    )
    .bind(seq)
    .bind(owned(&terms.stems, &prefix))
    .bind(owned(&terms.words, &prefix))
    .bind(chat_token(chat_id))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Each part walks its matches newest first inside FTS5 (`order by rowid desc` is the
/// index's own order, so the walk stops after [`CANDIDATES`]) and ranks only those (`rank`:
/// bm25, lower is better). bm25 reads every match once to learn how common the words are, so
/// a part with more matches than the cap is not given to it: such a word's bm25 weight is
/// next to nothing (FTS5 floors it at 1e-6), and its candidates are ranked by that weight and
/// their length (shorter is more about the word). The best `limit` of the summed ranks are
/// joined to their rows; the owner check on the join stays as a guard. `cross join` fixes
/// SQLite's join order: given the owner as a parameter, its planner would otherwise start from
/// the owner's chats and read every message of theirs (16 ms for a search that matches
/// nothing, on 50,000 messages).
pub(super) async fn search(
    pool: &AnyPool,
    user_id: Uuid,
    filter: &SearchFilter,
    parts: &[SearchExpr],
    limit: i64,
) -> StoreResult<Vec<AnyRow>> {
    let k = parts.len();
    let (cap, lim, user) = (k + 1, k + 2, k + 3);
    let conditions = filter_sql(filter, k + 4);
    // Whether each part has more matches than are ranked: counted, at most one past the cap.
    let common = (1..=k).map(|i| {
        format!(
            "n{i} as (select count(*) > ${cap} as common from (select 1 from message_fts \
             where message_fts match ${i} limit ${cap} + 1))"
        )
    });
    let candidates = (1..=k).map(|i| {
        format!(
            "c{i} as (select f.rowid as seq, case when n{i}.common \
             then -1e-6 / (1.0 + length(m.content) / 100.0) else f.rank end as rank \
             from message_fts f cross join messages m on m.seq = f.rowid cross join n{i} \
             where f.message_fts match ${i}{conditions} order by f.rowid desc limit ${cap})"
        )
    });
    let candidates = common.chain(candidates).collect::<Vec<_>>().join(", ");
    let union = union_of_candidates(k);
    let sql = format!(
        "with {candidates}, \
         hits as (select seq, count(*) as matched, sum(rank) as rank from ({union}) \
         group by seq order by matched desc, rank, seq desc limit ${lim}) \
         select {ROW_COLUMNS}, hits.matched, -hits.rank as relevance from hits \
         cross join messages on messages.seq = hits.seq \
         cross join chats on chats.id = messages.chat_id \
         where chats.user_id = ${user} \
         order by hits.matched desc, hits.rank, messages.seq desc"
    );
    let prefix = owner_prefix(user_id);
    let mut query = sqlx::query(&sql);
    for part in parts {
        let mut matching = render(part, &prefix);
        if let Some(chat) = filter.chat {
            matching = format!("chat:\"{}\" AND {matching}", chat_token(chat));
        }
        query = query.bind(matching);
    }
    query = query.bind(CANDIDATES).bind(limit).bind(user_id.to_string());
    Ok(bind_filter(query, filter).fetch_all(pool).await?)
}

/// The owner's words sharing trigrams with `word`, best first.
pub(super) async fn similar_terms(
    pool: &AnyPool,
    user_id: Uuid,
    word: &str,
    limit: i64,
) -> StoreResult<Vec<AnyRow>> {
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < 3 {
        return Ok(Vec::new());
    }
    let trigrams = chars
        .windows(3)
        .map(|w| format!("\"{}\"", w.iter().collect::<String>().replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" OR ");
    Ok(sqlx::query(
        "select term from search_terms_trigrams where search_terms_trigrams match $1 \
         and owner = $3 order by rank limit $2",
    )
    .bind(trigrams)
    .bind(limit)
    .bind(user_id.to_string())
    .fetch_all(pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_render_with_every_word_quoted() {
        let expr = SearchExpr::Or(vec![
            SearchExpr::And(vec![
                SearchExpr::Term {
                    column: Column::Stems,
                    text: "погод".into(),
                    prefix: false,
                },
                SearchExpr::Phrase(vec!["a".into(), "b".into()]),
            ]),
            SearchExpr::Term {
                column: Column::Words,
                text: "run\"x".into(),
                prefix: true,
            },
        ]);
        assert_eq!(
            render(&expr, "u1"),
            "((stems:\"u1погод\" AND stems:\"u1a u1b\") OR words:\"u1run\"\"x\"*)"
        );
    }
}
