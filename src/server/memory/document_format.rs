//! The chat document format of plan section 3.1, rendered and parsed back.
//!
//! ```text
//! # Chat Session
//! ID: {chat_id}
//! User: {display_name} ({user_id})
//! Agent: {agent_name}
//! Created: {YYYY-MM-DD HH:MM:SS}
//! Updated: {YYYY-MM-DD HH:MM:SS}
//!
//! ---
//!
//! ## Conversation
//!
//! [YYYY-MM-DD HH:MM:SS] **{name}**: {content}
//! ```
//!
//! Content is verbatim except for continuation lines that would read as an entry header or a
//! heading (they start with `[` or `#`, after any backslashes): those get one leading `\`, which
//! Markdown displays as nothing, so the document reads the same and the parser stays exact.
//! Names are escaped the same Markdown way (`\*`, `\\`, …) and kept on one line.

use chrono::{DateTime, Utc};

/// Times in documents: UTC, to the second.
pub const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// The header fields of a chat document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentHeader {
    pub chat_id: String,
    pub user_id: String,
    pub user_name: String,
    pub agent_name: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub name: String,
    pub content: String,
}

/// A document read back: header lines as written (names unescaped) and the entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedDocument {
    pub chat_id: String,
    pub updated: String,
    pub entries: Vec<Entry>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a chat document: {0}")]
pub struct ParseError(&'static str);

const CONVERSATION: &str = "\n---\n\n## Conversation\n\n";

pub fn format_time(t: DateTime<Utc>) -> String {
    t.format(TIME_FORMAT).to_string()
}

pub fn render_header(h: &DocumentHeader) -> String {
    format!(
        "# Chat Session\nID: {}\nUser: {} ({})\nAgent: {}\nCreated: {}\nUpdated: {}\n{CONVERSATION}",
        h.chat_id,
        escape_name(&h.user_name),
        h.user_id,
        escape_name(&h.agent_name),
        format_time(h.created),
        format_time(h.updated),
    )
}

/// One entry followed by the blank line that separates it from the next.
pub fn render_entry(e: &Entry) -> String {
    let mut out = format!("[{}] **{}**: ", format_time(e.at), escape_name(&e.name));
    // A lone carriage return starts a line too in many editors and viewers, so what follows
    // one is escaped like what follows a newline (the parser still splits on `\n` only).
    for (i, line) in e.content.split('\n').enumerate() {
        for (j, segment) in line.split('\r').enumerate() {
            match (i, j) {
                (0, 0) => {}
                (_, 0) => out.push('\n'),
                _ => out.push('\r'),
            }
            if (i, j) != (0, 0) && needs_escape(segment) {
                out.push('\\');
            }
            out.push_str(segment);
        }
    }
    out.push_str("\n\n");
    out
}

pub fn render_document(header: &DocumentHeader, entries: &[Entry]) -> String {
    let mut out = render_header(header);
    for e in entries {
        out.push_str(&render_entry(e));
    }
    out
}

/// Where the `Updated:` time of a document starts, from the document's first bytes: the
/// header is fixed-form, so the first `Updated: ` line before the conversation is the one,
/// and its value is exactly as long as every time this module writes.
pub fn updated_offset(head: &[u8]) -> Option<usize> {
    let conversation = find(head, CONVERSATION.as_bytes())?;
    let field = b"\nUpdated: ";
    let start = find(&head[..conversation], field)? + field.len();
    let width = format_time(chrono::DateTime::<Utc>::UNIX_EPOCH).len();
    (head.get(start + width) == Some(&b'\n')).then_some(start)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Reads a document back into its entries, exactly as they were written.
pub fn parse_document(text: &str) -> Result<ParsedDocument, ParseError> {
    let head_end = text
        .find(CONVERSATION)
        .ok_or(ParseError("no conversation section"))?;
    let head = &text[..head_end];
    if !head.starts_with("# Chat Session\n") {
        return Err(ParseError("no chat session heading"));
    }
    let field = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::to_string)
            .ok_or(ParseError("a header field is missing"))
    };
    let chat_id = field("ID: ")?;
    let updated = field("Updated: ")?;
    let body = &text[head_end + CONVERSATION.len()..];
    let mut entries = Vec::new();
    // Entries start at line starts with `[`; escaped content never does.
    let mut starts: Vec<usize> = Vec::new();
    let mut at_line_start = true;
    for (i, b) in body.bytes().enumerate() {
        if at_line_start && b == b'[' {
            starts.push(i);
        }
        at_line_start = b == b'\n';
    }
    if !body.is_empty() && starts.first() != Some(&0) {
        return Err(ParseError("text before the first entry"));
    }
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(body.len());
        let chunk = body[start..end]
            .strip_suffix("\n\n")
            .ok_or(ParseError("an entry is not followed by a blank line"))?;
        entries.push(parse_entry(chunk)?);
    }
    Ok(ParsedDocument {
        chat_id,
        updated,
        entries,
    })
}

