//! Assistant messages as Markdown, safe to show in anyone's page.
//!
//! Raw HTML in a message becomes visible text, and only http(s), mailto and same-site links survive:
//! the rendered HTML can hold no script, no event handler and no `javascript:` URL.

use leptos::prelude::*;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

#[component]
pub fn Markdown(#[prop(into)] source: String) -> impl IntoView {
    let html = render_markdown(&source);
    view! { <div class="markdown" inner_html=html></div> }
}

/// http(s) and mailto links, and paths on this site (`/chat/...`, never `//host`).
fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:")
        || (lower.starts_with('/') && !lower.starts_with("//") && !lower.contains('\\'))
}

/// Markdown to HTML: tables, strikethrough and task lists on; HTML off; links filtered.
pub fn render_markdown(source: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    // For each open link or image: whether it was kept (its end tag must match).
    let mut kept: Vec<bool> = Vec::new();
    let events = Parser::new_ext(source, options).filter_map(|event| match event {
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

#[cfg(test)]
mod tests {
    use super::render_markdown;

    #[test]
    fn markdown_renders_code_lists_tables_and_links() {
        let html = render_markdown(
            "# Title\n\n- one\n- two\n\n```rust\nfn main() {}\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[site](https://example.com)",
        );
        assert!(html.contains("<h1>Title</h1>"));
        assert!(html.contains("<li>one</li>"));
        assert!(html.contains("<code class=\"language-rust\">fn main() {}"));
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
}
