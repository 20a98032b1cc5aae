//! Words as the search index sees them: lowercased, `ё` read as `е`, and reduced to their
//! Snowball stem (Russian for Cyrillic words, English for the rest), so "погоды" finds
//! "погода" and "running" finds "run". Stemming happens here, not in the database, so SQLite
//! and PostgreSQL index exactly the same terms.

use rust_stemmers::{Algorithm, Stemmer};
use std::sync::OnceLock;

/// Longest word kept in the typo vocabulary; longer "words" are ids, hashes or noise.
const MAX_VOCAB_WORD: usize = 40;

fn stemmers() -> &'static (Stemmer, Stemmer) {
    static STEMMERS: OnceLock<(Stemmer, Stemmer)> = OnceLock::new();
    STEMMERS.get_or_init(|| {
        (
            Stemmer::create(Algorithm::English),
            Stemmer::create(Algorithm::Russian),
        )
    })
}

/// The words of `text`, lowercased, in order.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(normalize)
}

/// Lowercase, with `ё` folded into `е` (Russian text uses both for the same letter).
pub fn normalize(word: &str) -> String {
    word.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ё' { 'е' } else { c })
        .collect()
}

/// The stem of a normalized word.
pub fn stem(word: &str) -> String {
    let (english, russian) = stemmers();
    let cyrillic = word.chars().any(|c| matches!(c, 'а'..='я'));
    let stemmer = if cyrillic {
        russian
    } else if word.chars().any(|c| c.is_ascii_alphabetic()) {
        english
    } else {
        return word.to_string();
    };
    let stem = stemmer.stem(word).into_owned();
    if stem.is_empty() {
        word.to_string()
    } else {
        stem
    }
}

/// What one message adds to the index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexTerms {
    /// Every word's stem, in order, space-separated (phrases match on these).
    pub stems: String,
    /// The distinct words as written, space-separated (partial words match on these).
    pub words: String,
    /// Distinct words worth correcting a typo towards.
    pub vocabulary: Vec<String>,
}

pub fn index_terms(text: &str) -> IndexTerms {
    let mut stems = Vec::new();
    let mut distinct: Vec<String> = Vec::new();
    for w in words(text) {
        stems.push(stem(&w));
        distinct.push(w);
    }
    distinct.sort_unstable();
    distinct.dedup();
    let vocabulary = distinct
        .iter()
        .filter(|w| {
            let n = w.chars().count();
            (3..=MAX_VOCAB_WORD).contains(&n) && w.chars().any(char::is_alphabetic)
        })
        .cloned()
        .collect();
    IndexTerms {
        stems: stems.join(" "),
        words: distinct.join(" "),
        vocabulary,
    }
}

/// Edit distance (insertions, deletions, substitutions), in characters.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_forms_share_a_stem() {
        assert_eq!(stem("погода"), stem("погоды"));
        assert_eq!(stem("погода"), stem(&normalize("Погоду")));
        assert_eq!(stem("running"), stem("run"));
        assert_eq!(stem(&normalize("ёлки")), stem(&normalize("елка")));
        assert_eq!(stem("2026"), "2026");
    }

    #[test]
    fn terms_keep_order_for_phrases_and_distinct_words_for_prefixes() {
        let t = index_terms("Running, run! Ёжик 42");
        assert_eq!(t.stems, "run run ежик 42");
        assert_eq!(t.words, "42 run running ежик");
        assert_eq!(t.vocabulary, vec!["run", "running", "ежик"]);
    }

    #[test]
    fn edit_distance() {
        assert_eq!(levenshtein("погода", "погда"), 1);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
    }
}
