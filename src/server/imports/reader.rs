//! Reads an export file one conversation at a time, so a file of hundreds of megabytes never
//! sits in memory whole: a JSON array is deserialized element by element, and each element is
//! handed on as soon as it is read. A single object (LibreChat exports one conversation) is one
//! element.

use std::cell::Cell;
use std::fmt;
use std::io::{self, Read};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{read_conversation, ImportedChat};

/// Why a file could not be read as an export.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Not JSON, or JSON cut short; the message names the line and column.
    #[error("the file is not valid JSON: {0}")]
    Json(String),
    /// Valid JSON, but neither a list of conversations nor one conversation.
    #[error("the file is JSON but not a list of conversations")]
    NotConversations,
    /// The handler refused an element (its message).
    #[error("{0}")]
    Stopped(String),
    /// The bytes under the JSON could not be read (a zip entry that fails its checksum).
    #[error("the file could not be read: {0}")]
    Io(String),
    /// Beyond what the [`Budget`] allows.
    #[error("{0}")]
    TooLarge(TooLarge),
}

/// Which bound of a [`Budget`] a file went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TooLarge {
    /// One conversation's JSON is larger than this many bytes: it would have to sit in
    /// memory whole.
    #[error("a conversation in the file is larger than {} MiB", .0 >> 20)]
    Conversation(u64),
    /// The export unpacks to more than this many bytes (a zip bomb, or not an export).
    #[error("the export unpacks to more than {} MiB", .0 >> 20)]
    Export(u64),
}

/// How much of one file the reader may read: per conversation (which is held in memory
/// whole while it is read) and in all (across every JSON file of a zip).
#[derive(Debug)]
pub struct Budget {
    conversation: u64,
    total: u64,
    total_left: Cell<u64>,
    element_left: Cell<u64>,
    tripped: Cell<Option<TooLarge>>,
}

impl Budget {
    pub fn new(conversation: u64, total: u64) -> Self {
        Budget {
            conversation,
            total,
            total_left: Cell::new(total),
            element_left: Cell::new(conversation),
            tripped: Cell::new(None),
        }
    }

    pub fn unlimited() -> Self {
        Self::new(u64::MAX, u64::MAX)
    }

    fn start_element(&self) {
        self.element_left.set(self.conversation);
    }

    /// Takes `n` bytes from both bounds, or says which one they go over.
    fn take(&self, n: u64) -> Result<(), TooLarge> {
        let over = if n > self.element_left.get() {
            TooLarge::Conversation(self.conversation)
        } else if n > self.total_left.get() {
            TooLarge::Export(self.total)
        } else {
            self.element_left.set(self.element_left.get() - n);
            self.total_left.set(self.total_left.get() - n);
            return Ok(());
        };
        self.tripped.set(Some(over));
        Err(over)
    }
}

/// Counts what the JSON parser reads against the budget, and fails the read beyond it.
struct Metered<'b, R> {
    inner: R,
    budget: &'b Budget,
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.budget
            .take(n as u64)
            .map_err(|over| io::Error::other(over.to_string()))?;
        Ok(n)
    }
}

/// Calls `each` with every element of the export in order: `Some` for a conversation, `None`
/// for an element of no known format (to be counted as skipped). Returns how many elements
/// there were. Reads no more than `budget` allows.
pub fn each_conversation<R: Read>(
    reader: R,
    budget: &Budget,
    mut each: impl FnMut(Option<ImportedChat>) -> Result<(), String>,
) -> Result<usize, ReadError> {
    let metered = Metered {
        inner: reader,
        budget,
    };
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(metered));
    budget.start_element();
    let count = Elements {
        each: &mut each,
        budget,
    }
    .deserialize(&mut de)
    .map_err(|e| match stopped(&e) {
        _ if budget.tripped.get().is_some() => {
            ReadError::TooLarge(budget.tripped.get().expect("checked"))
        }
        Some(message) => ReadError::Stopped(message),
        None if e.is_io() => ReadError::Io(e.to_string()),
        None if e.is_data() && e.to_string().starts_with(NOT_CONVERSATIONS) => {
            ReadError::NotConversations
        }
        None => ReadError::Json(e.to_string()),
    })?;
    de.end().map_err(|e| ReadError::Json(e.to_string()))?;
    Ok(count)
}

const NOT_CONVERSATIONS: &str = "not conversations";
const STOPPED: &str = "stopped: ";

fn stopped(e: &serde_json::Error) -> Option<String> {
    let text = e.to_string();
    let rest = text.strip_prefix(STOPPED)?;
    // serde_json appends " at line L column C" to custom errors.
    Some(match rest.rfind(" at line ") {
        Some(at) => rest[..at].to_string(),
        None => rest.to_string(),
    })
}

