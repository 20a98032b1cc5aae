//! Reads an export file one conversation at a time, so a file of hundreds of megabytes never
//! sits in memory whole: a JSON array is deserialized element by element, and each element is
//! handed on as soon as it is read. A single object (LibreChat exports one conversation) is one
//! element.

use std::cell::Cell;
use std::fmt;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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
    /// The import was stopped (by its owner, the account's deletion or the server's shutdown).
    #[error("the import was stopped")]
    Cancelled,
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
    /// One conversation's parts (objects, lists, texts) would take more than this many bytes
    /// of memory while it is read: many tiny parts cost far more in memory than in bytes.
    #[error("a conversation in the file would take more than {} MiB of memory to read", .0 >> 20)]
    Memory(u64),
}

/// How much of one file the reader may read: per conversation (which is held in memory
/// whole while it is read: its bytes, and the memory of the tree they become) and in all
/// (across every JSON file of a zip). Also how it is stopped: once `stop` is set, the next
/// read or element ends the reading with [`ReadError::Cancelled`].
#[derive(Debug)]
pub struct Budget {
    conversation: u64,
    memory: u64,
    total: u64,
    total_left: Cell<u64>,
    element_left: Cell<u64>,
    memory_left: Cell<u64>,
    tripped: Cell<Option<TooLarge>>,
    stop: Option<Arc<AtomicBool>>,
}

impl Budget {
    /// `conversation` bytes of JSON and `memory` bytes of parsed tree per conversation,
    /// `total` bytes of JSON in all.
    pub fn new(conversation: u64, memory: u64, total: u64) -> Self {
        Budget {
            conversation,
            memory,
            total,
            total_left: Cell::new(total),
            element_left: Cell::new(conversation),
            memory_left: Cell::new(memory),
            tripped: Cell::new(None),
            stop: None,
        }
    }

    pub fn unlimited() -> Self {
        Self::new(u64::MAX, u64::MAX, u64::MAX)
    }

    /// Ends the reading once `stop` is set.
    pub fn stopped_by(mut self, stop: Arc<AtomicBool>) -> Self {
        self.stop = Some(stop);
        self
    }

    fn start_element(&self) {
        self.element_left.set(self.conversation);
        self.memory_left.set(self.memory);
    }

    fn is_stopped(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
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

    /// Takes `n` bytes of memory for the conversation's tree.
    fn hold(&self, n: u64) -> Result<(), TooLarge> {
        match self.memory_left.get().checked_sub(n) {
            Some(left) => {
                self.memory_left.set(left);
                Ok(())
            }
            None => {
                let over = TooLarge::Memory(self.memory);
                self.tripped.set(Some(over));
                Err(over)
            }
        }
    }
}

/// Counts what the JSON parser reads against the budget, and fails the read beyond it.
struct Metered<'b, R> {
    inner: R,
    budget: &'b Budget,
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.budget.is_stopped() {
            return Err(io::Error::other("the import was stopped"));
        }
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
        _ if budget.is_stopped() => ReadError::Cancelled,
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
            if self.budget.is_stopped() {
                return Err(de::Error::custom("the import was stopped"));
            }
            self.budget.start_element();
            let Some(element) = seq.next_element_seed(Bounded(self.budget))? else {
                break;
            };
            count += 1;
            (self.each)(read_conversation(&element))
                .map_err(|m| de::Error::custom(format!("{STOPPED}{m}")))?;
        }
        Ok(count)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<usize, A::Error> {
        let element = Bounded(self.budget).visit_map(map)?;
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

/// Bytes of one `Value` (its enum), an object's first B-tree node (room for 11 entries, as
/// std allocates it even for one), and the room a list keeps per element as it grows. With
/// the allocator's own bytes per allocation, these make the charge close to what the tree
/// takes: `[{"":0},…]` is 7 bytes an element in the file and about 700 in memory.
const VALUE: u64 = 32;
const MAP_NODE: u64 = 640;
const MAP_NODE_ENTRIES: usize = 11;
const LIST_SLOT: u64 = 48;
const ALLOCATION: u64 = 16;

/// A JSON value read into a tree whose memory is charged to the budget as it grows, so one
/// conversation of millions of tiny parts is refused before it takes gigabytes.
struct Bounded<'b>(&'b Budget);

impl Bounded<'_> {
    fn hold<E: de::Error>(&self, n: u64) -> Result<(), E> {
        self.0.hold(n).map_err(|over| E::custom(over.to_string()))
    }
}

