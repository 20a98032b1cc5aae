//! Storing what a run produced: its reply (also when stopped, cut or failed), or the model's
//! calls to the gateway client's own tools.

use super::super::llm::ToolCall;
use super::progress::Progress;
use super::AgentRunner;
use crate::error::AppError;
use crate::model::{Chat, Message, ReplyData, Role, ToolCallData, User};
use crate::server::store::RunUsage;

/// How a stored reply ended, besides its text.
#[derive(Default)]
pub(super) struct Reply {
    pub(super) stopped: bool,
    pub(super) cut: bool,
    pub(super) failed: Option<String>,
}

impl AgentRunner {
    pub(super) async fn store_reply(
        &self,
        user: &User,
        chat: &Chat,
        progress: Progress,
        reply: Reply,
        usage: Option<&RunUsage>,
    ) -> Result<Message, AppError> {
        let content = if !progress.text.trim().is_empty() {
            progress.text
        } else if reply.stopped {
            "_Stopped before any reply._".to_string()
        } else if reply.failed.is_some() {
            "_The reply failed before any text arrived._".to_string()
        } else {
            "_The model sent an empty reply._".to_string()
        };
        let data = serde_json::to_string(&ReplyData {
            steps: progress.steps,
            stopped: reply.stopped,
            failed: reply.failed,
            cut: reply.cut,
            recall: progress.recall,
            ..ReplyData::default()
        })
        .ok();
        self.chats
            .append_reply(
                user,
                chat.id,
                Role::Assistant,
                &content,
                data.as_deref(),
                usage,
            )
            .await
    }

    /// Stores the model's calls to the client's tools as a `tool` message (with the text
    /// and server steps before them, and the run's usage); no document entry.
    pub(super) async fn store_client_calls(
        &self,
        user: &User,
        chat: &Chat,
        progress: Progress,
        calls: Vec<ToolCall>,
        usage: Option<&RunUsage>,
    ) -> Result<Message, AppError> {
        let data = serde_json::to_string(&ReplyData {
            steps: progress.steps,
            tool_calls: calls
                .into_iter()
                .map(|c| ToolCallData {
                    id: c.id,
                    name: c.name,
                    arguments: c.arguments,
                })
                .collect(),
            ..ReplyData::default()
        })
        .ok();
        self.chats
            .append_reply(
                user,
                chat.id,
                Role::Tool,
                &progress.text,
                data.as_deref(),
                usage,
            )
            .await
    }
}
