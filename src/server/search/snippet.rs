//! The piece of a message shown with a search result, matched words marked.

use super::text::{normalize, stem};

/// Characters of context kept before the first match.
const LEAD: usize = 60;
/// Longest snippet, in characters (before marks and escapes).
const LENGTH: usize = 200;

/// What counts as a matched word: one of these stems, or a word starting with a prefix.
#[derive(Debug, Default, Clone)]
pub struct Matcher {
    pub stems: Vec<String>,
    pub prefixes: Vec<String>,
}

impl Matcher {
    fn matches(&self, word: &str) -> bool {
        let word = normalize(word);
        self.prefixes.iter().any(|p| word.starts_with(p.as_str()))
            || (!self.stems.is_empty() && self.stems.contains(&stem(&word)))
    }
}

/// `content` on one line, cut around its first matched word, matches wrapped in `**`.
pub fn snippet(content: &str, matcher: &Matcher) -> String {
    let flat: Vec<char> = content
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .collect();
    // Words as (start, end) in characters.
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in flat.iter().enumerate() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, flat.len()));
    }
    let matched: Vec<(usize, usize)> = words
        .into_iter()
        .filter(|&(s, e)| matcher.matches(&flat[s..e].iter().collect::<String>()))
        .collect();
    let first = matched.first().map_or(0, |m| m.0);
    let mut from = first.saturating_sub(LEAD);
    // Start at a word boundary.
    while from > 0 && from < first && flat[from - 1] != ' ' {
        from += 1;
    }
    let mut to = (from + LENGTH).min(flat.len());
    while to < flat.len() && to > from && flat[to - 1] != ' ' && flat[to] != ' ' {
        to -= 1;
    }
    if to <= first {
        to = (from + LENGTH).min(flat.len());
    }
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let mut i = from;
    while i < to {
        if let Some(&(s, e)) = matched.iter().find(|m| m.0 == i) {
            let e = e.min(to);
            out.push_str("**");
            push_escaped(&mut out, &flat[s..e]);
            out.push_str("**");
            i = e;
        } else {
            push_escaped(&mut out, &flat[i..i + 1]);
            i += 1;
        }
    }
    let trimmed_len = out.trim_end().len();
    out.truncate(trimmed_len);
    if to < flat.len() {
        out.push('…');
    }
    out
}

fn push_escaped(out: &mut String, chars: &[char]) {
    for &c in chars {
        if c == '*' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::snippet_parts;

    fn matcher(words: &[&str]) -> Matcher {
        Matcher {
            stems: words.iter().map(|w| stem(w)).collect(),
            prefixes: Vec::new(),
        }
    }

    #[test]
    fn matches_are_marked_and_the_text_escaped() {
        let s = snippet("Какая *погода*\nбудет?  Погоды нет", &matcher(&["погода"]));
        assert_eq!(s, "Какая \\***погода**\\* будет? **Погоды** нет");
        let parts = snippet_parts(&s);
        assert_eq!(
            parts,
            vec![
                ("Какая *".to_string(), false),
                ("погода".to_string(), true),
                ("* будет? ".to_string(), false),
                ("Погоды".to_string(), true),
                (" нет".to_string(), false),
            ]
        );
    }

    #[test]
    fn long_text_is_cut_around_the_first_match() {
        let text = format!("{} target {}", "lead ".repeat(40), "tail ".repeat(60));
        let s = snippet(&text, &matcher(&["target"]));
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("**target**"));
        assert!(s.chars().count() < 220, "{s}");
    }

    #[test]
    fn prefixes_mark_partial_words() {
        let m = Matcher {
            stems: Vec::new(),
            prefixes: vec!["runn".into()],
        };
        assert_eq!(snippet("I was running", &m), "I was **running**");
    }
}
