//! Error messages in the web UI's language.
//!
//! Messages are written in English where the error happens: the JSON API answers with them
//! as they are (its clients are programs). Server functions, which answer the web UI, pass
//! their errors through [`localize`] with the page's language; the translations live here on
//! the server, so they cost the browser's download nothing.
//!
//! A translation is looked up by the English sentence itself (as gettext does). A sentence
//! with parts filled in at run time matches its pattern, `{}` standing for each part.

mod ru;

use crate::error::AppError;
use crate::i18n::Locale;

/// `error` with its message in `locale`, where a translation exists; otherwise unchanged.
/// Errors without a message of their own (internal, rate limited) are worded by the UI.
pub fn localize(mut error: AppError, locale: Locale) -> AppError {
    let table = match locale {
        Locale::en => return error,
        Locale::ru => ru::RU,
    };
    if let Some(message) = error.message_mut() {
        if let Some(translated) = translate(message, table) {
            *message = translated;
        }
    }
    error
}

/// The translation of `message` from `table`: an exact match, else the first pattern it fits
/// with the run-time parts carried over in order (translated too where the table has them).
fn translate(message: &str, table: &[(&str, &str)]) -> Option<String> {
    if let Some((_, to)) = table.iter().find(|(from, _)| *from == message) {
        return Some((*to).to_string());
    }
    table.iter().find_map(|(from, to)| {
        let parts = fill_ins(from, message)?;
        let mut out = String::with_capacity(to.len() + message.len());
        let mut pieces = to.split("{}");
        out.push_str(pieces.next().unwrap_or_default());
        for (piece, part) in pieces.zip(parts) {
            // A part that is itself a sentence of the table (a hint) is translated too.
            match table.iter().find(|(from, _)| *from == part) {
                Some((_, translated)) => out.push_str(translated),
                None => out.push_str(part),
            }
            out.push_str(piece);
        }
        Some(out)
    })
}

