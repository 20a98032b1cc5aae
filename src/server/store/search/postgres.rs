//! Search on PostgreSQL. Words of a query are answered from `search_postings` (every stem of
//! a message under its owner's prefix, in recency order), walked newest first by
//! [`super::postings`]: a word in half of a person's messages costs the same as a rare one, and
//! no plan depends on the planner's statistics. Phrases, partial words, and the filters
//! (a chat, a role, dates) use the `tsvector` per message in `message_search`, under the GIN
//! index (owner, terms). The owner's vocabulary sits under a trigram index for near spellings.

use std::collections::{BTreeMap, HashMap};

use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row, Transaction};
use uuid::Uuid;

use super::postings::{Need, Posting, Walk};
use super::CANDIDATES;
use super::{bind_filter, filter_sql, join, union_of_candidates, Column, SearchExpr, SearchFilter};
use super::{owner_prefix, IndexTerms, StoreError, StoreResult, ROW_COLUMNS};

/// A database whose messages have postings is indexed; one from before the postings is
/// indexed again at start.
pub(super) const ANY_INDEXED: &str = "select exists (select 1 from search_postings) as found";

/// Bytes of the message index's tables and indexes, and of the vocabulary's.
pub(super) const SIZES: (&str, &str) = (
    "select (pg_total_relation_size('message_search') \
     + pg_total_relation_size('search_postings'))::bigint as bytes",
    "select pg_total_relation_size('search_terms')::bigint as bytes",
);

