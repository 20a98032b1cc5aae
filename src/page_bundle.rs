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
    pub fn name(self) -> &'static str {
        match self {
            PagePart::Public => "public",
            PagePart::Chat => "chat",
            PagePart::Profile => "profile",
            PagePart::Admin => "admin",
        }
    }

    pub fn from_name(name: &str) -> Option<PagePart> {
        PagePart::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The part this build carries alone, if a `page-*` feature chose one.
    pub const BUILT_ALONE: Option<PagePart> = if cfg!(feature = "page-public") {
        Some(PagePart::Public)
    } else if cfg!(feature = "page-chat") {
        Some(PagePart::Chat)
    } else if cfg!(feature = "page-profile") {
        Some(PagePart::Profile)
    } else if cfg!(feature = "page-admin") {
        Some(PagePart::Admin)
    } else {
        None
    };

    /// Whether this build can show the part's pages (a constant: the rest is compiled out).
    pub const fn carried(self) -> bool {
        match PagePart::BUILT_ALONE {
            None => true,
            Some(part) => part as u8 == self as u8,
        }
    }
}

// The server renders every page; a `page-*` feature is for the browser's code only.
#[cfg(all(
    feature = "ssr",
    any(
        feature = "page-public",
        feature = "page-chat",
        feature = "page-profile",
        feature = "page-admin"
    )
))]
compile_error!("the page-* features choose a browser bundle's pages; the server carries all");

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
