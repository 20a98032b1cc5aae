//! A search as typed, read into words, quoted phrases and filters (`from:me`, `from:agent`,
//! `before:YYYY-MM-DD`, `after:YYYY-MM-DD`).

use chrono::NaiveDate;

use super::stopwords::STOPWORDS;
use super::text::{stem, words};
use crate::model::Role;
use crate::server::store::{Column, SearchExpr};

/// Most words of a query used; the rest are ignored.
const MAX_TERMS: usize = 12;

#[derive(Debug, Default, PartialEq)]
pub struct ParsedQuery {
    /// Unquoted words (normalized) with their stems.
    words: Vec<(String, String)>,
    /// Quoted phrases of two or more words, as stems.
    phrases: Vec<Vec<String>>,
    /// The filters written in the query.
    pub filters: Filters,
}

/// Which messages a search looks at, besides its words.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Filters {
    /// `from:me` (the user's own messages) or `from:agent` (the agent's answers).
    pub from: Option<Role>,
    /// `before:YYYY-MM-DD`: written before that day began (UTC).
    pub before: Option<NaiveDate>,
    /// `after:YYYY-MM-DD`: written on that day (UTC) or later.
    pub after: Option<NaiveDate>,
}

/// What `from:` accepts, as people write it.
pub fn parse_from(value: &str) -> Option<Role> {
    match value.to_lowercase().as_str() {
        "me" | "user" => Some(Role::User),
        "agent" | "assistant" => Some(Role::Assistant),
        _ => None,
    }
}

pub fn parse_day(value: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()
}

/// Takes the filters out of unquoted text; a filter with a value it cannot read stays text.
fn take_filters(piece: &str, filters: &mut Filters) -> String {
    piece
        .split_whitespace()
        .filter(|token| {
            let Some((key, value)) = token.split_once(':') else {
                return true;
            };
            match key.to_lowercase().as_str() {
                "from" => parse_from(value).map(|r| filters.from = Some(r)).is_none(),
                "before" => parse_day(value).map(|d| filters.before = Some(d)).is_none(),
                "after" => parse_day(value).map(|d| filters.after = Some(d)).is_none(),
                _ => true,
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads `"quoted phrases"` and words; an unclosed quote is read as words.
pub fn parse(input: &str) -> ParsedQuery {
    let pieces: Vec<&str> = input.split('"').collect();
    let closed = pieces.len() % 2 == 1;
    let mut q = ParsedQuery::default();
    let mut plain = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        let quoted = i % 2 == 1 && (closed || i + 1 < pieces.len());
        let unfiltered;
        let piece = if quoted {
            *piece
        } else {
            unfiltered = take_filters(piece, &mut q.filters);
            unfiltered.as_str()
        };
        let ws: Vec<String> = words(piece).collect();
        if quoted && ws.len() > 1 {
            q.phrases.push(ws.iter().map(|w| stem(w)).collect());
        } else {
            plain.extend(ws);
        }
    }
    let meaningful =
        plain.iter().any(|w| !STOPWORDS.contains(&w.as_str())) || !q.phrases.is_empty();
    for w in plain {
        if meaningful && STOPWORDS.contains(&w.as_str()) {
            continue;
        }
        let s = stem(&w);
        if !q.words.iter().any(|(_, existing)| *existing == s) {
            q.words.push((w, s));
        }
    }
    q.words.truncate(MAX_TERMS);
    q.phrases.truncate(MAX_TERMS);
    q
}

impl ParsedQuery {
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.phrases.is_empty()
    }

    pub fn len(&self) -> usize {
        self.words.len() + self.phrases.len()
    }

    /// Each word and phrase on its own.
    pub fn parts(&self) -> Vec<SearchExpr> {
        let words = self.words.iter().map(|(_, s)| SearchExpr::Term {
            column: Column::Stems,
            text: s.clone(),
            prefix: false,
        });
        let phrases = self.phrases.iter().map(|p| SearchExpr::Phrase(p.clone()));
        words.chain(phrases).collect()
    }

    /// Every word and phrase.
    pub fn all(&self) -> SearchExpr {
        let mut parts = self.parts();
        if parts.len() == 1 {
            parts.remove(0)
        } else {
            SearchExpr::And(parts)
        }
    }

    /// The stems of every word, phrases included: what the snippet marks.
    pub fn all_stems(&self) -> Vec<String> {
        let mut stems: Vec<String> = self.words.iter().map(|(_, s)| s.clone()).collect();
        stems.extend(self.phrases.iter().flatten().cloned());
        stems
    }

    /// The unquoted words as typed (normalized): what the fallback corrects.
    pub fn plain_words(&self) -> Vec<String> {
        self.words.iter().map(|(w, _)| w.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_phrases_and_stopwords() {
        let q = parse(r#"what did we say about "red Roses" in Paris"#);
        assert_eq!(q.words, vec![("paris".into(), "pari".into())]);
        assert_eq!(q.phrases, vec![vec!["red".to_string(), "rose".to_string()]]);
    }

    #[test]
    fn only_stopwords_are_kept_when_nothing_else_is_asked() {
        let q = parse("what");
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn any_characters_are_safe() {
        for input in ["\"", "\"\"", "***", "AND OR NOT", "a\"b", ")(:^-", ""] {
            let q = parse(input);
            for (w, _) in &q.words {
                assert!(w.chars().all(char::is_alphanumeric), "{w}");
            }
        }
        assert!(parse(")(:^-").is_empty());
    }

    #[test]
    fn filters_are_read_out_of_the_words() {
        let q = parse("roses from:me after:2026-01-05 BEFORE:2026-02-01 \"from:agent roses\"");
        assert_eq!(q.filters.from, Some(Role::User));
        assert_eq!(q.filters.after, parse_day("2026-01-05"));
        assert_eq!(q.filters.before, parse_day("2026-02-01"));
        // Inside quotes a filter is text; an unreadable one stays words.
        assert_eq!(q.phrases.len(), 1);
        let q = parse("before:yesterday from:everyone");
        assert_eq!(q.filters, Filters::default());
        assert!(q.plain_words().contains(&"yesterday".to_string()));
    }
}