/// Empties the index and the vocabulary before a rebuild.
pub(super) const CLEAR: &[&str] = &[
    "delete from search_postings",
    "delete from message_search",
    "delete from search_terms",
];

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
    // Each stem once, with how often it occurs; sorted, like every writer's keys.
    let mut counts: BTreeMap<&str, i32> = BTreeMap::new();
    for stem in terms.stems.split(' ').filter(|s| !s.is_empty()) {
        *counts.entry(stem).or_default() += 1;
    }
    if counts.is_empty() {
        return Ok(());
    }
    let prefix = owner_prefix(owner);
    sqlx::query(
        "insert into search_postings (term, seq, tf) \
         select t.term, $1, t.tf from unnest($2::text[], $3::integer[]) as t(term, tf) \
         on conflict do nothing",
    )
    .bind(seq)
    .bind(array_literal(counts.keys().map(|s| format!("{prefix}{s}"))))
    .bind(array_literal(counts.values().map(i32::to_string)))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A PostgreSQL array literal of `items`, each quoted (sqlx's `Any` driver binds no arrays, so
/// they go in as text and are cast in the statement).
fn array_literal(items: impl Iterator<Item = String>) -> String {
    let quoted: Vec<String> = items
        .map(|i| format!("\"{}\"", i.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    format!("{{{}}}", quoted.join(","))
}

/// The owner's best `limit` messages for `parts`: from the postings when every part is words
/// (stems that must all occur) and nothing but the owner narrows the search, else from the
/// `tsvector`s.
pub(super) async fn search(
    pool: &AnyPool,
    user_id: Uuid,
    filter: &SearchFilter,
    parts: &[SearchExpr],
    limit: i64,
) -> StoreResult<Vec<AnyRow>> {
    let words: Option<Vec<Vec<&str>>> = parts.iter().map(posting_words).collect();
    match words {
        Some(words) if *filter == SearchFilter::default() => {
            search_postings(pool, user_id, &words, limit).await
        }
        _ => search_tsvector(pool, user_id, filter, parts, limit).await,
    }
}

/// The stems a part needs all of, when it is nothing else (no phrase, prefix or written form).
fn posting_words(part: &SearchExpr) -> Option<Vec<&str>> {
    fn stem(e: &SearchExpr) -> Option<&str> {
        match e {
            SearchExpr::Term {
                column: Column::Stems,
                text,
                prefix: false,
            } => Some(text.as_str()),
            _ => None,
        }
    }
    let words = match part {
        SearchExpr::And(items) => items.iter().map(stem).collect::<Option<Vec<_>>>()?,
        other => vec![stem(other)?],
    };
    (!words.is_empty()).then_some(words)
}

/// How much a word that occurs `tf` times adds to a message's rank: more is better, with less
/// gained by each repeat (close to `ts_rank`'s weights).
fn weight(tf: i32) -> f64 {
    let tf = f64::from(tf.max(1));
    tf / (tf + 0.6)
}

/// Each part's [`CANDIDATES`] newest matches, found by walking its words' postings (fewer when
/// the walk has the `limit` matches shown and has read its budget, see [`super::postings`]); a
/// part's rank is its words' weights times `ln(1 + CANDIDATES / n)` for its `n` candidates (how
/// rare it is, as on the `tsvector` path). Parts' ranks are summed per message and the best `limit`
/// joined to their rows, the owner checked again on the join.
async fn search_postings(
    pool: &AnyPool,
    user_id: Uuid,
    parts: &[Vec<&str>],
    limit: i64,
) -> StoreResult<Vec<AnyRow>> {
    let prefix = owner_prefix(user_id);
    let keys: Vec<Vec<String>> = parts
        .iter()
        .map(|words| words.iter().map(|w| format!("{prefix}{w}")).collect())
        .collect();
    let enough = usize::try_from(limit).unwrap_or(0);
    let mut walks: Vec<Walk> = keys.iter().map(|k| Walk::new(k.len(), enough)).collect();
    let started = std::time::Instant::now();
    let (mut rounds, mut paged, mut probed) = (0, 0, 0);
    loop {
        rounds += 1;
        let mut pages = Vec::new();
        let mut probes = Vec::new();
        for (part, walk) in walks.iter().enumerate() {
            for need in walk.needs() {
                match need {
                    Need::Page { list, below, limit } => pages.push((part, list, below, limit)),
                    Need::Probe { list, seqs } => probes.push((part, list, seqs)),
                }
            }
        }
        if pages.is_empty() && probes.is_empty() {
            break;
        }
        if !pages.is_empty() {
            let mut read = read_pages(pool, &keys, &pages).await?;
            paged += read.values().map(Vec::len).sum::<usize>();
            for (i, (part, list, _, asked)) in pages.into_iter().enumerate() {
                let page = read.remove(&(i as i64 + 1)).unwrap_or_default();
                walks[part].add_page(list, page, asked);
            }
        }
        for (part, list, seqs) in probes {
            probed += seqs.len();
            let found = probe(pool, &keys[part][list], &seqs).await?;
            walks[part].add_probe(list, &seqs, found);
        }
    }
    tracing::debug!(
        ?parts,
        rounds,
        paged,
        probed,
        micros = started.elapsed().as_micros() as u64,
        "postings walked"
    );
    // Summed per message: (parts matched, rank).
    let mut hits: HashMap<i64, (i64, f64)> = HashMap::new();
    for walk in &walks {
        let found = walk.result();
        let rarity = (1.0 + CANDIDATES as f64 / found.len().max(1) as f64).ln();
        for (seq, tfs) in found {
            let hit = hits.entry(seq).or_default();
            hit.0 += 1;
            hit.1 += rarity * tfs.iter().copied().map(weight).sum::<f64>();
        }
    }
    let mut hits: Vec<(i64, (i64, f64))> = hits.into_iter().collect();
    hits.sort_by(|(a_seq, (a_n, a_r)), (b_seq, (b_n, b_r))| {
        b_n.cmp(a_n).then(b_r.total_cmp(a_r)).then(b_seq.cmp(a_seq))
    });
    hits.truncate(limit.max(0) as usize);
    if hits.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "select {ROW_COLUMNS}, h.matched, h.rank as relevance \
         from unnest($1::bigint[], $2::bigint[], $3::float8[]) as h(seq, matched, rank) \
         join messages on messages.seq = h.seq \
         join chats on chats.id = messages.chat_id \
         where chats.user_id = $4 \
         order by h.matched desc, h.rank desc, messages.seq desc"
    );
    Ok(sqlx::query(&sql)
        .bind(array_literal(hits.iter().map(|(s, _)| s.to_string())))
        .bind(array_literal(hits.iter().map(|(_, (n, _))| n.to_string())))
        .bind(array_literal(hits.iter().map(|(_, (_, r))| r.to_string())))
        .bind(user_id.to_string())
        .fetch_all(pool)
        .await?)
}

/// Reads pages of postings in one statement: for each `(part, list, below, limit)`, up to
/// `limit` postings of that word older than `below`, newest first (a backward range read of the
/// primary key, the only plan such a query has). Keyed by the page's place, from 1.
async fn read_pages(
    pool: &AnyPool,
    keys: &[Vec<String>],
    pages: &[(usize, usize, i64, i64)],
) -> StoreResult<HashMap<i64, Vec<Posting>>> {
    // Each page comes back as one text of `seq:tf` pairs: decoding a row through sqlx's `Any`
    // driver costs more than PostgreSQL's reading the entry, so 16,000 rows took milliseconds.
    let rows = sqlx::query(
        "select l.i, (select string_agg(p.seq::text || ':' || p.tf::text, ' ') \
         from (select seq, tf from search_postings where term = l.term and seq < l.below \
         order by seq desc limit l.lim) p) as postings \
         from unnest($1::text[], $2::bigint[], $3::bigint[]) with ordinality \
         as l(term, below, lim, i)",
    )
    .bind(array_literal(
        pages
            .iter()
            .map(|(part, list, _, _)| keys[*part][*list].clone()),
    ))
    .bind(array_literal(
        pages.iter().map(|(_, _, below, _)| below.to_string()),
    ))
    .bind(array_literal(
        pages.iter().map(|(_, _, _, limit)| limit.to_string()),
    ))
    .fetch_all(pool)
    .await?;
    let mut read: HashMap<i64, Vec<Posting>> = HashMap::new();
    for row in rows {
        let postings: Option<String> = row.try_get("postings")?;
        let mut page = parse_postings(postings.as_deref().unwrap_or(""))?;
        // Sorted here, not by the statement: each page comes out of the index in this order
        // anyway, and PostgreSQL's sort of two pages of 8,192 took 4 ms.
        page.sort_unstable_by_key(|p| std::cmp::Reverse(p.0));
        read.insert(row.try_get("i")?, page);
    }
    Ok(read)
}

/// Reads `seq:tf` pairs separated by spaces.
fn parse_postings(text: &str) -> StoreResult<Vec<Posting>> {
    text.split_ascii_whitespace()
        .map(|pair| {
            let (seq, tf) = pair.split_once(':')?;
            Some((seq.parse().ok()?, tf.parse().ok()?))
        })
        .collect::<Option<Vec<Posting>>>()
        .ok_or_else(|| StoreError::Corrupt(format!("a page of postings: {text:.80}")))
}

/// The postings of word `key` in exactly the messages `seqs`: one primary-key lookup each.
/// (`seq = any($2)` reads the same in a custom plan, but PostgreSQL's generic plan for it,
/// chosen after five runs of a prepared statement, filters the word's every posting against the
/// array: 554 ms for 400 messages against a word in 49,000. The `limit` keeps the lateral
/// subquery a lookup per message; without it the planner may join by hash.)
async fn probe(pool: &AnyPool, key: &str, seqs: &[i64]) -> StoreResult<Vec<Posting>> {
    let rows = sqlx::query(
        "select p.seq, p.tf from unnest($2::bigint[]) as x(seq) cross join lateral \
         (select seq, tf from search_postings where term = $1 and seq = x.seq limit 1) p",
    )
    .bind(key)
    .bind(array_literal(seqs.iter().map(i64::to_string)))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("seq")?, r.try_get("tf")?)))
        .collect()
}

