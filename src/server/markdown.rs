//! Assistant messages as Markdown, safe to show in anyone's page.
//!
//! Raw HTML in a message becomes visible text, and only http(s), mailto and same-site links survive:
//! the rendered HTML can hold no script, no event handler and no `javascript:` URL. Fenced code
//! is highlighted ([`highlight`]) under a bar with its language and a Copy button.

//! Assistant messages as Markdown, safe to show in anyone's page, rendered by the server only:
//! the pages receive HTML (with each message, and block by block while a reply streams), so
//! the browser carries no Markdown parser.
//!
//! Raw HTML in a message becomes visible text, and only http(s), mailto and same-site links survive:
//! the rendered HTML can hold no script, no event handler and no `javascript:` URL. Fenced code
//! is highlighted ([`highlight`]) under a bar with its language and a Copy button.

mod highlight;
mod streamed;

pub use streamed::{for_page, StreamedReply};

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};

use crate::i18n::{td_string, Locale};
use crate::model::{Message, Role, PAGE_MESSAGE_CHARS};

/// The Copy button's words, before and after it copied.
#[derive(Clone, Copy)]
pub struct CopyLabels {
    pub copy: &'static str,
    pub copied: &'static str,
}

impl CopyLabels {
    pub fn of(locale: Locale) -> Self {
        CopyLabels {
            copy: td_string!(locale, chat.copy),
            copied: td_string!(locale, chat.copied),
        }
    }
}

/// Sets the HTML the page shows for each message whose text is Markdown (the agent's words),
/// with Copy buttons in `locale`. A message longer than [`PAGE_MESSAGE_CHARS`] (a pasted
/// document someone imported) comes to the page shortened to that, marked so the page offers
/// the whole text: a page stays small and quick however long a message is.
pub fn render_messages(messages: &mut [Message], locale: Locale) {
    for message in messages.iter_mut() {
        if let Some((cut, _)) = message.content.char_indices().nth(PAGE_MESSAGE_CHARS) {
            message.content.truncate(cut);
            message.shortened = true;
        }
    }
    render_whole(messages, locale);
}

/// As [`render_messages`], with each message whole however long.
pub fn render_whole(messages: &mut [Message], locale: Locale) {
    let labels = CopyLabels::of(locale);
    for message in messages {
        let markdown = match message.role {
            Role::Assistant => true,
            // The model's calls to a gateway client's tools, with what it said beside them.
            Role::Tool => !message.reply_data().tool_calls.is_empty(),
            Role::User | Role::System => false,
        };
        if markdown {
            message.html = Some(render_markdown(&message.content, labels));
        }
    }
}

/// http(s) and mailto links, and paths on this site (`/chat/...`, never `//host`).
fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:")
        || (lower.starts_with('/') && !lower.starts_with("//") && !lower.contains('\\'))
}

/// Markdown to HTML: tables, strikethrough and task lists on; HTML off; links filtered; fenced
/// code highlighted, with `labels` on its Copy button.
pub fn render_markdown(source: &str, labels: CopyLabels) -> String {
    render_blocks(source, labels).concat()
}

/// [`render_markdown`] one top-level block (paragraph, list, code block, table…) at a time: a
/// streamed reply's page is sent only the blocks that changed.
pub fn render_blocks(source: &str, labels: CopyLabels) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut block = Vec::new();
    let mut depth = 0usize;
    for event in safe_events(source, labels) {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        block.push(event);
        if depth == 0 {
            let mut html = String::new();
            pulldown_cmark::html::push_html(&mut html, block.drain(..));
            blocks.push(html);
        }
    }
    if !block.is_empty() {
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, block.into_iter());
        blocks.push(html);
    }
    blocks
}

/// The parser's events with raw HTML made text, unsafe links dropped and fenced code replaced
/// by its highlighted block.
fn safe_events(source: &str, labels: CopyLabels) -> impl Iterator<Item = Event<'_>> {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    // For each open link or image: whether it was kept (its end tag must match).
    let mut kept: Vec<bool> = Vec::new();
    // The fenced block being read: its language and text so far.
    let mut code: Option<(String, String)> = None;
    Parser::new_ext(source, options).filter_map(move |event| match event {
        Event::Start(Tag::CodeBlock(kind)) => {
            let lang = match kind {
                CodeBlockKind::Fenced(info) => {
                    info.split_whitespace().next().unwrap_or("").to_string()
                }
                CodeBlockKind::Indented => String::new(),
            };
            code = Some((lang, String::new()));
            None
        }
        Event::Text(text) if code.is_some() => {
            if let Some((_, body)) = code.as_mut() {
                body.push_str(&text);
            }
            None
        }
        Event::End(TagEnd::CodeBlock) => code
            .take()
            .map(|(lang, body)| Event::Html(CowStr::from(code_block(&lang, &body, labels)))),
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        })
        | Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            // Images are shown as links: a picture from anywhere could track the reader.
            let ok = safe_url(&dest_url);
            kept.push(ok);
            ok.then_some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::End(TagEnd::Link) | Event::End(TagEnd::Image) => kept
            .pop()
            .unwrap_or(false)
            .then_some(Event::End(TagEnd::Link)),
        other => Some(other),
    })
}

