//! Syntax highlighting of fenced code blocks.
//!
//! A small scanner rather than a grammar engine: comments, strings, numbers and keywords of
//! the languages people paste most, each as a `<span class="hl-…">`. It renders every partial
//! text of a streamed reply without state: a string left open simply runs to the end until
//! its closing quote arrives.

/// How one language is scanned.
struct Syntax {
    keywords: &'static [&'static str],
    /// `true`, `null`, `None`, …: shown like numbers.
    literals: &'static [&'static str],
    line_comments: &'static [&'static str],
    block_comment: Option<(&'static str, &'static str)>,
    quotes: &'static [char],
    /// `"""` / `'''` strings (Python).
    triple_quotes: bool,
    /// `'` opens a string only as a character literal (`'a'`, `'\n'`), so lifetimes stay plain.
    char_literals: bool,
    /// `#` starts a comment only at a word boundary (shells: `$#`, `${#x}` are not comments).
    hash_at_boundary: bool,
    /// Markup: the name after `<` or `</` is a tag.
    tags: bool,
    /// Keywords match regardless of case (SQL).
    any_case: bool,
}

const C_COMMENTS: (&str, &str) = ("/*", "*/");

#[rustfmt::skip]
const BASE: Syntax = Syntax {
    keywords: &[],
    literals: &[],
    line_comments: &[],
    block_comment: None,
    quotes: &['"', '\''],
    triple_quotes: false,
    char_literals: false,
    hash_at_boundary: false,
    tags: false,
    any_case: false,
};

#[rustfmt::skip]
const RUST: Syntax = Syntax {
    keywords: &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
        "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "type",
        "unsafe", "use", "where", "while",
    ],
    literals: &["true", "false", "None", "Some", "Ok", "Err"],
    line_comments: &["//"],
    block_comment: Some(C_COMMENTS),
    char_literals: true,
    ..BASE
};

#[rustfmt::skip]
const PYTHON: Syntax = Syntax {
    keywords: &[
        "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
        "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with",
        "yield", "match", "case", "self",
    ],
    literals: &["True", "False", "None"],
    line_comments: &["#"],
    triple_quotes: true,
    ..BASE
};

#[rustfmt::skip]
const JAVASCRIPT: Syntax = Syntax {
    keywords: &[
        "async", "await", "break", "case", "catch", "class", "const", "continue", "debugger",
        "default", "delete", "do", "else", "export", "extends", "finally", "for", "from",
        "function", "if", "import", "in", "instanceof", "interface", "let", "new", "of",
        "return", "static", "super", "switch", "this", "throw", "try", "type", "typeof", "var",
        "void", "while", "with", "yield", "enum", "implements", "private", "public", "protected",
        "readonly", "as",
    ],
    literals: &["true", "false", "null", "undefined", "NaN", "Infinity"],
    line_comments: &["//"],
    block_comment: Some(C_COMMENTS),
    quotes: &['"', '\'', '`'],
    ..BASE
};

#[rustfmt::skip]
const JSON: Syntax = Syntax {
    literals: &["true", "false", "null"],
    quotes: &['"'],
    ..BASE
};

#[rustfmt::skip]
const SHELL: Syntax = Syntax {
    keywords: &[
        "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
        "in", "function", "return", "local", "export", "readonly", "set", "unset", "echo", "cd",
        "exit", "source", "sudo",
    ],
    literals: &["true", "false"],
    line_comments: &["#"],
    hash_at_boundary: true,
    ..BASE
};

#[rustfmt::skip]
const GO: Syntax = Syntax {
    keywords: &[
        "break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough",
        "for", "func", "go", "goto", "if", "import", "interface", "map", "package", "range",
        "return", "select", "struct", "switch", "type", "var",
    ],
    literals: &["true", "false", "nil", "iota"],
    line_comments: &["//"],
    block_comment: Some(C_COMMENTS),
    quotes: &['"', '\'', '`'],
    ..BASE
};

