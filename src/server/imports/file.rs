//! An export file as uploaded: a `.json` file, or a zip (ChatGPT's data export) whose
//! `conversations.json` or `conversations-000.json`, `-001` … hold the conversations. Either
//! way the conversations are handed on one at a time ([`super::reader`]).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::reader::{each_conversation, ReadError};
use super::ImportedChat;

/// Why a file is not an export we can read; nothing from it is imported.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("the zip file is broken: {0}")]
    BrokenZip(String),
    #[error(
        "the zip file holds no conversations.json (a ChatGPT data export has it at the top level)"
    )]
    NoConversations,
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("the file could not be read: {0}")]
    Io(#[from] std::io::Error),
}

/// Calls `each` with every element of the export at `path` (see
/// [`super::reader::each_conversation`]); returns how many elements there were.
pub fn each_conversation_in(
    path: &Path,
    mut each: impl FnMut(Option<ImportedChat>) -> Result<(), String>,
) -> Result<usize, FileError> {
    let mut file = File::open(path)?;
    let mut magic = Vec::with_capacity(4);
    (&mut file).take(4).read_to_end(&mut magic)?;
    let is_zip = magic == b"PK\x03\x04";
    file.seek(SeekFrom::Start(0))?;
    if !is_zip {
        return Ok(each_conversation(file, each)?);
    }
    let mut archive =
        zip::ZipArchive::new(file).map_err(|e| FileError::BrokenZip(e.to_string()))?;
    let mut entries: Vec<(String, usize)> = (0..archive.len())
        .filter_map(|i| {
            let name = archive.name_for_index(i)?.to_string();
            is_conversations(&name).then_some((name, i))
        })
        .collect();
    if entries.is_empty() {
        return Err(FileError::NoConversations);
    }
    // `conversations-000.json` before `-001`, whatever order the zip lists them in.
    entries.sort();
    let mut count = 0;
    for (_, i) in entries {
        let entry = archive
            .by_index(i)
            .map_err(|e| FileError::BrokenZip(e.to_string()))?;
        count += each_conversation(entry, &mut each)?;
    }
    Ok(count)
}

/// `conversations.json` or `conversations-NNN.json`, at the top of the zip or in one folder
/// (some tools re-zip the export inside a folder).
fn is_conversations(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    let Some(file) = parts.last() else {
        return false;
    };
    if parts.len() > 2 {
        return false;
    }
    let Some(stem) = file.strip_suffix(".json") else {
        return false;
    };
    stem == "conversations"
        || stem
            .strip_prefix("conversations-")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn claude(id: &str) -> String {
        format!(
            r#"{{"uuid": "{id}", "chat_messages": [{{"sender": "human", "text": "hi {id}"}}]}}"#
        )
    }

    fn zip_of(files: &[(&str, String)]) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        let mut zip = zip::ZipWriter::new(file.reopen().unwrap());
        for (name, text) in files {
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            zip.start_file(*name, options).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
        file
    }

    fn ids(path: &Path) -> Result<Vec<Option<String>>, FileError> {
        let mut seen = Vec::new();
        each_conversation_in(path, |c| {
            seen.push(c.map(|c| c.source_id));
            Ok(())
        })?;
        Ok(seen)
    }

    #[test]
    fn every_conversations_file_of_a_zip_is_read_in_order() {
        let file = zip_of(&[
            ("conversations-001.json", format!("[{}]", claude("b"))),
            ("chat.html", "<html>".into()),
            ("user.json", "{}".into()),
            (
                "conversations-000.json",
                format!("[{}, {{\"id\": \"folder\"}}]", claude("a")),
            ),
        ]);
        let seen = ids(file.path()).unwrap();
        assert_eq!(seen, vec![Some("a".into()), None, Some("b".into())]);
    }

    #[test]
    fn a_plain_json_file_is_read_too() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        write!(file, "[{}]", claude("c")).unwrap();
        assert_eq!(ids(file.path()).unwrap(), vec![Some("c".into())]);
    }

    #[test]
    fn broken_and_foreign_zips_are_refused() {
        let foreign = zip_of(&[("notes.txt", "hello".into())]);
        assert!(matches!(
            ids(foreign.path()),
            Err(FileError::NoConversations)
        ));
        let mut broken = tempfile::NamedTempFile::new().unwrap();
        broken
            .write_all(b"PK\x03\x04 and then nothing a zip needs")
            .unwrap();
        assert!(matches!(ids(broken.path()), Err(FileError::BrokenZip(_))));
        let cut = zip_of(&[("conversations.json", format!("[{}", claude("d")))]);
        assert!(matches!(
            ids(cut.path()),
            Err(FileError::Read(ReadError::Json(_)))
        ));
    }

    #[test]
    fn conversation_files_are_known_by_name() {
        for yes in [
            "conversations.json",
            "conversations-000.json",
            "export/conversations-12.json",
        ] {
            assert!(is_conversations(yes), "{yes}");
        }
        for no in [
            "conversations-.json",
            "conversations-a.json",
            "a/b/conversations.json",
            "shared_conversations.json",
        ] {
            assert!(!is_conversations(no), "{no}");
        }
    }
}
