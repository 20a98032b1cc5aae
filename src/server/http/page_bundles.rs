//! Which browser bundle a page names (see `crate::page_bundle`).
//!
//! A release build writes one bundle per part of the site and lists them in
//! `<site>/pkg/page-bundles.txt`, one line per part: `chat page-chat.<hash>` (the `.js` and
//! `.wasm` files of that name are beside it). A page then loads its part's bundle alone. Without
//! the list (a development build) every page loads the bundle with all of them, through
//! leptos's own `HydrationScripts`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::http::request::Parts;
use leptos::prelude::*;

use crate::page_bundle::PagePart;
use crate::server::state::AppState;

/// The list's file name inside the package folder.
pub const LIST_FILE: &str = "page-bundles.txt";

/// Each part's bundle: the file name without `.js` or `.wasm`.
#[derive(Clone, Debug, Default)]
pub struct PageBundles(Arc<HashMap<PagePart, String>>);

impl PageBundles {
    /// Reads the list of a release build; none for a build without one.
    pub fn load(options: &LeptosOptions) -> Result<PageBundles, String> {
        let path = Path::new(options.site_root.as_ref())
            .join(options.site_pkg_dir.as_ref())
            .join(LIST_FILE);
        let bundles = match std::fs::read_to_string(&path) {
            Ok(text) => {
                PageBundles::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(PageBundles::default()),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        // A page naming a file that is not there would never start: say so now instead.
        let pkg = path.parent().unwrap_or(Path::new("."));
        for name in bundles.0.values() {
            for file in [format!("{name}.js"), format!("{name}.wasm")] {
                if !pkg.join(&file).is_file() {
                    return Err(format!("{} names {file}, which is missing", path.display()));
                }
            }
        }
        Ok(bundles)
    }

    fn parse(text: &str) -> Result<PageBundles, String> {
        let mut bundles = HashMap::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (part, name) = line
                .split_once(' ')
                .ok_or_else(|| format!("`{line}` is not `<part> <file name>`"))?;
            let part = PagePart::from_name(part).ok_or_else(|| format!("no part `{part}`"))?;
            // The name goes into the page's script: letters, digits, `.`, `-` and `_` only.
            let safe = name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
            if name.is_empty() || !safe {
                return Err(format!("`{name}` is not a file name"));
            }
            bundles.insert(part, name.to_string());
        }
        Ok(PageBundles(Arc::new(bundles)))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn of(&self, part: PagePart) -> Option<&str> {
        self.0.get(&part).map(String::as_str)
    }
}

/// The `<head>` lines that start the browser's copy of the page: its part's bundle where the
/// build made one, else the bundle with every page.
pub fn hydration_scripts(options: LeptosOptions) -> AnyView {
    let part = use_context::<Parts>().map_or(PagePart::Public, |p| PagePart::of_path(p.uri.path()));
    let name = use_context::<AppState>().and_then(|s| s.page_bundles.of(part).map(str::to_string));
    let Some(name) = name else {
        return view! { <HydrationScripts options/> }.into_any();
    };
    let pkg = options.site_pkg_dir;
    let js = format!("/{pkg}/{name}.js");
    let wasm = format!("/{pkg}/{name}.wasm");
    // As leptos's script does: load the JS glue, instantiate the WASM, hydrate.
    let start = format!(
        "import({js:?}).then(m => m.default({{module_or_path: {wasm:?}}}).then(() => m.hydrate()));"
    );
    let nonce = leptos::nonce::use_nonce();
    view! {
        <link rel="modulepreload" href=js crossorigin="anonymous"/>
        <link rel="preload" href=wasm r#as="fetch" r#type="application/wasm" crossorigin="anonymous"/>
        <script type="module" nonce=nonce>{start}</script>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_names_each_parts_bundle() {
        let bundles =
            PageBundles::parse("public page-public.ab12\n\nchat page-chat.cd34\n").unwrap();
        assert_eq!(bundles.len(), 2);
        assert_eq!(bundles.of(PagePart::Chat), Some("page-chat.cd34"));
        assert_eq!(bundles.of(PagePart::Public), Some("page-public.ab12"));
        assert_eq!(bundles.of(PagePart::Admin), None);
    }

    #[test]
    fn a_list_that_could_break_the_page_is_refused() {
        for bad in [
            "chat",
            "everything page.ab12",
            "chat ../../etc/passwd",
            "chat a\"b",
            "chat x</script>",
        ] {
            assert!(PageBundles::parse(bad).is_err(), "{bad}");
        }
    }
}