#[rustfmt::skip]
const C_FAMILY: Syntax = Syntax {
    keywords: &[
        "auto", "break", "case", "char", "class", "const", "continue", "default", "delete", "do",
        "double", "else", "enum", "extern", "final", "float", "for", "goto", "if", "import",
        "include", "int", "long", "namespace", "new", "package", "private", "protected",
        "public", "return", "short", "signed", "sizeof", "static", "struct", "switch",
        "template", "this", "throw", "throws", "try", "catch", "typedef", "union", "unsigned",
        "using", "var", "virtual", "void", "volatile", "while", "define", "boolean", "extends",
        "implements", "interface", "override", "string", "bool", "async", "await",
    ],
    literals: &["true", "false", "null", "nullptr", "NULL"],
    line_comments: &["//"],
    block_comment: Some(C_COMMENTS),
    ..BASE
};

#[rustfmt::skip]
const SQL: Syntax = Syntax {
    keywords: &[
        "select", "from", "where", "and", "or", "not", "insert", "into", "values", "update",
        "set", "delete", "create", "table", "index", "drop", "alter", "add", "join", "left",
        "right", "inner", "outer", "on", "group", "by", "order", "having", "limit", "offset",
        "as", "distinct", "union", "all", "primary", "key", "references", "foreign", "unique",
        "default", "with", "case", "when", "then", "else", "end", "is", "in", "exists",
        "between", "like", "returning", "begin", "commit", "rollback", "asc", "desc",
    ],
    literals: &["null", "true", "false"],
    line_comments: &["--"],
    block_comment: Some(C_COMMENTS),
    any_case: true,
    ..BASE
};

#[rustfmt::skip]
const CSS: Syntax = Syntax {
    keywords: &[
        "important", "media", "import", "keyframes", "supports", "root",
    ],
    block_comment: Some(C_COMMENTS),
    ..BASE
};

#[rustfmt::skip]
const CONFIG: Syntax = Syntax {
    literals: &["true", "false", "null", "yes", "no", "on", "off"],
    line_comments: &["#"],
    hash_at_boundary: true,
    ..BASE
};

#[rustfmt::skip]
const MARKUP: Syntax = Syntax {
    block_comment: Some(("<!--", "-->")),
    quotes: &['"'],
    tags: true,
    ..BASE
};

/// The scanner for a fence's language name, if it is one of ours.
fn syntax(lang: &str) -> Option<&'static Syntax> {
    Some(match lang.to_ascii_lowercase().as_str() {
        "rust" | "rs" => &RUST,
        "python" | "py" | "python3" => &PYTHON,
        "javascript" | "js" | "jsx" | "mjs" | "typescript" | "ts" | "tsx" => &JAVASCRIPT,
        "json" | "jsonc" => &JSON,
        "bash" | "sh" | "shell" | "zsh" | "console" => &SHELL,
        "go" | "golang" => &GO,
        "c" | "h" | "cpp" | "c++" | "hpp" | "cc" | "java" | "kotlin" | "kt" | "csharp" | "cs"
        | "c#" | "swift" | "dart" => &C_FAMILY,
        "sql" | "postgresql" | "postgres" | "sqlite" | "mysql" => &SQL,
        "css" | "scss" | "less" => &CSS,
        "yaml" | "yml" | "toml" | "ini" | "dockerfile" | "env" => &CONFIG,
        "html" | "xml" | "svg" | "vue" => &MARKUP,
        _ => return None,
    })
}

/// Appends `text` to `out` with `&`, `<` and `>` escaped (element content).
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
}

fn span(out: &mut String, class: &str, text: &str) {
    out.push_str("<span class=\"hl-");
    out.push_str(class);
    out.push_str("\">");
    escape_into(out, text);
    out.push_str("</span>");
}