/// Each part takes its [`CANDIDATES`] newest matches first and ranks only those with
/// `ts_rank` (which reads every row's `tsvector`, so it must not see every match). `ts_rank`
/// knows nothing of how common a word is, so each part's rank is weighed by how few
/// candidates it has (`ln(1 + CANDIDATES / n)`, as bm25's idf does on SQLite): a rare word's
/// message outranks a common word's. The best `limit` of the summed ranks are joined to their
/// rows, the owner checked again on the join.
async fn search_tsvector(
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

    #[test]
    fn postings_answer_words_and_nothing_else() {
        let stem = |t: &str| SearchExpr::Term {
            column: Column::Stems,
            text: t.into(),
            prefix: false,
        };
        assert_eq!(posting_words(&stem("a")), Some(vec!["a"]));
        let both = SearchExpr::And(vec![stem("a"), stem("b")]);
        assert_eq!(posting_words(&both), Some(vec!["a", "b"]));
        let phrase = SearchExpr::And(vec![stem("a"), SearchExpr::Phrase(vec!["b".into()])]);
        assert_eq!(posting_words(&phrase), None);
        let partial = SearchExpr::Term {
            column: Column::Words,
            text: "a".into(),
            prefix: true,
        };
        assert_eq!(posting_words(&partial), None);
        assert_eq!(posting_words(&SearchExpr::And(Vec::new())), None);
    }

    #[test]
    fn array_literals_quote_every_item() {
        let items = ["u1ёж", "a\"b", "c\\d"].map(String::from);
        assert_eq!(
            array_literal(items.into_iter()),
            r#"{"u1ёж","a\"b","c\\d"}"#
        );
        assert!(weight(2) > weight(1) && weight(1) > 0.5);
    }
}