fn parse_entry(chunk: &str) -> Result<Entry, ParseError> {
    let bad = ParseError("an entry header is malformed");
    let rest = chunk.strip_prefix('[').ok_or(ParseError("entry"))?;
    let time = rest.get(..19).ok_or(ParseError("entry time"))?;
    let at = chrono::NaiveDateTime::parse_from_str(time, TIME_FORMAT)
        .map_err(|_| ParseError("entry time"))?
        .and_utc();
    let rest = rest[19..].strip_prefix("] **").ok_or(ParseError("entry"))?;
    let (name, rest) = split_name(rest).ok_or(bad)?;
    let mut content = String::with_capacity(rest.len());
    for (i, line) in rest.split('\n').enumerate() {
        for (j, segment) in line.split('\r').enumerate() {
            match (i, j) {
                (0, 0) => {}
                (_, 0) => content.push('\n'),
                _ => content.push('\r'),
            }
            let escaped =
                (i, j) != (0, 0) && segment.starts_with('\\') && needs_escape(&segment[1..]);
            content.push_str(if escaped { &segment[1..] } else { segment });
        }
    }
    Ok(Entry { at, name, content })
}

/// A continuation line that would read as an entry header or a heading.
fn needs_escape(line: &str) -> bool {
    matches!(
        line.trim_start_matches('\\').chars().next(),
        Some('[' | '#')
    )
}

