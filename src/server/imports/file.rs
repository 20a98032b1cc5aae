//! An export file as uploaded: a `.json` file, or a zip (ChatGPT's data export) whose
//! `conversations.json` or `conversations-000.json`, `-001` … hold the conversations. Either
//! way the conversations are handed on one at a time ([`super::reader`]).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use super::reader::{each_conversation, Budget, ReadError};
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
    /// Neither a zip nor JSON (a picture, a PDF, an HTML page).
    #[error("the file is neither a .zip nor a .json export")]
    NotAnExport,
    /// More entries than an export has: reading the zip's index would take memory for each.
    #[error("the zip file holds more than {0} files")]
    TooManyEntries(u64),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("the file could not be read: {0}")]
    Io(#[from] std::io::Error),
}

/// Calls `each` with every element of the export at `path` (see
/// [`super::reader::each_conversation`]), reading no more than `budget` allows; returns how
/// many elements there were. `position` follows how far into the file the reading is.
pub fn each_conversation_in(
    path: &Path,
    budget: &Budget,
    position: &AtomicU64,
    mut each: impl FnMut(Option<ImportedChat>) -> Result<(), String>,
) -> Result<usize, FileError> {
    let mut file = File::open(path)?;
    let mut head = Vec::with_capacity(64);
    (&mut file).take(64).read_to_end(&mut head)?;
    let is_zip = head.starts_with(b"PK\x03\x04");
    // Editors on Windows save JSON with a byte order mark, which JSON does not allow.
    let start = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    file.seek(SeekFrom::Start(start))?;
    position.store(0, Ordering::Relaxed);
    let file = Positioned {
        inner: file,
        position,
    };
    if !is_zip {
        let opening = head[start as usize..]
            .iter()
            .find(|b| !b.is_ascii_whitespace());
        // Whatever could start JSON goes to the JSON reader, which says what is wrong.
        if !opening.is_some_and(|b| b"[{\"-0123456789tfn".contains(b)) {
            return Err(FileError::NotAnExport);
        }
        return Ok(each_conversation(file, budget, each)?);
    }
    let mut file = file;
    if zip_entries(&mut file)?.is_some_and(|n| n > MAX_ZIP_ENTRIES) {
        return Err(FileError::TooManyEntries(MAX_ZIP_ENTRIES));
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
        count += each_conversation(entry, budget, &mut each).map_err(|e| match e {
            ReadError::Io(m) => FileError::BrokenZip(m),
            e => FileError::Read(e),
        })?;
    }
    Ok(count)
}

/// The most entries a zip may list. Its index is read whole (about 700 bytes of memory an
/// entry); a ChatGPT export with every picture a person made holds thousands.
pub const MAX_ZIP_ENTRIES: u64 = 50_000;

/// How many entries the zip's index says it has, read from its end record (and the zip64
/// one where that says so) before the index itself; `None` when there is no end record (the
/// zip reader then says the file is broken).
fn zip_entries(file: &mut (impl Read + Seek)) -> io::Result<Option<u64>> {
    const END: &[u8] = b"PK\x05\x06";
    const END64_LOCATOR: &[u8] = b"PK\x06\x07";
    const END64: &[u8] = b"PK\x06\x06";
    let len = file.seek(SeekFrom::End(0))?;
    // The end record (22 bytes) and its comment (at most 65,535), and the zip64 locator
    // (20 bytes) before it.
    let tail_len = len.min(22 + 65_535 + 20);
    file.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = Vec::with_capacity(tail_len as usize);
    file.take(tail_len).read_to_end(&mut tail)?;
    let Some(at) = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..].starts_with(END))
    else {
        return Ok(None);
    };
    let entries = u16::from_le_bytes([tail[at + 10], tail[at + 11]]);
    if entries != u16::MAX {
        return Ok(Some(u64::from(entries)));
    }
    // Zip64: the locator right before the end record gives where the zip64 end record is.
    let Some(locator) = at.checked_sub(20).map(|l| &tail[l..at]) else {
        return Ok(None);
    };
    if !locator.starts_with(END64_LOCATOR) {
        return Ok(None);
    }
    let offset = u64::from_le_bytes(locator[8..16].try_into().expect("8 bytes"));
    file.seek(SeekFrom::Start(offset))?;
    let mut record = [0u8; 40];
    if file.read_exact(&mut record).is_err() || !record.starts_with(END64) {
        return Ok(None);
    }
    Ok(Some(u64::from_le_bytes(
        record[32..40].try_into().expect("8 bytes"),
    )))
}

/// The file as read, telling `position` how far the reading got (for progress: in a zip, the
/// compressed bytes go by as their conversations are read).
struct Positioned<'p> {
    inner: File,
    position: &'p AtomicU64,
}

impl Read for Positioned<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.position.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl Seek for Positioned<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let at = self.inner.seek(to)?;
        self.position.store(at, Ordering::Relaxed);
        Ok(at)
    }
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
        each_conversation_in(path, &Budget::unlimited(), &AtomicU64::new(0), |c| {
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
        let mut marked = tempfile::NamedTempFile::new().unwrap();
        write!(marked, "\u{feff}\n [{}]", claude("bom")).unwrap();
        assert_eq!(ids(marked.path()).unwrap(), vec![Some("bom".into())]);
    }

    #[test]
    fn files_that_are_not_exports_say_so_and_progress_reaches_the_end() {
        let mut page = tempfile::NamedTempFile::new().unwrap();
        write!(page, "<!doctype html><p>Your data export</p>").unwrap();
        assert!(matches!(ids(page.path()), Err(FileError::NotAnExport)));
        let mut file = tempfile::NamedTempFile::new().unwrap();
        let text = format!("[{}, {}]", claude("a"), claude("b"));
        write!(file, "{text}").unwrap();
        let position = AtomicU64::new(0);
        each_conversation_in(file.path(), &Budget::unlimited(), &position, |_| Ok(())).unwrap();
        assert_eq!(position.load(Ordering::Relaxed), text.len() as u64);
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
    fn a_zip_listing_too_many_entries_is_refused_before_its_index_is_read() {
        let mut files: Vec<(String, String)> = (0..300)
            .map(|i| (format!("f{i}.txt"), String::new()))
            .collect();
        files.push(("conversations.json".into(), format!("[{}]", claude("z"))));
        let named: Vec<(&str, String)> =
            files.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
        let zip = zip_of(&named);
        let mut file = File::open(zip.path()).unwrap();
        assert_eq!(zip_entries(&mut file).unwrap(), Some(301));
        assert_eq!(ids(zip.path()).unwrap(), vec![Some("z".into())]);
        // A zip written with zip64 records reads the same.
        let big = tempfile::NamedTempFile::new().unwrap();
        let mut writer = zip::ZipWriter::new(big.reopen().unwrap());
        for i in 0..3 {
            let options = zip::write::SimpleFileOptions::default().large_file(true);
            writer.start_file(format!("f{i}"), options).unwrap();
        }
        writer.finish().unwrap();
        let mut file = File::open(big.path()).unwrap();
        assert_eq!(zip_entries(&mut file).unwrap(), Some(3));
        let mut not_zip = io::Cursor::new(b"PK\x03\x04 nothing else".to_vec());
        assert_eq!(zip_entries(&mut not_zip).unwrap(), None);
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
