//! Every server-rendered page has a deadline (`MARUNTIME_PAGE_DEADLINE_SECS`, default 10 s).
//!
//! A page whose render never finishes (a resource that never resolves, a render task that
//! panicked and left its stream open) would otherwise hold the connection forever: the person
//! waits on a blank page and nothing is logged. Past the deadline the person gets a small error
//! page (503, in their language) and the log names the route and the data the page was still
//! waiting for, which the page's loads declare with [`waiting_for`].
//!
//! The page is rendered whole before it is sent (its HTML is a few kilobytes to a few hundred),
//! so the deadline covers the body too: a response cannot turn into an error page once its
//! first bytes went out.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::i18n::{td_string, Locale};
use leptos_i18n::Locale as _;

/// The largest page HTML held while it renders; a page is far smaller (the chat page with a
/// long answer is ~100 KB), so more means something is wrong, not that the page is big.
const MAX_PAGE_BYTES: usize = 16 << 20;

/// The data one page render is still waiting for, by name. Put into the request by
/// [`page_deadline`]; the page's loads find it through the request's parts in the render's
/// context.
#[derive(Clone, Default)]
pub struct PageLoads(Arc<Mutex<Vec<(u64, &'static str)>>>);

impl PageLoads {
    fn begin(&self, what: &'static str) -> LoadGuard {
        let mut loads = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let id = loads.last().map_or(0, |(id, _)| id + 1);
        loads.push((id, what));
        LoadGuard {
            loads: self.clone(),
            id,
        }
    }

    fn pending(&self) -> Vec<&'static str> {
        let loads = self.0.lock().unwrap_or_else(|e| e.into_inner());
        loads.iter().map(|(_, what)| *what).collect()
    }
}

/// One load in progress; dropping it (finished or cancelled) takes it off the list.
struct LoadGuard {
    loads: PageLoads,
    id: u64,
}

impl Drop for LoadGuard {
    fn drop(&mut self) {
        let mut loads = self.loads.0.lock().unwrap_or_else(|e| e.into_inner());
        loads.retain(|(id, _)| *id != self.id);
    }
}

/// Wraps a page's load (a resource's fetcher, on the server) so that a render past its deadline
/// names it. Reads the request from the render's context when called, so call it where the
/// fetcher is called (not inside a later `async` block). Outside a page render it changes
/// nothing.
pub fn waiting_for<T>(
    what: &'static str,
    load: impl Future<Output = T>,
) -> impl Future<Output = T> {
    let guard = leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<PageLoads>().cloned())
        .map(|loads| loads.begin(what));
    async move {
        let value = load.await;
        drop(guard);
        value
    }
}

/// Middleware on the page routes: renders a page (GET or HEAD) whole within the deadline, else
/// answers the error page and logs what the page was waiting for. Other methods (the server
/// functions registered beside the pages) pass through.
pub async fn page_deadline(
    State(deadline): State<Duration>,
    mut request: Request,
    next: Next,
) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let route = request.extensions().get::<MatchedPath>().map_or_else(
        || request.uri().path().to_owned(),
        |m| m.as_str().to_owned(),
    );
    let locale = crate::server::context::locale_of(request.extensions(), request.headers());
    let loads = PageLoads::default();
    request.extensions_mut().insert(loads.clone());
    let render = async move {
        let (parts, body) = next.run(request).await.into_parts();
        match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
            Ok(html) => Response::from_parts(parts, Body::from(html)),
            Err(e) => {
                tracing::error!(error = %e, "a page's HTML could not be rendered whole");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    };
    match tokio::time::timeout(deadline, render).await {
        Ok(response) => response,
        Err(_) => {
            let waiting = loads.pending();
            tracing::error!(
                route = %route,
                waiting_for = ?waiting,
                deadline_secs = deadline.as_secs_f64(),
                "a page was not rendered within its deadline; answered 503"
            );
            deadline_page(locale)
        }
    }
}

/// The person's page when the deadline passed: what happened and what to do, with no script
/// and no stylesheet (whatever hung may hang again).
fn deadline_page(locale: Locale) -> Response {
    let title = td_string!(locale, common.page_too_slow);
    let text = td_string!(locale, common.page_too_slow_text);
    let again = td_string!(locale, common.try_again);
    let start = td_string!(locale, common.go_to_start);
    let lang = locale.as_str();
    let html = format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head>\
         <body style=\"font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem\">\
         <main><h1>{title}</h1><p>{text}</p>\
         <p><a href=\"\">{again}</a> · <a href=\"/\">{start}</a></p></main></body></html>"
    );
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_and_cancelled_loads_leave_the_list() {
        let loads = PageLoads::default();
        let chats = loads.begin("the list of chats");
        let chat = loads.begin("the open chat");
        assert_eq!(loads.pending(), ["the list of chats", "the open chat"]);
        drop(chats);
        assert_eq!(loads.pending(), ["the open chat"]);
        let _quota = loads.begin("the quota");
        drop(chat);
        assert_eq!(loads.pending(), ["the quota"]);
    }

    #[test]
    fn the_deadline_page_is_a_503_in_the_persons_language() {
        let response = deadline_page(Locale::ru);
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
    }
}