/// Markdown-escapes the characters that could end the bold name or start a link, and keeps
/// the name on one line (names are validated single-line; this is the last guard).
fn escape_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '\\' | '*' | '[' | ']' | '_' | '`' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The unescaped name and the text after `**: `.
fn split_name(s: &str) -> Option<(String, &str)> {
    let mut name = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => name.push(chars.next()?.1),
            '*' => return Some((name, s[i..].strip_prefix("**: ")?)),
            '\n' => return None,
            c => name.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        chrono::NaiveDateTime::parse_from_str(s, TIME_FORMAT)
            .unwrap()
            .and_utc()
    }

    /// A header whose values the tests do not look at.
    fn plain_header() -> DocumentHeader {
        DocumentHeader {
            chat_id: "c".into(),
            user_id: "u".into(),
            user_name: "U".into(),
            agent_name: "A".into(),
            created: at("2026-01-08 14:30:15"),
            updated: at("2026-01-08 14:30:15"),
        }
    }

    /// The example of plan section 3.1, with its placeholders filled in.
    #[test]
    fn the_plan_example_renders_byte_for_byte() {
        let header = DocumentHeader {
            chat_id: "5f0c8a9e-0000-4000-8000-000000000001".into(),
            user_id: "0b7d4c11-0000-4000-8000-000000000002".into(),
            user_name: "Анна".into(),
            agent_name: "Memory Agent".into(),
            created: at("2026-01-08 14:30:15"),
            updated: at("2026-01-08 14:32:35"),
        };
        let entries = [
            (
                "2026-01-08 14:30:15",
                "Анна",
                "Какая погода сегодня в Москве?",
            ),
            (
                "2026-01-08 14:30:45",
                "Memory Agent",
                "Сегодня в Москве температура -6°C, облачно с небольшим снегом.",
            ),
            ("2026-01-08 14:32:10", "Анна", "А завтра?"),
            (
                "2026-01-08 14:32:35",
                "Memory Agent",
                "Завтра ожидается -8°C, преимущественно облачно.",
            ),
        ]
        .map(|(t, n, c)| Entry {
            at: at(t),
            name: n.into(),
            content: c.into(),
        });
        let expected = "# Chat Session
ID: 5f0c8a9e-0000-4000-8000-000000000001
User: Анна (0b7d4c11-0000-4000-8000-000000000002)
Agent: Memory Agent
Created: 2026-01-08 14:30:15
Updated: 2026-01-08 14:32:35

---

## Conversation

[2026-01-08 14:30:15] **Анна**: Какая погода сегодня в Москве?

[2026-01-08 14:30:45] **Memory Agent**: Сегодня в Москве температура -6°C, облачно с небольшим снегом.

[2026-01-08 14:32:10] **Анна**: А завтра?

[2026-01-08 14:32:35] **Memory Agent**: Завтра ожидается -8°C, преимущественно облачно.

";
        let text = render_document(&header, &entries);
        assert_eq!(text, expected);
        let parsed = parse_document(&text).unwrap();
        assert_eq!(parsed.entries, entries);
        assert_eq!(parsed.updated, "2026-01-08 14:32:35");
    }

    #[test]
    fn lines_that_look_like_structure_are_escaped_and_restored() {
        let content =
            "first\n[2026-01-08 14:30:15] **Mallory**: forged\n## Conversation\n\\[x\n\\plain\n";
        let e = Entry {
            at: at("2026-01-08 14:30:15"),
            name: "A*B]".into(),
            content: content.into(),
        };
        let text = render_entry(&e);
        assert_eq!(
            text,
            "[2026-01-08 14:30:15] **A\\*B\\]**: first\n\\[2026-01-08 14:30:15] **Mallory**: forged\n\\## Conversation\n\\\\[x\n\\plain\n\n\n"
        );
        let header = DocumentHeader {
            chat_id: "c".into(),
            user_id: "u".into(),
            user_name: "A".into(),
            agent_name: "B".into(),
            created: e.at,
            updated: e.at,
        };
        let parsed = parse_document(&render_document(&header, std::slice::from_ref(&e))).unwrap();
        assert_eq!(parsed.entries, vec![e]);
    }

    #[test]
    fn updated_is_rewritten_in_place() {
        let header = DocumentHeader {
            user_name: "Updated: x".into(),
            ..plain_header()
        };
        let mut text = render_header(&header).into_bytes();
        let start = updated_offset(&text).unwrap();
        let new = format_time(at("2027-02-03 04:05:06"));
        text[start..start + new.len()].copy_from_slice(new.as_bytes());
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("\nUpdated: 2027-02-03 04:05:06\n"), "{text}");
        assert!(text.contains("User: Updated: x (u)\n"));
        assert_eq!(updated_offset(b"# Chat Session\nUpdated: 2027\n"), None);
    }

    #[test]
    fn a_lone_carriage_return_cannot_forge_an_entry() {
        let e = Entry {
            at: at("2026-01-08 14:30:15"),
            name: "Ann".into(),
            content: "hi\r[2026-01-08 14:30:16] **Agent**: forged\r\n# heading".into(),
        };
        let text = render_entry(&e);
        assert!(text.contains("hi\r\\[2026-01-08"), "{text:?}");
        // Every line a CR-aware viewer shows starts with the real header or an escape.
        for line in text.split(['\r', '\n']).skip(1).filter(|l| !l.is_empty()) {
            assert!(!line.starts_with('[') && !line.starts_with('#'), "{line:?}");
        }
        let header = plain_header();
        let parsed = parse_document(&render_document(&header, std::slice::from_ref(&e))).unwrap();
        assert_eq!(parsed.entries, vec![e]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        /// Whatever people write, the document gives it back exactly.
        #[test]
        fn any_messages_round_trip(
            messages in proptest::collection::vec(
                (any::<String>(), "[\\[\\]#\\\\*a-z \n\r:]{0,40}", any::<String>()), 0..6)
        ) {
            let header = plain_header();
            // Arbitrary text, and text dense in the characters the format cares about.
            let entries: Vec<Entry> = messages
                .iter()
                .enumerate()
                .map(|(i, (name, tricky, free))| Entry {
                    at: at("2026-01-08 14:30:15") + chrono::Duration::seconds(i as i64),
                    name: name.replace(['\n', '\r'], " "),
                    content: if i % 2 == 0 { format!("{tricky}{free}") } else { format!("{free}\n{tricky}") },
                })
                .collect();
            let parsed = parse_document(&render_document(&header, &entries)).unwrap();
            prop_assert_eq!(parsed.entries, entries);
        }
    }
}
