//! Search quality where real text makes it hard: one word in half of the messages (Zipf's law
//! puts a person's most common word there), more matches than a search ranks, titles, and the
//! filters people type.

use serde_json::Value;

use crate::helpers::*;
use maruntime::model::{Role, User};

/// Words by rank: the first is in every other message, the rest ever rarer.
const COMMON: &str = "project";
const VOCABULARY: &[&str] = &[
    "budget", "meeting", "deadline", "garden", "coffee", "train", "invoice", "camera", "printer",
    "holiday", "museum", "guitar", "river", "island", "novel", "battery",
];

/// 48 chats of 50 messages (2,400), written in batches through the chat service: `project` in
/// 1,200 of them, other words by a Zipf-like rank, and a few planted messages.
async fn corpus(app: &TestApp) -> User {
    app.register("ann").await;
    let user = app.user("ann").await;
    let chats = &app.state.chats;
    let mut state = 7_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for c in 0..48 {
        let chat = chats
            .start_chat(&user, Some(&format!("Notes {c}")), None)
            .await
            .unwrap();
        let mut texts: Vec<String> = Vec::new();
        for m in 0..50 {
            let mut words: Vec<&str> = Vec::new();
            for _ in 0..8 {
                // Rank r drawn with weight 1/(r+1): Zipf's law over the vocabulary.
                let mut pick = (next() % 10_000) as f64 / 10_000.0 * 3.38;
                let mut r = 0;
                while r + 1 < VOCABULARY.len() && pick > 1.0 / (r as f64 + 1.0) {
                    pick -= 1.0 / (r as f64 + 1.0);
                    r += 1;
                }
                words.push(VOCABULARY[r]);
            }
            // Two in four: the user's message and the agent's answer after it.
            if (m / 2) % 2 == 0 {
                words.insert(3, COMMON);
            }
            texts.push(format!("We talked about {}.", words.join(" ")));
        }
        // The rare word: once in the oldest chat, once in the middle, once with the common word.
        match c {
            0 => texts[10] = "The zeppelin museum trip is booked".into(),
            24 => texts[20] = "A zeppelin flew over the garden".into(),
            40 => texts[30] = "The zeppelin project needs a budget".into(),
            // The best match for the common word alone: short, and the word twice.
            46 => texts[40] = "Project, project!".into(),
            _ => {}
        }
        let batch: Vec<(Role, &str, Option<&str>)> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                (
                    if i % 2 == 0 {
                        Role::User
                    } else {
                        Role::Assistant
                    },
                    t.as_str(),
                    None,
                )
            })
            .collect();
        chats.append_messages(&user, chat.id, &batch).await.unwrap();
    }
    // A chat known by its title, whose messages never say it.
    let shed = chats
        .start_chat(&user, Some("Garden shed plans"), None)
        .await
        .unwrap();
    chats
        .append_message(
            &user,
            shed.id,
            Role::User,
            "Which wood lasts longest outside?",
            None,
        )
        .await
        .unwrap();
    user
}

async fn search(app: &TestApp, query: &[(&str, &str)]) -> Vec<Value> {
    let r = app
        .client
        .get(app.url("/v1/chats/search"))
        .query(query)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "searching {query:?}");
    let body: Value = r.json().await.unwrap();
    body["data"].as_array().unwrap().clone()
}

fn text(result: &Value) -> String {
    maruntime::model::snippet_parts(result["snippet"].as_str().unwrap())
        .into_iter()
        .map(|(t, _)| t)
        .collect()
}

on_both_engines! {
    async fn a_word_in_half_of_the_messages_still_ranks_well(app) {
        corpus(&app).await;
        // The common word alone: the best match first, then ten that all have it.
        let found = search(&app, &[("q", COMMON)]).await;
        assert_eq!(found.len(), 10);
        assert_eq!(text(&found[0]), "Project, project!");
        assert!(found.iter().all(|r| text(r).to_lowercase().contains(COMMON)), "{found:?}");

        // A rare word: every message that has it, however old, the newest first on a tie.
        let rare: Vec<String> = search(&app, &[("q", "zeppelin")]).await.iter().map(text).collect();
        assert_eq!(rare.len(), 3, "{rare:?}");
        assert!(rare.contains(&"The zeppelin museum trip is booked".to_string()), "{rare:?}");

        // Both: the message with both first, then the rare word's (even the oldest, which is
        // far behind the common word's newest matches), then the common word's.
        let mixed: Vec<String> = search(&app, &[("q", "zeppelin project")]).await.iter().map(text).collect();
        assert_eq!(mixed[0], "The zeppelin project needs a budget");
        let rest: Vec<&String> = mixed[1..3].iter().collect();
        assert!(rest.contains(&&"The zeppelin museum trip is booked".to_string()), "{mixed:?}");
        assert!(rest.contains(&&"A zeppelin flew over the garden".to_string()), "{mixed:?}");
        assert!(mixed[3..].iter().all(|t| t.to_lowercase().contains(COMMON) && !t.contains("zeppelin")), "{mixed:?}");
        assert_eq!(mixed.len(), 10);
    }

    async fn titles_and_filters_find_what_a_person_asks_for(app) {
        corpus(&app).await;
        // A title finds its chat when no message has the word.
        let shed = search(&app, &[("q", "shed")]).await;
        assert_eq!(shed.len(), 1, "{shed:?}");
        assert_eq!(shed[0]["chat_title"], "Garden shed plans");
        assert_eq!(text(&shed[0]), "Which wood lasts longest outside?");
        // Word forms and case, as for messages.
        assert_eq!(search(&app, &[("q", "SHEDS")]).await[0]["chat_title"], "Garden shed plans");

        // from:me and from:agent, in the query or as parameters.
        for (query, role) in [
            (vec![("q", "project from:me")], "user"),
            (vec![("q", "project from:agent")], "assistant"),
            (vec![("q", "project"), ("from", "agent")], "assistant"),
        ] {
            let found = search(&app, &query).await;
            assert_eq!(found.len(), 10, "{query:?}");
            assert!(found.iter().all(|r| r["role"] == role), "{query:?}: {found:?}");
        }
        // Dates: everything here was written today (UTC).
        let today = chrono::Utc::now().date_naive();
        let tomorrow = (today + chrono::Days::new(1)).to_string();
        assert!(search(&app, &[("q", &format!("zeppelin before:{today}"))]).await.is_empty());
        assert_eq!(search(&app, &[("q", &format!("zeppelin after:{today}"))]).await.len(), 3);
        assert_eq!(search(&app, &[("q", "zeppelin"), ("before", &tomorrow)]).await.len(), 3);
        assert!(search(&app, &[("q", "zeppelin"), ("after", &tomorrow)]).await.is_empty());
        // Filters leave titles out: a title is not a message of someone.
        assert!(search(&app, &[("q", "shed from:me")]).await.is_empty());

        // A filter parameter that cannot be read is a 400 naming it; in the text it is words.
        for (param, value) in [("from", "everyone"), ("before", "yesterday"), ("after", "2026-13-01")] {
            let r = app.client.get(app.url("/v1/chats/search")).query(&[("q", "project"), (param, value)]).send().await.unwrap();
            assert_eq!(r.status(), 422, "{param}={value}");
            assert_eq!(error_of(r).await.2.as_deref(), Some(param));
        }
        assert_eq!(search(&app, &[("q", "project before:yesterday")]).await.len(), 10);
    }
}
