//! A page's loads, named for the server's page deadline (src/server/http/page_deadline.rs).

use std::future::Future;

use crate::error::AppError;

/// A resource's fetcher with a name a person reads in the log ("the list of chats"): on the
/// server a page render past its deadline logs the loads it was still waiting for, and a load
/// that panics becomes an internal error the page shows (a resource whose loader panicked would
/// leave its page waiting forever: leptos wakes the page only when the loader returns). In the
/// browser this is the load itself. Call it where the fetcher is called.
pub fn named_load<T>(
    what: &'static str,
    load: impl Future<Output = Result<T, AppError>>,
) -> impl Future<Output = Result<T, AppError>> {
    #[cfg(feature = "ssr")]
    {
        use futures::FutureExt;
        let load = std::panic::AssertUnwindSafe(load).catch_unwind();
        let load = crate::server::http::waiting_for(what, load);
        async move {
            load.await.unwrap_or_else(|_| {
                tracing::error!(
                    load = what,
                    "a page's load panicked; the page shows an error"
                );
                Err(AppError::Internal)
            })
        }
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = what;
        load
    }
}
