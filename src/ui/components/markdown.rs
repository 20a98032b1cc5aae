//! Assistant messages as Markdown, safe to show in anyone's page.
//!
//! Raw HTML in a message becomes visible text, and only http(s), mailto and same-site links survive:
//! the rendered HTML can hold no script, no event handler and no `javascript:` URL. Fenced code
//! is highlighted ([`highlight`]) under a bar with its language and a Copy button.

mod highlight;

use leptos::prelude::*;
use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};

use crate::i18n::*;

/// The Copy button's words, before and after it copied.
#[derive(Clone, Copy)]
pub struct CopyLabels {
    pub copy: &'static str,
    pub copied: &'static str,
}

/// The English words (the unit tests render with them).
pub const COPY_LABELS: CopyLabels = CopyLabels {
    copy: "Copy",
    copied: "Copied",
};

#[component]
pub fn Markdown(#[prop(into)] source: String) -> impl IntoView {
    let i18n = use_i18n();
    let labels = CopyLabels {
        copy: t_string!(i18n, chat.copy),
        copied: t_string!(i18n, chat.copied),
    };
    let html = render_markdown(&source, labels);
    // The Copy buttons are HTML of the rendered text, not components: one listener here
    // serves all of them.
    view! { <div class="markdown" inner_html=html on:click=copy_code></div> }
}

/// A click on a code block's Copy button puts the block's text on the clipboard and says so
/// on the button for two seconds.
fn copy_code(event: leptos::ev::MouseEvent) {
    use wasm_bindgen::JsCast;
    let Some(button) = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|el| el.closest("button.copy-code").ok().flatten())
    else {
        return;
    };
    let Some(code) = button
        .closest(".code-block")
        .ok()
        .flatten()
        .and_then(|block| block.query_selector("code").ok().flatten())
    else {
        return;
    };
    let text = code.text_content().unwrap_or_default();
    let promise = window().navigator().clipboard().write_text(&text);
    leptos::task::spawn_local(async move {
        let copied = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
        let label = if copied {
            button.get_attribute("data-copied")
        } else {
            button.get_attribute("data-failed")
        };
        let idle = button.get_attribute("data-copy").unwrap_or_default();
        button.set_text_content(label.as_deref());
        set_timeout(
            move || button.set_text_content(Some(&idle)),
            std::time::Duration::from_secs(2),
        );
    });
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
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    // For each open link or image: whether it was kept (its end tag must match).
    let mut kept: Vec<bool> = Vec::new();
    // The fenced block being read: its language and text so far.
    let mut code: Option<(String, String)> = None;
    let events = Parser::new_ext(source, options).filter_map(|event| match event {
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
    });
    let mut html = String::with_capacity(source.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    html
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
    use super::{CopyLabels, COPY_LABELS};

    fn render_markdown(source: &str) -> String {
        super::render_markdown(source, COPY_LABELS)
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
        let labels = CopyLabels {
            copy: "Копировать",
            copied: "Скопировано",
        };
        let html = super::render_markdown("```py\nprint('<hi>')\n```", labels);
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
