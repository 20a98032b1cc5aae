//! A turn's answer: the agent and the chat's history, the run's bounds, then the recall agent
//! (no model) or the model's tool loop.

use std::time::Duration;

use super::super::agents::Agent;
use super::super::options::RunOptions;
use super::super::recall;
use super::super::runs::Run;
use super::super::tools::ToolEnv;
use super::model_loop::{wait_for_stop, Bounds, ModelCall};
use super::progress::Progress;
use super::{AgentRunner, Outcome};
use crate::model::{Chat, Role, RunEvent, User};
use crate::server::chats::MessageQuery;
use crate::validation::DEFAULT_AGENT;

/// Stored messages fed to the model at most (before the character budget trims them).
const HISTORY_LIMIT: i64 = 200;
/// Characters that may arrive per token of `max_tokens` before the reply is cut: generous,
/// so a model that honours `max_tokens` is never cut by our count, only one that ignores it.
const CUT_CHARS_PER_TOKEN: usize = 6;

impl AgentRunner {
    /// Produces the answer into `progress`; says how it ended.
    pub(super) async fn answer(
        &self,
        user: &User,
        chat: &Chat,
        run: &Run,
        options: &RunOptions,
        progress: &mut Progress,
    ) -> Outcome {
        let agent = self
            .catalog
            .get(&chat.agent)
            .unwrap_or(&self.catalog.all()[0])
            .clone();
        let query = MessageQuery {
            latest: true,
            limit: Some(HISTORY_LIMIT),
            ..MessageQuery::default()
        };
        let history = match self.chats.list_messages(user.id, chat.id, &query).await {
            Ok(page) => page.data,
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        let Some(question) = history.iter().rev().find(|m| m.role == Role::User) else {
            return Outcome::Failed("There is no message to answer yet.".into());
        };
        let env = ToolEnv {
            search: &self.search,
            user_memory: &self.user_memory,
            user,
            chat_id: chat.id,
            answering: Some(question.id),
        };
        let limits = self.registry.limits();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(limits.run_timeout_secs);
        let max_tokens = options
            .max_tokens
            .map_or(limits.max_reply_tokens, |m| m.min(limits.max_reply_tokens));
        let max_chars = max_tokens as usize * CUT_CHARS_PER_TOKEN;
        let mut bounds = Bounds {
            stop: run.stop_signal(),
            deadline,
            max_chars,
        };
        match &self.llm {
            None if agent.id == DEFAULT_AGENT => {
                let (answer, steps) = tokio::select! {
                    answered = recall::answer(&env, &question.content) => answered,
                    _ = tokio::time::sleep_until(bounds.deadline) => return Outcome::Cut,
                    _ = wait_for_stop(&mut bounds.stop) => return Outcome::Stopped,
                };
                for step in steps {
                    run.emit(RunEvent::Step { step: step.clone() });
                    progress.steps.push(step);
                }
                progress.recall = true;
                // Streamed in pieces like a model's answer, so both modes look the same.
                for piece in answer.split_inclusive(' ') {
                    if *bounds.stop.borrow() {
                        return Outcome::Stopped;
                    }
                    progress.text.push_str(piece);
                    run.emit(RunEvent::Delta {
                        text: piece.to_string(),
                    });
                }
                Outcome::Done
            }
            None => Outcome::Failed(format!(
                "The agent {} needs a language model; set MARUNTIME_LLM_BASE_URL to connect one.",
                agent.name
            )),
            Some(llm) => {
                let mut call = ModelCall {
                    llm,
                    agent: &agent,
                    env: &env,
                    run,
                    bounds: &mut bounds,
                    options,
                };
                call.run(self, user, &history, progress).await
            }
        }
    }

    /// The agent's instructions, then who the user is and their profile (`user.md`).
    pub(super) async fn system_prompt(&self, agent: &Agent, user: &User) -> String {
        let profile = self
            .user_memory
            .get_user_profile(user.id)
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        format!(
            "{}\n\nThe user's display name is {}. Their profile (user.md):\n\n{}",
            agent.system_prompt, user.display_name, profile
        )
    }
}
