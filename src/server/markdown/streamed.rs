//! A run as the chat page follows it: the reply rendered here, block by block, so the page
//! only places HTML.

use futures::{Stream, StreamExt};

use super::{render_blocks, render_messages, CopyLabels};
use crate::i18n::Locale;
use crate::model::page_event::PageEvent;
use crate::model::{Message, RunEvent};

/// A reply being streamed: its text so far and the blocks the page was sent.
pub struct StreamedReply {
    text: String,
    blocks: Vec<String>,
    labels: CopyLabels,
}

impl StreamedReply {
    pub fn new(labels: CopyLabels) -> Self {
        StreamedReply {
            text: String::new(),
            blocks: Vec::new(),
            labels,
        }
    }

    /// Adds `delta` to the reply: the blocks from the first that changed, if any did.
    /// Everything is rendered again, since a later line can change an earlier block (a
    /// paragraph becomes a heading, a list grows); only the changed tail is sent.
    pub fn push(&mut self, delta: &str) -> Option<PageEvent> {
        self.text.push_str(delta);
        let blocks = render_blocks(&self.text, self.labels);
        let from = self
            .blocks
            .iter()
            .zip(&blocks)
            .take_while(|(sent, now)| sent == now)
            .count();
        if from == blocks.len() && from == self.blocks.len() {
            return None;
        }
        let html = blocks[from..].to_vec();
        self.blocks = blocks;
        Some(PageEvent::Blocks { from, html })
    }
}

/// `events` as the chat page reads them: the reply's deltas become [`PageEvent::Blocks`]
/// (deltas that are waiting together are rendered once, so a page that joins a long run
/// late catches up in one step), and messages carry their HTML, in `locale`.
pub fn for_page(
    events: impl Stream<Item = RunEvent> + Send + 'static,
    locale: Locale,
) -> impl Stream<Item = PageEvent> + Send + 'static {
    let mut reply = StreamedReply::new(CopyLabels::of(locale));
    events.ready_chunks(256).flat_map(move |chunk| {
        let mut out = Vec::new();
        let mut waiting = String::new();
        for event in chunk {
            if let RunEvent::Delta { text } = event {
                waiting.push_str(&text);
                continue;
            }
            if !waiting.is_empty() {
                out.extend(reply.push(&std::mem::take(&mut waiting)));
            }
            out.extend(page_event(event, locale));
        }
        if !waiting.is_empty() {
            out.extend(reply.push(&waiting));
        }
        futures::stream::iter(out)
    })
}

/// The page's form of `event` (none for what the page does not show: the token usage).
fn page_event(event: RunEvent, locale: Locale) -> Option<PageEvent> {
    let rendered = |mut message: Message| {
        render_messages(std::slice::from_mut(&mut message), locale);
        message
    };
    Some(match event {
        RunEvent::Started { question, .. } => PageEvent::Started { question },
        RunEvent::ToolCall { tool, .. } => PageEvent::ToolCall { tool },
        RunEvent::Step { step } => PageEvent::Step { step },
        RunEvent::Finished { message, .. } => PageEvent::Finished {
            message: rendered(message),
        },
        RunEvent::Stopped { message } => PageEvent::Stopped {
            message: rendered(message),
        },
        RunEvent::Failed { error, message } => PageEvent::Failed {
            error,
            message: message.map(rendered),
        },
        RunEvent::Usage { .. } | RunEvent::Delta { .. } => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;

    fn blocks(event: Option<PageEvent>) -> (usize, Vec<String>) {
        match event {
            Some(PageEvent::Blocks { from, html }) => (from, html),
            other => panic!("expected blocks, got {other:?}"),
        }
    }

    #[test]
    fn only_the_blocks_that_changed_are_sent() {
        let mut reply = StreamedReply::new(CopyLabels::of(Locale::en));
        assert_eq!(blocks(reply.push("Hel")), (0, vec!["<p>Hel</p>\n".into()]));
        assert_eq!(blocks(reply.push("lo\n\nSecond")).0, 0);
        let (from, html) = blocks(reply.push(" part"));
        assert_eq!(from, 1, "the first paragraph is unchanged");
        assert_eq!(html, vec!["<p>Second part</p>\n".to_string()]);
        // Nothing shown changes: nothing is sent.
        assert!(reply.push("\n").is_none());
        // A line under the paragraph makes it a heading: the block is replaced.
        let (from, html) = blocks(reply.push("==="));
        assert_eq!(
            (from, html),
            (1, vec!["<h1>Second part</h1>\n".to_string()])
        );
        // An open fence already shows highlighted code.
        let (from, html) = blocks(reply.push("\n\n```rust\nfn main"));
        assert_eq!(from, 2);
        assert!(
            html[0].contains("<span class=\"hl-k\">fn</span> main"),
            "{html:?}"
        );
    }

    #[test]
    fn the_page_stream_renders_deltas_and_messages() {
        let message = Message {
            id: uuid::Uuid::nil(),
            role: Role::Assistant,
            content: "**done**".into(),
            created_at: crate::model::now(),
            data: None,
            cursor: "1".into(),
            html: None,
            shortened: false,
        };
        let events = futures::stream::iter(vec![
            RunEvent::Delta {
                text: "**do".into(),
            },
            RunEvent::Delta {
                text: "ne**".into(),
            },
            RunEvent::Usage {
                usage: Default::default(),
            },
            RunEvent::Finished {
                message,
                finish_reason: "stop".into(),
            },
        ]);
        let out: Vec<PageEvent> =
            futures::executor::block_on(for_page(events, Locale::en).collect());
        assert_eq!(out.len(), 2, "the usage is not for the page: {out:?}");
        assert_eq!(
            out[0],
            PageEvent::Blocks {
                from: 0,
                html: vec!["<p><strong>done</strong></p>\n".into()]
            }
        );
        match &out[1] {
            PageEvent::Finished { message } => assert_eq!(
                message.html.as_deref(),
                Some("<p><strong>done</strong></p>\n")
            ),
            other => panic!("{other:?}"),
        }
    }
}
