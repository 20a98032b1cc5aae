//! Which pages need a login, and the login page's address that comes back to one. Shared by
//! the server (a logged-out request gets a 303 before any page renders) and the browser (a
//! tab whose session ended goes to the login page on its next action).

use crate::validation::encode_query_value;

/// Pages that show one person's data, or the instance's administration.
pub fn needs_login(path: &str) -> bool {
    // The router takes `/profile/` for `/profile`, so the guard does too.
    let path = path.trim_end_matches('/');
    path == "/profile" || path == "/admin" || path == "/chat" || path.starts_with("/chat/")
}

/// `/login?next=<here>`, where `here` is a path (and query) of this site.
pub fn login_url(here: &str) -> String {
    format!("/login?next={}", encode_query_value(here))
}

/// In the browser: a server function answered 401 while a personal page is open, so the
/// session ended (logged out elsewhere, expired, or the account was disabled). The tab goes to
/// the login page, which brings it back here after logging in. Elsewhere (the login form's
/// own wrong password is a 401 too) nothing happens.
#[cfg(feature = "hydrate")]
pub fn session_ended() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let (Ok(path), Ok(search)) = (location.pathname(), location.search()) else {
        return;
    };
    if needs_login(&path) {
        let _ = location.assign(&login_url(&format!("{path}{search}")));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_personal_pages_need_a_login() {
        for path in [
            "/profile",
            "/profile/",
            "/admin",
            "/admin/",
            "/chat",
            "/chat/",
            "/chat/123",
            "/chat/123/",
        ] {
            assert!(super::needs_login(path), "{path}");
        }
        for path in [
            "/",
            "/login",
            "/register",
            "/chats",
            "/profile/x",
            "/administration",
            "/pkg/a.js",
        ] {
            assert!(!super::needs_login(path), "{path}");
        }
    }

    #[test]
    fn the_login_url_comes_back_here() {
        assert_eq!(
            super::login_url("/chat/1?x=a b"),
            "/login?next=/chat/1%3Fx%3Da%20b"
        );
    }
}