impl<'de> DeserializeSeed<'de> for Bounded<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Bounded<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.hold(VALUE)?;
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.hold(VALUE)?;
        Ok(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.hold(VALUE)?;
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.hold(VALUE)?;
        Ok(Value::from(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.hold(VALUE + ALLOCATION + v.len() as u64)?;
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.hold(VALUE + ALLOCATION + v.len() as u64)?;
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.hold(VALUE)?;
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.hold(VALUE + ALLOCATION)?;
        let mut list = Vec::new();
        while let Some(value) = seq.next_element_seed(Bounded(self.0))? {
            self.hold(LIST_SLOT)?;
            list.push(value);
        }
        Ok(Value::Array(list))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.hold(VALUE + ALLOCATION + MAP_NODE)?;
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            self.hold(ALLOCATION + key.len() as u64)?;
            let value = map.next_value_seed(Bounded(self.0))?;
            object.insert(key, value);
            if object.len().is_multiple_of(MAP_NODE_ENTRIES) {
                self.hold(MAP_NODE + ALLOCATION)?;
            }
        }
        Ok(Value::Object(object))
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
        let result = each_conversation(
            text.as_bytes(),
            &Budget::new(50_000, u64::MAX, u64::MAX),
            |_| {
                seen += 1;
                Ok(())
            },
        );
        assert!(matches!(
            result,
            Err(ReadError::TooLarge(TooLarge::Conversation(50_000)))
        ));
        assert_eq!(seen, 2, "the conversations before the big one were read");
        let many = format!("[{}]", vec![small; 1000].join(","));
        let result = each_conversation(
            many.as_bytes(),
            &Budget::new(50_000, u64::MAX, 20_000),
            |_| Ok(()),
        );
        assert!(matches!(
            result,
            Err(ReadError::TooLarge(TooLarge::Export(20_000)))
        ));
        let fits = each_conversation(
            many.as_bytes(),
            &Budget::new(50_000, u64::MAX, 100_000),
            |_| Ok(()),
        );
        assert_eq!(fits.unwrap(), 1000);
    }

    #[test]
    fn a_conversation_of_tiny_parts_is_charged_for_its_memory_not_its_bytes() {
        // 7 bytes an element in the file, about 700 in memory as a tree.
        let tiny = format!("[{{\"x\":[{}]}}]", vec![r#"{"":0}"#; 100_000].join(","));
        let budget = Budget::new(u64::MAX, 16 << 20, u64::MAX);
        let result = each_conversation(tiny.as_bytes(), &budget, |_| Ok(()));
        assert!(
            matches!(result, Err(ReadError::TooLarge(TooLarge::Memory(_)))),
            "{result:?}"
        );
        // The same number of bytes as one text is a few hundred kilobytes of memory.
        let text = format!(
            r#"[{{"uuid": "c", "chat_messages": [{{"sender": "human", "text": "{}"}}]}}]"#,
            "x".repeat(tiny.len())
        );
        let budget = Budget::new(u64::MAX, 16 << 20, u64::MAX);
        assert_eq!(
            each_conversation(text.as_bytes(), &budget, |_| Ok(())).unwrap(),
            1
        );
        // The budget is per conversation: many small ones each start afresh.
        let many = format!(
            "[{}]",
            vec![r#"{"a":[1,2,3],"b":"text"}"#; 50_000].join(",")
        );
        let budget = Budget::new(u64::MAX, 4096, u64::MAX);
        assert_eq!(
            each_conversation(many.as_bytes(), &budget, |_| Ok(())).unwrap(),
            50_000
        );
    }

    #[test]
    fn a_stopped_reading_ends_at_the_next_element_or_read() {
        let stop = Arc::new(AtomicBool::new(false));
        let budget = Budget::unlimited().stopped_by(stop.clone());
        let text = format!("[{}]", vec!["0"; 100_000].join(","));
        let mut seen = 0;
        let result = each_conversation(text.as_bytes(), &budget, |_| {
            seen += 1;
            if seen == 10 {
                stop.store(true, Ordering::Relaxed);
            }
            Ok(())
        });
        assert!(matches!(result, Err(ReadError::Cancelled)), "{result:?}");
        assert_eq!(seen, 10);
        // Stopped before it starts: the first read refuses.
        let result = each_conversation(text.as_bytes(), &budget, |_| Ok(()));
        assert!(matches!(result, Err(ReadError::Cancelled)), "{result:?}");
    }
}