struct Elements<'f, F> {
    each: &'f mut F,
    budget: &'f Budget,
}

impl<'de, F> DeserializeSeed<'de> for Elements<'_, F>
where
    F: FnMut(Option<ImportedChat>) -> Result<(), String>,
{
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, F> Visitor<'de> for Elements<'_, F>
where
    F: FnMut(Option<ImportedChat>) -> Result<(), String>,
{
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of conversations or one conversation")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut count = 0;
        loop {
            self.budget.start_element();
            let Some(element) = seq.next_element::<Value>()? else {
                break;
            };
            count += 1;
            (self.each)(read_conversation(&element))
                .map_err(|m| de::Error::custom(format!("{STOPPED}{m}")))?;
        }
        Ok(count)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<usize, A::Error> {
        let element: Value =
            serde::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
        (self.each)(read_conversation(&element))
            .map_err(|m| de::Error::custom(format!("{STOPPED}{m}")))?;
        Ok(1)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<usize, E> {
        Err(E::custom(NOT_CONVERSATIONS))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<usize, E> {
        Err(E::custom(NOT_CONVERSATIONS))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<usize, E> {
        Err(E::custom(NOT_CONVERSATIONS))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<usize, E> {
        Err(E::custom(NOT_CONVERSATIONS))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<usize, E> {
        Err(E::custom(NOT_CONVERSATIONS))
    }
    fn visit_unit<E: de::Error>(self) -> Result<usize, E> {
        Err(E::custom(NOT_CONVERSATIONS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<(Vec<Option<String>>, usize), ReadError> {
        let mut seen = Vec::new();
        let n = each_conversation(text.as_bytes(), &Budget::unlimited(), |c| {
            seen.push(c.map(|c| c.source_id));
            Ok(())
        })?;
        Ok((seen, n))
    }

    #[test]
    fn a_list_is_read_element_by_element_and_unknown_ones_are_skipped() {
        let text = r#"[
            {"uuid": "c1", "name": "A", "chat_messages": [{"sender": "human", "text": "hi"}]},
            {"id": "folder", "name": "Projects"},
            {"uuid": "c2", "chat_messages": []}
        ]"#;
        let (seen, n) = read(text).unwrap();
        assert_eq!(n, 3);
        assert_eq!(seen, vec![Some("c1".to_string()), None, None]);
    }

    #[test]
    fn one_conversation_as_an_object_is_one_element() {
        let text = r#"{"conversationId": "l1", "messages": [
            {"messageId": "m", "isCreatedByUser": true, "text": "hello"}]}"#;
        assert_eq!(read(text).unwrap(), (vec![Some("l1".to_string())], 1));
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        assert!(matches!(read("[{\"uuid\": "), Err(ReadError::Json(_))));
        assert!(matches!(read("not json"), Err(ReadError::Json(_))));
        assert!(matches!(read("42"), Err(ReadError::NotConversations)));
        assert!(matches!(read("[] trailing"), Err(ReadError::Json(_))));
        let refused = each_conversation("[{}, {}]".as_bytes(), &Budget::unlimited(), |_| {
            Err("too many".into())
        });
        assert_eq!(refused.unwrap_err().to_string(), "too many");
    }

    #[test]
    fn the_budget_bounds_each_conversation_and_the_whole_file() {
        let small = r#"{"uuid": "c", "chat_messages": [{"sender": "human", "text": "hi"}]}"#;
        let big = format!(
            r#"{{"uuid": "b", "chat_messages": [{{"sender": "human", "text": "{}"}}]}}"#,
            "x".repeat(100_000)
        );
        let text = format!("[{small}, {small}, {big}]");
        let mut seen = 0;
        let result = each_conversation(text.as_bytes(), &Budget::new(50_000, u64::MAX), |_| {
            seen += 1;
            Ok(())
        });
        assert!(matches!(
            result,
            Err(ReadError::TooLarge(TooLarge::Conversation(50_000)))
        ));
        assert_eq!(seen, 2, "the conversations before the big one were read");
        let many = format!("[{}]", vec![small; 1000].join(","));
        let result = each_conversation(many.as_bytes(), &Budget::new(50_000, 20_000), |_| Ok(()));
        assert!(matches!(
            result,
            Err(ReadError::TooLarge(TooLarge::Export(20_000)))
        ));
        let fits = each_conversation(many.as_bytes(), &Budget::new(50_000, 100_000), |_| Ok(()));
        assert_eq!(fits.unwrap(), 1000);
    }
}
