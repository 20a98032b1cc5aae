//! The parts of the site that each get their own browser code in a release build.
//!
//! One WASM for every page made the login page carry the chat, the profile and the
//! administration (802 KB gzip in all). A release build therefore also compiles the browser
//! code once per part, each with only that part's routes (feature `page-<part>`), and the
//! server names the part's files in each page it renders. Moving between parts is a page
//! load; within a part the router works as everywhere. A build without a `page-*` feature (the
//! server, development, tests) carries every part.

/// A part of the site and the pages in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PagePart {
    /// `/`, `/login`, `/register` and any page that does not exist.
    Public,
    /// `/chat` and `/chat/{id}`.
    Chat,
    /// `/profile`.
    Profile,
    /// `/admin`.
    Admin,
}

impl PagePart {
    pub const ALL: [PagePart; 4] = [
        PagePart::Public,
        PagePart::Chat,
        PagePart::Profile,
        PagePart::Admin,
    ];

    /// The part a path belongs to (the router's rules: a trailing `/` changes nothing).
    pub fn of_path(path: &str) -> PagePart {
        let path = path.trim_end_matches('/');
        if path == "/chat" || path.starts_with("/chat/") {
            PagePart::Chat
        } else if path == "/profile" {
            PagePart::Profile
        } else if path == "/admin" {
            PagePart::Admin
        } else {
            PagePart::Public
        }
    }

    /// The name in the build's feature (`page-chat`) and in its file names.
    pub const fn name(self) -> &'static str {
        match self {
            PagePart::Public => "public",
            PagePart::Chat => "chat",
            PagePart::Profile => "profile",
            PagePart::Admin => "admin",
        }
    }

    pub fn from_name(name: &str) -> Option<PagePart> {
        PagePart::named(name)
    }

    /// [`PagePart::from_name`] for constants.
    const fn named(name: &str) -> Option<PagePart> {
        let mut i = 0;
        while i < PagePart::ALL.len() {
            if same(PagePart::ALL[i].name(), name) {
                return Some(PagePart::ALL[i]);
            }
            i += 1;
        }
        None
    }

    /// The part this build carries alone, if a `page-*` feature chose one.
    pub const BUILT_ALONE: Option<PagePart> = match declared::BUILT_ALONE_NAME {
        None => None,
        Some(name) => PagePart::named(name),
    };

    /// Whether this build can show the part's pages (a constant: the rest is compiled out).
    pub const fn carried(self) -> bool {
        match PagePart::BUILT_ALONE {
            None => true,
            Some(part) => part as u8 == self as u8,
        }
    }
}

/// What Cargo.toml declares (written by build.rs from its `page-*` features).
mod declared {
    include!(concat!(env!("OUT_DIR"), "/page_parts.rs"));
}

// The enum names exactly the declared parts, in their order: a part added to Cargo.toml (or
// here) alone stops the build.
const _: () = {
    assert!(
        PagePart::ALL.len() == declared::DECLARED_PARTS.len(),
        "PagePart and Cargo.toml's page-* features differ"
    );
    let mut i = 0;
    while i < PagePart::ALL.len() {
        assert!(
            same(PagePart::ALL[i].name(), declared::DECLARED_PARTS[i]),
            "PagePart and Cargo.toml's page-* features differ"
        );
        i += 1;
    }
};

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::PagePart;

    #[test]
    fn every_path_belongs_to_the_part_the_router_shows_it_in() {
        for (path, part) in [
            ("/", PagePart::Public),
            ("/login", PagePart::Public),
            ("/register", PagePart::Public),
            ("/no-such-page", PagePart::Public),
            ("/chatty", PagePart::Public),
            ("/chat", PagePart::Chat),
            ("/chat/", PagePart::Chat),
            ("/chat/0b9c7a0e-4f0e-4a57-9a3e-3b1f5f2d9c11", PagePart::Chat),
            ("/profile", PagePart::Profile),
            ("/profile/", PagePart::Profile),
            ("/admin", PagePart::Admin),
            ("/administrator", PagePart::Public),
        ] {
            assert_eq!(PagePart::of_path(path), part, "{path}");
        }
    }

    #[test]
    fn names_read_back() {
        for part in PagePart::ALL {
            assert_eq!(PagePart::from_name(part.name()), Some(part));
        }
        assert_eq!(PagePart::from_name("everything"), None);
    }

    #[test]
    fn a_build_without_a_page_feature_carries_every_part() {
        assert_eq!(PagePart::BUILT_ALONE, None);
        assert!(PagePart::ALL.into_iter().all(PagePart::carried));
    }
}
