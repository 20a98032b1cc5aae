//! Search on PostgreSQL: a `tsvector` per message in `message_search`, scoped by the GIN
//! index (owner, terms), and the owner's vocabulary under a trigram index for near spellings.

use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Transaction};
use uuid::Uuid;

use super::CANDIDATES;
use super::{bind_filter, filter_sql, join, union_of_candidates, Column, SearchExpr, SearchFilter};
use super::{IndexTerms, StoreResult, ROW_COLUMNS};

pub(super) const ANY_INDEXED: &str = "select exists (select 1 from message_search) as found";

/// Bytes of the message index's table and indexes, and of the vocabulary's.
pub(super) const SIZES: (&str, &str) = (
    "select pg_total_relation_size('message_search')::bigint as bytes",
    "select pg_total_relation_size('search_terms')::bigint as bytes",
);

/// Empties the index and the vocabulary before a rebuild.
pub(super) const CLEAR: &[&str] = &["delete from message_search", "delete from search_terms"];

/// Words go in quoted; stems weigh `A`, words as written `B` (as indexed).
fn render(expr: &SearchExpr) -> String {
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
        SearchExpr::And(parts) => join(parts, " & ", render),
        SearchExpr::Or(parts) => join(parts, " | ", render),
    }
}

pub(super) async fn index(
    tx: &mut Transaction<'_, Any>,
    owner: Uuid,
    chat_id: Uuid,
    seq: i64,
    terms: &IndexTerms,
) -> StoreResult<()> {
    // Idempotent: `reindex` may meet a message the server indexed while it ran.
    sqlx::query(
        "insert into message_search (seq, terms, owner, chat) values ($1, \
         setweight(to_tsvector('simple', $2), 'A') || setweight(to_tsvector('simple', $3), 'B'), \
         $4, $5) on conflict (seq) do nothing",
    )
    .bind(seq)
    .bind(&terms.stems)
    .bind(&terms.words)
    .bind(owner.to_string())
    .bind(chat_id.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Each part takes its [`CANDIDATES`] newest matches first and ranks only those with
/// `ts_rank` (which reads every row's `tsvector`, so it must not see every match). `ts_rank`
/// knows nothing of how common a word is, so each part's rank is weighed by how few
/// candidates it has (`ln(1 + CANDIDATES / n)`, as bm25's idf does on SQLite): a rare word's
/// message outranks a common word's. The best `limit` of the summed ranks are joined to their
/// rows, the owner checked again on the join.
pub(super) async fn search(
    pool: &AnyPool,
    user_id: Uuid,
    filter: &SearchFilter,
    parts: &[SearchExpr],
    limit: i64,
) -> StoreResult<Vec<AnyRow>> {
    let k = parts.len();
    let (cap, lim, user) = (k + 1, k + 2, k + 3);
    let mut next = k + 4;
    let mut conditions = String::new();
    if filter.chat.is_some() {
        conditions.push_str(&format!(" and s.chat = ${next}"));
        next += 1;
    }
    let from = if filter.reads_messages() {
        conditions.push_str(&filter_sql(filter, next));
        "message_search s join messages m on m.seq = s.seq"
    } else {
        "message_search s"
    };
    let candidates = (1..=k)
        .map(|i| {
            format!(
                "c{i} as (select x.seq, ts_rank(x.terms, to_tsquery('simple', ${i}))::float8 \
                 * ln(1.0 + ${cap}::float8 / count(*) over ()) as rank \
                 from (select s.seq, s.terms from {from} \
                 where s.owner = ${user} and s.terms @@ to_tsquery('simple', ${i}){conditions} \
                 order by s.seq desc limit ${cap}) x)"
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let union = union_of_candidates(k);
    let sql = format!(
        "with {candidates}, \
         hits as (select seq, count(*) as matched, sum(rank) as rank from ({union}) u \
         group by seq order by matched desc, rank desc, seq desc limit ${lim}) \
         select {ROW_COLUMNS}, hits.matched, hits.rank as relevance from hits \
         join messages on messages.seq = hits.seq \
         join chats on chats.id = messages.chat_id \
         where chats.user_id = ${user} \
         order by hits.matched desc, hits.rank desc, messages.seq desc"
    );
    let mut query = sqlx::query(&sql);
    for part in parts {
        query = query.bind(render(part));
    }
    query = query.bind(CANDIDATES).bind(limit).bind(user_id.to_string());
    if let Some(chat) = filter.chat {
        query = query.bind(chat.to_string());
    }
    Ok(bind_filter(query, filter).fetch_all(pool).await?)
}

/// The owner's words within pg_trgm's reach of `word`, most alike first.
pub(super) async fn similar_terms(
    pool: &AnyPool,
    user_id: Uuid,
    word: &str,
    limit: i64,
) -> StoreResult<Vec<AnyRow>> {
    // pg_trgm's default cut-off (0.3) misses one typo in a short word ("cats" and "cots"
    // score 0.25); the edit distance check after this is the real filter.
    let mut tx = pool.begin().await?;
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
    Ok(rows)
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
                text: "run'x".into(),
                prefix: true,
            },
        ]);
        assert_eq!(
            render(&expr),
            "(('погод':A & ('a':A <-> 'b':A)) | 'runx':*B)"
        );
    }
}
