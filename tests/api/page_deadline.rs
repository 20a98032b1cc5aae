//! Every page is rendered within its deadline (`MARUNTIME_PAGE_DEADLINE_SECS`): a page whose
//! data never arrives answers the error page (503, in the person's language) in time, instead
//! of a connection that never ends, and the rest of the site goes on.

use std::time::{Duration, Instant};

use crate::helpers::*;

async fn with_a_one_second_deadline(engine: Engine) -> Option<TestApp> {
    spawn_app_on(engine, |v| {
        v.insert("MARUNTIME_PAGE_DEADLINE_SECS".into(), "1".into());
    })
    .await
}

on_both_engines! {
    setup = with_a_one_second_deadline;
    /// `user.md` made a named pipe that no one writes: reading it, as the profile page does for
    /// the preferences, never returns.
    async fn a_page_whose_data_never_arrives_answers_the_error_page_in_time(app) {
        let user = app.register("ann").await;
        let path = app
            .memory_dir
            .join("users")
            .join(user["id"].as_str().unwrap())
            .join("user.md");
        std::fs::remove_file(&path).unwrap();
        let made = std::process::Command::new("mkfifo").arg(&path).status().unwrap();
        assert!(made.success(), "mkfifo");

        let began = Instant::now();
        let r = app.get_page(&app.client, "/profile").await;
        let took = began.elapsed();
        assert_eq!(r.status(), 503);
        assert!(took < Duration::from_secs(3), "answered after {took:?}");
        assert_eq!(r.headers()["cache-control"], "no-store");
        assert_eq!(r.headers()["retry-after"], "5");
        let html = r.text().await.unwrap();
        assert!(html.contains("<html lang=\"en\">"), "{html}");
        assert!(html.contains("This page is taking too long"), "{html}");

        let russian = app
            .client
            .get(app.url("/profile"))
            .header("accept", "text/html")
            .header("accept-language", "ru")
            .send()
            .await
            .unwrap();
        assert_eq!(russian.status(), 503);
        assert!(russian.text().await.unwrap().contains("Страница загружается слишком долго"));

        // Meanwhile the other pages answer as always.
        let chat = app.get_page(&app.client, "/chat").await;
        assert_eq!(chat.status(), 200);
        assert!(chat.text().await.unwrap().contains("</html>"));

        // A writer opening the pipe lets the stuck reads end (with nothing), so the runtime
        // can stop; the page then renders again.
        // (Non-blocking: with no reader left, opening fails instead of waiting.)
        use std::os::unix::fs::OpenOptionsExt;
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(app.get_page(&app.client, "/profile").await.status(), 200);
    }
}
