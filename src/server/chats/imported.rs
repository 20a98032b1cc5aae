//! A conversation from another product's export stored as a chat: with its own times, the
//! person's display name on their entries and the model's name on the answers, written to
//! the database, the search index and the chat document as any chat is. A chat remembers its
//! source, so importing again adds only the messages it does not have yet.

use uuid::Uuid;

use super::{ChatService, Entry};
use crate::error::AppError;
use crate::model::{Chat, ImportedChatRef, Role, User};
use crate::server::imports::ImportedChat;
use crate::server::memory::header;
use crate::server::search::terms_to_index;
use crate::server::store::{now, NewMessage, StoreError};
use crate::validation::{DEFAULT_AGENT, DEFAULT_TITLE, TITLE_MAX};

/// What storing one conversation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    /// A new chat, or new messages in a chat imported before.
    Written {
        chat: ImportedChatRef,
        messages: usize,
        /// Messages cut to the limit.
        truncated: usize,
    },
    /// Every message was there already.
    AlreadyThere,
}

impl ChatService {
    /// Stores `imported` as the user's chat, or adds what a chat imported before from the
    /// same conversation lacks. A message longer than `max_message_bytes` (a pasted document)
    /// is kept to that length with a marker that says it was cut.
    pub async fn import_chat(
        &self,
        user: &User,
        imported: &ImportedChat,
        max_message_bytes: usize,
    ) -> Result<ImportOutcome, AppError> {
        let source = format!("{}:{}", imported.source.as_str(), imported.source_id);
        // A message without an id in its export is known by its place in the branch.
        let ids: Vec<String> = imported
            .messages
            .iter()
            .enumerate()
            .map(|(i, m)| m.source_id.clone().unwrap_or_else(|| format!("#{i}")))
            .collect();
        let before = self.store.imported_chat(user.id, &source).await?;
        let (chat_id, title, fresh) = match &before {
            Some(b) => (b.chat_id, b.title.clone(), false),
            None => (Uuid::new_v4(), import_title(&imported.title), true),
        };
        let wanted: Vec<usize> = (0..ids.len())
            .filter(|&i| {
                before
                    .as_ref()
                    .is_none_or(|b| !b.message_ids.contains(&ids[i]))
            })
            .collect();
        if wanted.is_empty() {
            return Ok(ImportOutcome::AlreadyThere);
        }

        // Each message's time: its own, else the one before it, else the chat's.
        let started = imported
            .created_at
            .or_else(|| imported.messages.iter().find_map(|m| m.created_at))
            .unwrap_or_else(now);
        let mut times = Vec::with_capacity(imported.messages.len());
        let mut last = started;
        for m in &imported.messages {
            last = m.created_at.unwrap_or(last);
            times.push(last);
        }
        let assistant = imported.source.assistant_name();
        let authors: Vec<&str> = imported
            .messages
            .iter()
            .map(|m| match m.role {
                Role::User => user.display_name.as_str(),
                _ => m.model.as_deref().unwrap_or(assistant),
            })
            .collect();
        let mut is_wanted = vec![false; ids.len()];
        for &i in &wanted {
            is_wanted[i] = true;
        }
        let mut truncated = 0;
        let contents: Vec<String> = imported
            .messages
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let content = m.content.replace('\0', "");
                match cut_to(&content, max_message_bytes) {
                    Some(cut) if is_wanted[i] => {
                        truncated += 1;
                        cut
                    }
                    Some(cut) => cut,
                    None => content,
                }
            })
            .collect();
        let terms: Vec<_> = wanted
            .iter()
            .map(|&i| terms_to_index(imported.messages[i].role, &contents[i], None))
            .collect();

        let _guard = self.documents.lock(chat_id).await?;
        if fresh {
            let chat = Chat {
                id: chat_id,
                title: title.clone(),
                agent: DEFAULT_AGENT.to_string(),
                created_at: started,
                updated_at: started,
            };
            match self
                .store
                .insert_chat(user.id, &user.display_name, &chat, Some(&source))
                .await
            {
                Ok(()) => {}
                // The same conversation twice in one export: the first one stands.
                Err(StoreError::Conflict) => return Ok(ImportOutcome::AlreadyThere),
                Err(e) => return Err(e.into()),
            }
            let head = header(
                chat_id,
                user.id,
                &user.display_name,
                &self.documents.agent_name(DEFAULT_AGENT),
                started,
                started,
            );
            if let Err(e) = self
                .documents
                .memory()
                .create_chat_document(user.id, &head)
                .await
            {
                tracing::error!(%chat_id, "writing an imported chat's document: {e}");
            }
        }
        let rows: Vec<NewMessage> = wanted
            .iter()
            .zip(&terms)
            .map(|(&i, terms)| NewMessage {
                id: Uuid::new_v4(),
                role: imported.messages[i].role,
                content: &contents[i],
                data: None,
                created_at: times[i],
                author: authors[i],
                index: terms.as_ref(),
                source_id: Some(&ids[i]),
            })
            .collect();
        let (_, stored) = self
            .store
            .append_messages(user.id, chat_id, &rows, DEFAULT_TITLE, None, None)
            .await?
            .ok_or_else(super::not_found)?;
        let entries: Vec<Entry> = stored
            .iter()
            .zip(&wanted)
            .map(|(m, &i)| Entry {
                at: m.created_at,
                name: authors[i].to_string(),
                content: m.content.clone(),
            })
            .collect();
        if let Err(e) = self.documents.append(user.id, chat_id, &entries).await {
            tracing::error!(%chat_id, "appending to an imported chat's document: {e}");
        }
        Ok(ImportOutcome::Written {
            chat: ImportedChatRef {
                id: chat_id,
                title,
                source,
            },
            messages: stored.len(),
            truncated,
        })
    }
}

/// `content` cut to at most `max` bytes (at a character boundary) with a marker saying so, or
/// `None` when it fits.
fn cut_to(content: &str, max: usize) -> Option<String> {
    if content.len() <= max {
        return None;
    }
    let mut end = max;
    while !content.is_char_boundary(end) {
        end -= 1;
    }
    Some(format!(
        "{}\n\n[… cut on import: the message was {} KB; its first {} KB are kept]",
        &content[..end],
        content.len().div_ceil(1024),
        max / 1024
    ))
}

/// The export's title, cleaned to what a chat title may be.
fn import_title(title: &str) -> String {
    let title: String = title
        .chars()
        .filter(|c| !c.is_control())
        .take(TITLE_MAX)
        .collect();
    match title.trim() {
        "" => "Imported chat".to_string(),
        t => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_at_a_character_with_a_marker() {
        assert_eq!(cut_to("short", 10), None);
        let long = "я".repeat(1000); // 2000 bytes
        let cut = cut_to(&long, 1025).unwrap();
        assert!(cut.starts_with(&"я".repeat(512)));
        assert!(!cut.starts_with(&"я".repeat(513)));
        assert!(cut.ends_with("[… cut on import: the message was 2 KB; its first 1 KB are kept]"));
    }

    #[test]
    fn titles_are_cleaned_and_bounded() {
        assert_eq!(import_title("  Plans\n for May "), "Plans for May");
        assert_eq!(import_title("\u{0}\t"), "Imported chat");
        assert_eq!(import_title(&"я".repeat(400)).chars().count(), TITLE_MAX);
    }
}