/// `code` as escaped HTML, highlighted when `lang` is known (else only escaped).
pub fn highlight(lang: &str, code: &str, out: &mut String) {
    match lang.to_ascii_lowercase().as_str() {
        "diff" | "patch" => diff(code, out),
        _ => match syntax(lang) {
            Some(syntax) => scan(syntax, code, out),
            None => escape_into(out, code),
        },
    }
}

/// Added and removed lines, and hunk headers.
fn diff(code: &str, out: &mut String) {
    for line in code.split_inclusive('\n') {
        let class = if line.starts_with("+++") || line.starts_with("---") || line.starts_with("@@")
        {
            Some("c")
        } else if line.starts_with('+') {
            Some("ins")
        } else if line.starts_with('-') {
            Some("del")
        } else {
            None
        };
        match class {
            Some(class) => span(out, class, line),
            None => escape_into(out, line),
        }
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn scan(syntax: &Syntax, code: &str, out: &mut String) {
    let mut rest = code;
    // Whether the previous character ends a word (for `#` at a boundary).
    let mut after_word = false;
    while let Some(c) = rest.chars().next() {
        let taken = if let Some(len) = comment_len(syntax, rest, after_word) {
            span(out, "c", &rest[..len]);
            len
        } else if let Some(len) = string_len(syntax, rest) {
            span(out, "s", &rest[..len]);
            len
        } else if syntax.tags && c == '<' {
            let name_start = if rest[1..].starts_with('/') { 2 } else { 1 };
            let name_len = rest[name_start..]
                .find(|ch: char| !(is_word(ch) || ch == '-' || ch == ':'))
                .unwrap_or(rest.len() - name_start);
            escape_into(out, &rest[..name_start]);
            if name_len > 0 {
                span(out, "k", &rest[name_start..name_start + name_len]);
            }
            name_start + name_len
        } else if c.is_ascii_digit() {
            let len = rest
                .find(|ch: char| !(is_word(ch) || ch == '.'))
                .unwrap_or(rest.len());
            span(out, "n", &rest[..len]);
            len
        } else if is_word(c) {
            let len = rest.find(|ch: char| !is_word(ch)).unwrap_or(rest.len());
            let word = &rest[..len];
            let matches = |list: &[&str]| {
                list.iter().any(|k| {
                    if syntax.any_case {
                        k.eq_ignore_ascii_case(word)
                    } else {
                        *k == word
                    }
                })
            };
            if matches(syntax.keywords) {
                span(out, "k", word);
            } else if matches(syntax.literals) {
                span(out, "n", word);
            } else {
                escape_into(out, word);
            }
            len
        } else {
            let len = c.len_utf8();
            escape_into(out, &rest[..len]);
            len
        };
        after_word = rest[..taken]
            .chars()
            .next_back()
            .is_some_and(|last| !last.is_whitespace());
        rest = &rest[taken..];
    }
}

/// Length of the comment starting `text`, if one does.
fn comment_len(syntax: &Syntax, text: &str, after_word: bool) -> Option<usize> {
    if let Some((open, close)) = syntax.block_comment {
        if let Some(body) = text.strip_prefix(open) {
            return Some(
                body.find(close)
                    .map_or(text.len(), |end| open.len() + end + close.len()),
            );
        }
    }
    let line = syntax.line_comments.iter().any(|marker| {
        text.starts_with(marker) && !(syntax.hash_at_boundary && *marker == "#" && after_word)
    });
    line.then(|| text.find('\n').unwrap_or(text.len()))
}

/// Length of the string literal starting `text`, if one does. An unclosed string runs to the
/// end of its line (or of the text, for triple quotes and backticks).
fn string_len(syntax: &Syntax, text: &str) -> Option<usize> {
    let quote = text.chars().next().filter(|c| syntax.quotes.contains(c))?;
    if syntax.triple_quotes {
        for triple in ["\"\"\"", "'''"] {
            if text.starts_with(triple) {
                return Some(text[3..].find(triple).map_or(text.len(), |end| end + 6));
            }
        }
    }
    if syntax.char_literals && quote == '\'' {
        let mut chars = text[1..].char_indices();
        return match chars.next()? {
            (_, '\\') => text[2..].find('\'').map(|end| end + 3),
            (_, c) => chars
                .next()
                .filter(|(_, close)| *close == '\'')
                .map(|(i, _)| 1 + i + 1 + c.len_utf8() - c.len_utf8()),
        };
    }
    let multiline = quote == '`';
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '\n' if !multiline => return Some(i),
            c if c == quote => return Some(i + c.len_utf8()),
            _ => {}
        }
    }
    Some(text.len())
}

