//! What a run produced, as far as it got, and the tokens it spent.

use crate::model::{AgentStep, Usage};

/// Characters counted as one token when the model reports no usage (a common estimate).
const CHARS_PER_TOKEN: usize = 4;
/// What a run produced, as far as it got.
#[derive(Default)]
pub(super) struct Progress {
    pub(super) text: String,
    pub(super) steps: Vec<AgentStep>,
    pub(super) usage: Usage,
    /// The text is the recall agent's (quotes of search hits, not an answer of its own).
    pub(super) recall: bool,
}

impl Progress {
    /// Adds one model call's tokens: its own figures, or estimates from the text.
    pub(super) fn count(
        &mut self,
        reported: Option<(u64, u64)>,
        sent_chars: usize,
        got_chars: usize,
    ) {
        let (prompt, completion) = reported.unwrap_or_else(|| {
            self.usage.estimated = true;
            (estimate(sent_chars), estimate(got_chars))
        });
        self.usage.prompt_tokens += prompt;
        self.usage.completion_tokens += completion;
        self.usage.total_tokens = self.usage.prompt_tokens + self.usage.completion_tokens;
    }
}

fn estimate(chars: usize) -> u64 {
    chars.div_ceil(CHARS_PER_TOKEN) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_the_models_own_or_marked_estimated() {
        let mut p = Progress::default();
        p.count(Some((10, 5)), 1000, 1000);
        assert_eq!((p.usage.total_tokens, p.usage.estimated), (15, false));
        p.count(None, 40, 8);
        assert_eq!(p.usage.prompt_tokens, 20);
        assert_eq!(p.usage.completion_tokens, 7);
        assert!(p.usage.estimated);
    }
}
