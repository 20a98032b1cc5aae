//! A small incremental parser for server-sent events as OpenAI-compatible servers send them:
//! `data: {json}` lines separated by blank lines, ending with `data: [DONE]`.
//!
//! Work is linear in the bytes received (each byte is scanned once for line ends) and the
//! unfinished event is bounded: a model that sends one endless event is refused, not buffered.

/// The unfinished event grew past the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTooLarge(pub usize);

/// Collects text and hands out complete `data:` payloads.
pub struct SseParser {
    /// Text of the unfinished line.
    line: String,
    /// `data:` lines of the unfinished event.
    data: Vec<String>,
    /// Bytes of `data`.
    data_bytes: usize,
    max_event: usize,
}

impl Default for SseParser {
    fn default() -> Self {
        SseParser::new(usize::MAX)
    }
}

impl SseParser {
    pub fn new(max_event: usize) -> Self {
        SseParser {
            line: String::new(),
            data: Vec::new(),
            data_bytes: 0,
            max_event,
        }
    }

    /// Adds a chunk of the body; returns every complete event's data (multi-line data joined
    /// with newlines). A chunk may end anywhere, even between `\r` and `\n`.
    pub fn push(&mut self, chunk: &str) -> Result<Vec<String>, EventTooLarge> {
        let mut events = Vec::new();
        let mut rest = chunk;
        while let Some(end) = rest.find('\n') {
            self.line.push_str(&rest[..end]);
            rest = &rest[end + 1..];
            let line = std::mem::take(&mut self.line);
            let line = line.strip_suffix('\r').unwrap_or(&line);
            if line.is_empty() {
                if !self.data.is_empty() {
                    events.push(std::mem::take(&mut self.data).join("\n"));
                }
                self.data_bytes = 0;
            } else if let Some(d) = line.strip_prefix("data:") {
                let d = d.strip_prefix(' ').unwrap_or(d);
                self.data_bytes += d.len() + 1;
                self.data.push(d.to_string());
            }
            self.check()?;
        }
        self.line.push_str(rest);
        self.check()?;
        Ok(events)
    }

    fn check(&self) -> Result<(), EventTooLarge> {
        if self.line.len() + self.data_bytes > self.max_event {
            return Err(EventTooLarge(self.max_event));
        }
        Ok(())
    }

    /// What is left when the stream ends without a final blank line.
    pub fn finish(&mut self) -> Vec<String> {
        let mut out = self.push("\n\n").unwrap_or_default();
        self.data.clear();
        self.line.clear();
        self.data_bytes = 0;
        out.retain(|d| !d.is_empty());
        out
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
            let mut out = p.push(&body[..split]).unwrap();
            out.extend(p.push(&body[split..]).unwrap());
            out.extend(p.finish());
            assert_eq!(
                out,
                vec!["{\"a\":1}", "{\"b\":", "[DONE]"],
                "split at {split}"
            );
        }
    }

    #[test]
    fn an_endless_event_is_refused_at_the_limit() {
        let mut p = SseParser::new(1000);
        p.push("data: {\"ok\":1}\n\n").unwrap();
        let mut refused = false;
        for _ in 0..100 {
            if p.push("data: xxxxxxxxxxxxxxxxxxxx\n").is_err() {
                refused = true;
                break;
            }
        }
        assert!(refused, "many data lines without a blank line");
        let mut p = SseParser::new(1000);
        assert!(p.push(&"y".repeat(2000)).is_err(), "one endless line");
    }

    #[test]
    fn an_unterminated_last_event_is_kept() {
        let mut p = SseParser::default();
        assert!(p.push("data: {\"a\":1}").unwrap().is_empty());
        assert_eq!(p.finish(), vec!["{\"a\":1}"]);
    }
}