#[cfg(test)]
mod tests {
    use super::highlight;

    fn hl(lang: &str, code: &str) -> String {
        let mut out = String::new();
        highlight(lang, code, &mut out);
        out
    }

    #[test]
    fn rust_keywords_strings_comments_and_lifetimes() {
        let html = hl(
            "rust",
            "fn main<'a>() { let s = \"hi\"; // done\n let c = 'x'; }",
        );
        assert!(html.contains("<span class=\"hl-k\">fn</span>"), "{html}");
        assert!(html.contains("<span class=\"hl-k\">let</span>"), "{html}");
        assert!(
            html.contains("<span class=\"hl-s\">\"hi\"</span>"),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"hl-c\">// done</span>"),
            "{html}"
        );
        assert!(html.contains("<span class=\"hl-s\">'x'</span>"), "{html}");
        // A lifetime is not the start of a string that swallows the rest.
        assert!(html.contains("&lt;'a&gt;"), "{html}");
        assert!(!html.contains("hl-s\">'a"), "{html}");
    }

    #[test]
    fn text_is_escaped_everywhere() {
        let html = hl("html", "<script>alert(\"x\")</script><!-- <b> -->");
        assert!(!html.contains("<script"), "{html}");
        assert!(
            html.contains("&lt;<span class=\"hl-k\">script</span>&gt;"),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"hl-c\">&lt;!-- &lt;b&gt; --&gt;</span>"),
            "{html}"
        );
        let plain = hl("brainfuck", "a < b && c");
        assert_eq!(plain, "a &lt; b &amp;&amp; c");
    }

    #[test]
    fn partial_text_of_a_streamed_reply_renders() {
        // An unclosed string or comment runs to the end, and closes when the rest arrives.
        let partial = hl("python", "x = \"\"\"open");
        assert!(
            partial.ends_with("<span class=\"hl-s\">\"\"\"open</span>"),
            "{partial}"
        );
        let whole = hl("python", "x = \"\"\"open\"\"\" # note");
        assert!(
            whole.contains("<span class=\"hl-c\"># note</span>"),
            "{whole}"
        );
        assert!(hl("js", "/* never closed").starts_with("<span class=\"hl-c\">"));
    }

    #[test]
    fn shells_sql_numbers_and_diffs() {
        let sh = hl("bash", "echo $# # count");
        assert!(sh.contains("$#"), "{sh}");
        assert!(sh.contains("<span class=\"hl-c\"># count</span>"), "{sh}");
        let sql = hl("sql", "SELECT id FROM chats LIMIT 10 -- ten");
        assert!(sql.contains("<span class=\"hl-k\">SELECT</span>"), "{sql}");
        assert!(sql.contains("<span class=\"hl-n\">10</span>"), "{sql}");
        assert!(sql.contains("<span class=\"hl-c\">-- ten</span>"), "{sql}");
        let d = hl("diff", "@@ -1 +1 @@\n-old\n+new\n same");
        assert!(d.contains("<span class=\"hl-del\">-old\n</span>"), "{d}");
        assert!(d.contains("<span class=\"hl-ins\">+new\n</span>"), "{d}");
        assert!(d.ends_with(" same"), "{d}");
    }
}
