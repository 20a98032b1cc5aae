//! A run's event as the chat page reads it: the wire type between the server's streamed
//! markdown (`server/markdown/streamed.rs`) and the page (`ui/agent_run.rs`).

use serde::{Deserialize, Serialize};

use super::{AgentStep, Message};

/// A run's event as the chat page reads it (see [`crate::model::RunEvent`]): the reply comes
/// rendered, as `Blocks`, and messages with their HTML. Tagged the serde way, `{"Blocks":
/// {…}}`, which the browser reads straight through; `RunEvent`'s `type` field would make it
/// buffer every event first, with code for that in the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PageEvent {
    Started {
        question: Message,
    },
    ToolCall {
        tool: String,
    },
    Step {
        step: AgentStep,
    },
    /// The reply so far: the page's blocks from `from` on are replaced by `html` (those before
    /// are unchanged).
    Blocks {
        from: usize,
        html: Vec<String>,
    },
    Finished {
        message: Message,
    },
    Stopped {
        message: Message,
    },
    Failed {
        error: String,
        message: Option<Message>,
    },
}

impl PageEvent {
    /// Whether this event ends the run.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            PageEvent::Finished { .. } | PageEvent::Stopped { .. } | PageEvent::Failed { .. }
        )
    }
}
