//! Reads an export file one conversation at a time, so a file of hundreds of megabytes never
//! sits in memory whole: a JSON array is deserialized element by element, and each element is
//! handed on as soon as it is read. A single object (LibreChat exports one conversation) is one
//! element.

use std::fmt;
use std::io::Read;

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
}

/// Calls `each` with every element of the export in order: `Some` for a conversation, `None`
/// for an element of no known format (to be counted as skipped). Returns how many elements
/// there were.
pub fn each_conversation<R: Read>(
    reader: R,
    mut each: impl FnMut(Option<ImportedChat>) -> Result<(), String>,
) -> Result<usize, ReadError> {
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(reader));
    let count = Elements { each: &mut each }
        .deserialize(&mut de)
        .map_err(|e| match stopped(&e) {
            Some(message) => ReadError::Stopped(message),
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
        while let Some(element) = seq.next_element::<Value>()? {
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
        let n = each_conversation(text.as_bytes(), |c| {
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
        let refused = each_conversation("[{}, {}]".as_bytes(), |_| Err("too many".into()));
        assert_eq!(refused.unwrap_err().to_string(), "too many");
    }
}
