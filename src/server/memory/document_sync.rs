//! Keeps chat documents in step with the database, which stays the source of truth: documents
//! are written after each commit, rebuilt from the database on demand (`maruntime memory
//! rebuild`) or when one has gone missing, and compared with it by `maruntime memory verify`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use uuid::Uuid;

use super::document_files::{header, ChatMemory, ChatMemoryError};
use super::document_format::{render_document, Entry};
use crate::model::Role;
use crate::server::store::{ChatWriteLock, DocumentChat, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum DocumentsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Memory(#[from] ChatMemoryError),
}

/// What `verify` found wrong with one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Missing,
    Differs,
    /// A document whose chat is not in the database.
    Orphan,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub user_id: Uuid,
    pub chat_id: Uuid,
    pub problem: Problem,
}

/// A chat's write lock (see [`ChatDocuments::lock`]), released when dropped.
pub struct ChatGuard<'a> {
    /// Declared first: the instance-wide lock goes before the process's own.
    _shared: ChatWriteLock,
    _local: tokio::sync::MutexGuard<'a, ()>,
}

#[derive(Clone, Debug)]
pub struct ChatDocuments {
    store: Store,
    memory: ChatMemory,
    /// Agent id to display name.
    agent_names: Arc<HashMap<String, String>>,
}

impl ChatDocuments {
    pub fn new(store: Store, memory: ChatMemory, agents: &[(String, String)]) -> Self {
        ChatDocuments {
            store,
            memory,
            agent_names: Arc::new(agents.iter().cloned().collect()),
        }
    }

    pub fn memory(&self) -> &ChatMemory {
        &self.memory
    }

    /// The lock every writer of one chat holds across its database change and document
    /// write: this process's own first, then (on PostgreSQL) the instance-wide one, so
    /// documents follow the database's order whichever process writes.
    pub async fn lock(&self, chat_id: Uuid) -> Result<ChatGuard<'_>, StoreError> {
        let local = self.memory.lock(chat_id).await;
        let shared = self.store.lock_chat_writes(chat_id).await?;
        Ok(ChatGuard {
            _shared: shared,
            _local: local,
        })
    }

    /// The name an agent signs its entries with (its id, if it is no longer configured).
    pub fn agent_name(&self, agent_id: &str) -> String {
        self.agent_names
            .get(agent_id)
            .cloned()
            .unwrap_or_else(|| agent_id.to_string())
    }

    /// Adds entries to a document after their messages were committed. A missing or damaged
    /// document is rewritten from the database instead (which includes the new messages).
    /// The caller holds the chat's lock.
    pub async fn append(
        &self,
        user_id: Uuid,
        chat_id: Uuid,
        entries: &[Entry],
    ) -> Result<(), DocumentsError> {
        match self.memory.append_entries(user_id, chat_id, entries).await {
            Ok(()) => Ok(()),
            Err(ChatMemoryError::Missing(_) | ChatMemoryError::Malformed(_)) => {
                tracing::warn!(%chat_id, "chat document missing or damaged; rewriting it from the database");
                self.rebuild_chat(user_id, chat_id).await
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Rewrites one chat's document from the database. The caller holds the chat's lock.
    pub async fn rebuild_chat(&self, user_id: Uuid, chat_id: Uuid) -> Result<(), DocumentsError> {
        if let Some(text) = self.render_chat(user_id, chat_id).await? {
            self.memory.write(user_id, chat_id, &text).await?;
        }
        Ok(())
    }

    /// The document the owner's chat should have, from the database (`None`: no such chat).
    pub async fn render_chat(
        &self,
        user_id: Uuid,
        chat_id: Uuid,
    ) -> Result<Option<String>, DocumentsError> {
        let chats = self.store.document_chats(Some(user_id)).await?;
        match chats.iter().find(|c| c.id == chat_id) {
            Some(chat) => Ok(Some(self.render(chat).await?)),
            None => Ok(None),
        }
    }

    /// The document a chat should have, from the database.
    pub async fn render(&self, chat: &DocumentChat) -> Result<String, DocumentsError> {
        let agent_name = self.agent_name(&chat.agent);
        let messages = self.store.document_messages(chat.id).await?;
        let entries: Vec<Entry> = messages
            .into_iter()
            .map(|m| Entry {
                at: m.created_at,
                name: m.author.unwrap_or_else(|| match m.role {
                    Role::User => chat.user_name.clone(),
                    _ => agent_name.clone(),
                }),
                content: m.content,
            })
            .collect();
        let updated = entries.last().map_or(chat.created_at, |e| e.at);
        let head = header(
            chat.id,
            chat.user_id,
            &chat.user_name,
            &agent_name,
            chat.created_at,
            updated,
        );
        Ok(render_document(&head, &entries))
    }

    /// Rewrites every document (of one user, or all) from the database and removes documents
    /// of chats that no longer exist. Returns how many documents were written.
    pub async fn rebuild(&self, user_id: Option<Uuid>) -> Result<usize, DocumentsError> {
        let chats = self.store.document_chats(user_id).await?;
        // On PostgreSQL the instance-wide chat locks order this against running servers'
        // writes; on SQLite only within the server process (the command is for a stopped one).
        for chat in &chats {
            let _guard = self.lock(chat.id).await?;
            let text = self.render(chat).await?;
            self.memory.write(chat.user_id, chat.id, &text).await?;
        }
        for orphan in self.orphans(user_id, &chats).await? {
            let _guard = self.lock(orphan.chat_id).await?;
            self.memory
                .delete_chat_document(orphan.user_id, orphan.chat_id)
                .await?;
        }
        Ok(chats.len())
    }

    /// Every document that is missing, differs from the database, or has no chat.
    pub async fn verify(&self, user_id: Option<Uuid>) -> Result<Vec<Finding>, DocumentsError> {
        let chats = self.store.document_chats(user_id).await?;
        let mut findings = Vec::new();
        for chat in &chats {
            let expected = self.render(chat).await?;
            let problem = match self.memory.get_chat_history(chat.user_id, chat.id).await? {
                None => Some(Problem::Missing),
                Some(text) if text != expected => Some(Problem::Differs),
                Some(_) => None,
            };
            if let Some(problem) = problem {
                findings.push(Finding {
                    user_id: chat.user_id,
                    chat_id: chat.id,
                    problem,
                });
            }
        }
        findings.extend(self.orphans(user_id, &chats).await?);
        Ok(findings)
    }

    async fn orphans(
        &self,
        user_id: Option<Uuid>,
        chats: &[DocumentChat],
    ) -> Result<Vec<Finding>, DocumentsError> {
        let users = match user_id {
            Some(id) => vec![id],
            None => self.memory.list_users().await?,
        };
        let known: HashSet<(Uuid, Uuid)> = chats.iter().map(|c| (c.user_id, c.id)).collect();
        let mut found = Vec::new();
        for user in users {
            for chat_id in self.memory.list_documents(user).await? {
                if !known.contains(&(user, chat_id)) {
                    found.push(Finding {
                        user_id: user,
                        chat_id,
                        problem: Problem::Orphan,
                    });
                }
            }
        }
        Ok(found)
    }
}
