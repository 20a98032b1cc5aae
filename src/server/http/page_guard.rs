//! Pages that show one person's data (`/profile`, `/chat`, `/chat/{id}`) are never rendered
//! for nobody: a logged-out request gets a real `303 See Other` to `/login?next=…` before
//! any page body exists, so it works the same without WASM and leaks nothing.

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::session_layer::CurrentUser;
use crate::validation::encode_query_value;

fn needs_login(path: &str) -> bool {
    path == "/profile" || path == "/chat" || path.starts_with("/chat/")
}

pub async fn redirect_to_login(req: Request, next: Next) -> Response {
    let is_read = matches!(*req.method(), Method::GET | Method::HEAD);
    let logged_out = !matches!(
        req.extensions().get::<CurrentUser>(),
        Some(CurrentUser(Some(_)))
    );
    if is_read && logged_out && needs_login(req.uri().path()) {
        let here = req.uri().path_and_query().map_or("/chat", |p| p.as_str());
        let to = format!("/login?next={}", encode_query_value(here));
        if let Ok(location) = HeaderValue::from_str(&to) {
            return (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_personal_pages_need_a_login() {
        for path in ["/profile", "/chat", "/chat/123"] {
            assert!(super::needs_login(path), "{path}");
        }
        for path in [
            "/",
            "/login",
            "/register",
            "/chats",
            "/profile/x",
            "/pkg/a.js",
        ] {
            assert!(!super::needs_login(path), "{path}");
        }
    }
}
