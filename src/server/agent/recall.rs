//! The memory agent without a model: it searches the user's chats for the message, reads the
//! profile, and answers by name with the best matches (or says it found nothing).

use super::tools::{self, quote, speaker, ToolEnv};
use crate::model::{AgentStep, SearchResult, SearchScope};

/// How to connect a model, said at the end of every recall answer.
pub const CONNECT_HINT: &str = "_No language model is connected, so I can only search your chats. To connect one, set `MARUNTIME_LLM_BASE_URL` (and `MARUNTIME_LLM_MODEL`) and restart maruntime._";

/// Hits quoted from one chat at most: the answer shows several chats rather than one chat's
/// every mention.
const PER_CHAT: usize = 2;

/// The answer text and the steps taken.
pub async fn answer(env: &ToolEnv<'_>, question: &str) -> (String, Vec<AgentStep>) {
    let started = std::time::Instant::now();
    // More than are shown, so that a chat's extra hits can give way to other chats.
    let searched = tools::search(env, question, SearchScope::All, tools::MAX_RESULTS * 3)
        .await
        .map(best_per_chat);
    let step = AgentStep {
        tool: "chat_history_search".into(),
        arguments: serde_json::json!({"query": question, "scope": "all"}).to_string(),
        summary: match &searched {
            Ok(hits) => tools::search_summary(question, hits.len()),
            Err(e) => format!("Search failed: {e}"),
        },
        ok: searched.is_ok(),
        duration_ms: started.elapsed().as_millis() as u64,
    };
    let hits = searched.unwrap_or_default();
    let steps = vec![step];

    // The profile document is what the agent knows of the user; the name it gives wins.
    let profile = env
        .user_memory
        .get_user_profile(env.user.id)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let name = profile_name(&profile).unwrap_or(&env.user.display_name);
    let mut text = if hits.is_empty() {
        format!(
            "{name}, I looked through your earlier chats but found nothing about “{}”.",
            quote(question, 80)
        )
    } else {
        let mut t = format!("{name}, here is what I found in your earlier chats:\n");
        for hit in &hits {
            t.push_str(&format!(
                "\n- **{}** ({}), {} wrote: “{}” [Open the chat](/chat/{}?m={})",
                hit.chat_title.replace(['*', '[', ']'], ""),
                hit.created_at.format("%Y-%m-%d"),
                speaker(hit, env.user),
                hit.snippet.replace(['[', ']'], ""),
                hit.chat_id,
                hit.message_id,
            ));
        }
        t
    };
    text.push_str("\n\n");
    text.push_str(CONNECT_HINT);
    (text, steps)
}

/// The best hits, at most [`PER_CHAT`] of each chat, in their order.
fn best_per_chat(hits: Vec<SearchResult>) -> Vec<SearchResult> {
    let mut shown: Vec<SearchResult> = Vec::new();
    for hit in hits {
        if shown.len() as i64 == tools::MAX_RESULTS {
            break;
        }
        if shown.iter().filter(|h| h.chat_id == hit.chat_id).count() < PER_CHAT {
            shown.push(hit);
        }
    }
    shown
}

/// The display name recorded in a `user.md`.
fn profile_name(profile: &str) -> Option<&str> {
    profile
        .lines()
        .find_map(|l| l.strip_prefix("- **Display Name:** "))
        .map(str::trim)
        .filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_name_comes_from_the_profile() {
        let profile = "# User Profile\n\n## Identity\n- **Display Name:** Анна\n";
        assert_eq!(super::profile_name(profile), Some("Анна"));
        assert_eq!(super::profile_name(""), None);
    }
}