/// A code block: a bar with the language and the Copy button, then the highlighted code. The
/// `<pre>` scrolls sideways (long lines stay readable on a phone) and takes focus, so it can
/// be scrolled from the keyboard.
fn code_block(lang: &str, body: &str, labels: CopyLabels) -> String {
    // The language name lands in a class and in text: letters, digits and `+#-_.` only.
    let lang: String = lang
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "+#-_.".contains(*c))
        .take(32)
        .collect();
    let mut out = String::with_capacity(body.len() * 2 + 256);
    out.push_str("<div class=\"code-block\"><div class=\"code-head\"><span class=\"code-lang\">");
    out.push_str(if lang.is_empty() { "text" } else { &lang });
    out.push_str("</span><button type=\"button\" class=\"copy-code\" data-copy=\"");
    out.push_str(labels.copy);
    out.push_str("\" data-copied=\"");
    out.push_str(labels.copied);
    out.push_str("\" data-failed=\"");
    out.push_str(labels.copy);
    out.push_str("\">");
    out.push_str(labels.copy);
    out.push_str("</button></div><pre tabindex=\"0\"><code");
    if !lang.is_empty() {
        out.push_str(" class=\"language-");
        out.push_str(&lang);
        out.push('"');
    }
    out.push('>');
    highlight::highlight(&lang, body, &mut out);
    out.push_str("</code></pre></div>");
    out
}

#[cfg(test)]
mod tests {
    use super::CopyLabels;
    use crate::i18n::Locale;

    fn render_markdown(source: &str) -> String {
        super::render_markdown(source, CopyLabels::of(Locale::en))
    }

    #[test]
    fn markdown_renders_code_lists_tables_and_links() {
        let html = render_markdown(
            "# Title\n\n- one\n- two\n\n```rust\nfn main() {}\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[site](https://example.com)",
        );
        assert!(html.contains("<h1>Title</h1>"));
        assert!(html.contains("<li>one</li>"));
        assert!(
            html.contains("<code class=\"language-rust\"><span class=\"hl-k\">fn</span> main() {}"),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"code-lang\">rust</span>"),
            "{html}"
        );
        assert!(html.contains("<table>"));
        assert!(html.contains("<a href=\"https://example.com\">site</a>"));
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = render_markdown("<script>alert(1)</script>\n\nhi <img src=x onerror=alert(1)>");
        assert!(!html.contains("<script"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn only_http_and_mailto_links_survive() {
        for bad in [
            "[x](javascript:alert(1))",
            "[x](JAVASCRIPT:alert(1))",
            "[x](data:text/html,<script>alert(1)</script>)",
            "[x](vbscript:msgbox)",
            "![x](javascript:alert(1))",
            "<javascript:alert(1)>",
        ] {
            let html = render_markdown(bad);
            assert!(
                !html.to_lowercase().contains("href=\"javascript"),
                "{bad} -> {html}"
            );
            assert!(!html.contains("href=\"data:"), "{bad} -> {html}");
            assert!(!html.contains("href=\"vbscript"), "{bad} -> {html}");
        }
        assert!(render_markdown("[m](mailto:a@b.c)").contains("href=\"mailto:a@b.c\""));
        assert!(render_markdown("[c](/chat/1)").contains("href=\"/chat/1\""));
        assert!(!render_markdown("[c](//evil.test/x)").contains("href"));
        assert!(render_markdown("![pic](https://x.test/a.png)")
            .contains("<a href=\"https://x.test/a.png\">pic</a>"));
    }

    #[test]
    fn code_blocks_have_a_copy_button_and_survive_streaming() {
        let html = super::render_markdown("```py\nprint('<hi>')\n```", CopyLabels::of(Locale::ru));
        assert!(html.contains(">Копировать</button>"), "{html}");
        assert!(html.contains("data-copied=\"Скопировано\""), "{html}");
        assert!(html.contains("&lt;hi&gt;"), "{html}");
        // The fence is still open while the reply streams (the parser closes it at the end):
        // the code shows all the same.
        let partial = render_markdown("Here:\n\n```rust\nlet x = 1;\n");
        assert!(
            partial.contains("<span class=\"hl-k\">let</span> x = <span class=\"hl-n\">1</span>;"),
            "{partial}"
        );
        // A language name cannot break out of its attribute.
        let hostile = render_markdown("```x\"onmouseover=alert(1)\nx\n```");
        assert!(!hostile.contains("\"onmouseover"), "{hostile}");
    }
}
