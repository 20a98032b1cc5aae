//! A small incremental parser for server-sent events as OpenAI-compatible servers send them:
//! `data: {json}` lines separated by blank lines, ending with `data: [DONE]`.

/// Collects bytes and hands out complete `data:` payloads.
#[derive(Default)]
pub struct SseParser {
    buffer: String,
}

impl SseParser {
    /// Adds a chunk of the body; returns every complete event's data (multi-line data joined
    /// with newlines). A chunk may end in the middle of an event or of a UTF-8 character's line.
    pub fn push(&mut self, chunk: &str) -> Vec<String> {
        self.buffer.push_str(chunk);
        let mut events = Vec::new();
        loop {
            let normalized = self.buffer.replace("\r\n", "\n");
            let Some(end) = normalized.find("\n\n") else {
                self.buffer = normalized;
                break;
            };
            let block = normalized[..end].to_string();
            self.buffer = normalized[end + 2..].to_string();
            let data: Vec<&str> = block
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(|d| d.strip_prefix(' ').unwrap_or(d))
                .collect();
            if !data.is_empty() {
                events.push(data.join("\n"));
            }
        }
        events
    }

    /// What is left when the stream ends without a final blank line.
    pub fn finish(&mut self) -> Vec<String> {
        let rest = std::mem::take(&mut self.buffer);
        let mut parser = SseParser::default();
        parser.push(&format!("{rest}\n\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::SseParser;

    #[test]
    fn events_split_anywhere_are_reassembled() {
        let body = "data: {\"a\":1}\n\ndata: {\"b\":\r\n\r\n: comment\n\ndata: [DONE]\n\n";
        for split in 1..body.len() {
            let mut p = SseParser::default();
            let mut out = p.push(&body[..split]);
            out.extend(p.push(&body[split..]));
            out.extend(p.finish());
            assert_eq!(
                out,
                vec!["{\"a\":1}", "{\"b\":", "[DONE]"],
                "split at {split}"
            );
        }
    }
}