/// The run-time parts of `message` when it fits `pattern` (a sentence with `{}`s).
fn fill_ins<'m>(pattern: &str, message: &'m str) -> Option<Vec<&'m str>> {
    let mut pieces = pattern.split("{}");
    let first = pieces.next()?;
    let rest: Vec<&str> = pieces.collect();
    if rest.is_empty() {
        return None;
    }
    let mut tail = message.strip_prefix(first)?;
    let mut parts = Vec::with_capacity(rest.len());
    for (i, piece) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        let end = if last {
            tail.strip_suffix(piece).map(str::len)?
        } else if piece.is_empty() {
            return None; // two `{}`s side by side cannot be told apart
        } else {
            tail.find(piece)?
        };
        parts.push(&tail[..end]);
        tail = &tail[end + piece.len()..];
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_messages_and_patterns_are_translated() {
        let table = &[
            ("No such chat.", "Такого чата нет."),
            (
                "Login must be {} to {} characters long.",
                "Логин: от {} до {} символов.",
            ),
            ("Bad query string: {}", "Неверная строка запроса: {}"),
        ];
        assert_eq!(
            translate("No such chat.", table).unwrap(),
            "Такого чата нет."
        );
        assert_eq!(
            translate("Login must be 3 to 32 characters long.", table).unwrap(),
            "Логин: от 3 до 32 символов."
        );
        assert_eq!(
            translate("Bad query string: limit is not a number", table).unwrap(),
            "Неверная строка запроса: limit is not a number"
        );
        assert_eq!(translate("Something else.", table), None);
        assert_eq!(translate("Login must be 3 characters long.", table), None);
    }

    #[test]
    fn english_and_messageless_errors_are_left_alone() {
        let error = AppError::validation("login", "That login is already taken.");
        assert_eq!(localize(error.clone(), Locale::en), error);
        assert_eq!(localize(AppError::Internal, Locale::ru), AppError::Internal);
        let localized = localize(error, Locale::ru);
        assert_eq!(localized.field(), Some("login"));
        assert_ne!(localized.to_string(), "That login is already taken.");
    }

    /// Every pair keeps the English sentence's run-time parts: as many `{}`, none lost.
    #[test]
    fn translations_keep_their_fill_ins() {
        for (from, to) in ru::RU {
            assert_eq!(
                from.matches("{}").count(),
                to.matches("{}").count(),
                "{from:?} -> {to:?}"
            );
            assert!(!to.is_empty() && from != to, "{from:?} is not translated");
        }
    }

    /// Every message the source gives an `AppError` has a Russian pair. The scan reads the
    /// usual ways of writing one (`AppError::X("…")`, `AppError::X(format!("…"`,
    /// `validation("field", "…")`, `message: "…"`, `#[error("…")]` of errors turned into
    /// one), with `{name}` and `{:?}` read as `{}`.
    #[test]
    fn every_message_in_the_source_has_a_russian_pair() {
        let mut missing = Vec::new();
        for message in messages_in(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")) {
            if !ru::RU.iter().any(|(from, _)| *from == message) {
                missing.push(message);
            }
        }
        missing.sort();
        missing.dedup();
        assert!(
            missing.is_empty(),
            "no Russian in src/server/error_language/ru.rs for: {missing:#?}"
        );
    }

    fn messages_in(dir: std::path::PathBuf) -> Vec<String> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                found.extend(messages_in(path));
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path.ends_with("src/error.rs")
                && !path.ends_with("error_language.rs")
                && !path.ends_with("error_language/ru.rs")
            {
                found.extend(messages_of(&std::fs::read_to_string(&path).unwrap()));
            }
        }
        found
    }

    /// The string literal after each marker that starts a message.
    fn messages_of(source: &str) -> Vec<String> {
        const MARKERS: &[&str] = &[
            "AppError::",
            "validation(",
            "message: ",
            "#[error(\"",
            "BAD_CREDENTIALS: &str = ",
        ];
        let mut found = Vec::new();
        for marker in MARKERS {
            for (at, _) in source.match_indices(marker) {
                let after = &source[at + marker.len()..];
                let Some(literal) = literal_after(after, marker) else {
                    continue;
                };
                if *marker == "#[error(\"" && !literal.starts_with(|c: char| c.is_uppercase()) {
                    continue;
                }
                if !literal.is_empty() && literal != "{}" {
                    found.push(literal);
                }
            }
        }
        found
    }

    /// The message literal that `after` (the text following a marker) opens with, if any.
    fn literal_after(after: &str, marker: &str) -> Option<String> {
        let rest = if marker == "#[error(\"" {
            after
        } else {
            let mut rest = after;
            if marker == "AppError::" {
                // A variant (`AppError::NotFound(`), not a method (`AppError::validation(`,
                // which the next marker reads).
                if !rest.starts_with(|c: char| c.is_ascii_uppercase()) {
                    return None;
                }
                let name_end = rest.find(|c: char| !c.is_alphanumeric())?;
                rest = rest[name_end..].strip_prefix('(')?;
            }
            if marker == "validation(" {
                rest = rest.trim_start().strip_prefix('"')?;
                rest = &rest[rest.find('"')? + 1..];
                rest = rest.trim_start().strip_prefix(',')?;
            }
            rest = rest.trim_start();
            if let Some(r) = rest.strip_prefix("format!(") {
                rest = r.trim_start();
            }
            rest.strip_prefix('"')?
        };
        let mut out = String::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Some(placeholders_as_braces(&out)),
                '\\' => match chars.next()? {
                    '\n' => {
                        while chars.peek().is_some_and(|c| c.is_whitespace()) {
                            chars.next();
                        }
                    }
                    'n' => out.push('\n'),
                    other => out.push(other),
                },
                c => out.push(c),
            }
        }
        None
    }

    /// `{name}`, `{:?}` and `{0}` as `{}`, the form the table writes them in.
    fn placeholders_as_braces(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            match rest[open..].find('}') {
                Some(close) => {
                    out.push_str("{}");
                    rest = &rest[open + close + 1..];
                }
                None => {
                    rest = &rest[open..];
                    break;
                }
            }
        }
        out.push_str(rest);
        out
    }
}
