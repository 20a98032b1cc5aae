//! Agents: the built-in `memory-agent`, and more from the TOML file `MARUNTIME_AGENTS_FILE`.

use serde::Deserialize;

use crate::validation::DEFAULT_AGENT;

/// Tools an agent may be given.
pub const KNOWN_TOOLS: [&str; 2] = ["chat_history_search", "update_user_preferences"];

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub system_prompt: String,
    #[serde(default)]
    pub tools: Vec<String>,
    /// Model calls allowed before a final answer is asked for without tools.
    #[serde(default = "default_steps")]
    pub max_steps: usize,
}

fn default_steps() -> usize {
    4
}

/// The agents this server offers; the first is `memory-agent`.
#[derive(Debug, Clone)]
pub struct AgentCatalog {
    agents: Vec<Agent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentsFile {
    #[serde(default)]
    agent: Vec<Agent>,
}

impl AgentCatalog {
    pub fn built_in() -> Self {
        AgentCatalog {
            agents: vec![memory_agent()],
        }
    }

    /// The built-in agents plus those of `text` (the agents file); an error names the line.
    pub fn with_file(text: &str) -> Result<Self, String> {
        let file: AgentsFile = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start].lines().count().max(1))
                .unwrap_or(1);
            format!("line {line}: {}", e.message())
        })?;
        let mut catalog = Self::built_in();
        for agent in file.agent {
            let problem = if agent.id.trim().is_empty()
                || !agent
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                Some("id must be letters, digits, '-' or '_'".to_string())
            } else if catalog.get(&agent.id).is_some() {
                Some(format!("agent id {} is defined twice", agent.id))
            } else if let Some(t) = agent
                .tools
                .iter()
                .find(|t| !KNOWN_TOOLS.contains(&t.as_str()))
            {
                Some(format!(
                    "unknown tool {t} (known: {})",
                    KNOWN_TOOLS.join(", ")
                ))
            } else if agent.max_steps == 0 || agent.max_steps > 20 {
                Some("max_steps must be between 1 and 20".into())
            } else {
                None
            };
            if let Some(problem) = problem {
                let line = text
                    .lines()
                    .position(|l| l.contains(&format!("\"{}\"", agent.id)))
                    .map_or(1, |i| i + 1);
                return Err(format!("line {line}: agent {}: {problem}", agent.id));
            }
            catalog.agents.push(agent);
        }
        Ok(catalog)
    }

    pub fn get(&self, id: &str) -> Option<&Agent> {
        self.agents.iter().find(|a| a.id == id)
    }

    pub fn all(&self) -> &[Agent] {
        &self.agents
    }

    pub fn ids(&self) -> Vec<String> {
        self.agents.iter().map(|a| a.id.clone()).collect()
    }
}

fn memory_agent() -> Agent {
    Agent {
        id: DEFAULT_AGENT.into(),
        name: "Memory Agent".into(),
        description: "A helpful assistant that remembers your earlier chats and your profile."
            .into(),
        system_prompt: "You are Memory Agent, a helpful assistant with a memory. \
            Address the user by their display name. \
            When the user refers to something from an earlier conversation (\"what did we say about...\", \
            \"last time\", \"remember when\"), call the chat_history_search tool before answering, \
            and cite the chat title and date of what you found. \
            When the user states a lasting preference about how you should answer, call \
            update_user_preferences with one short line. Answer in the user's language."
            .into(),
        tools: KNOWN_TOOLS.iter().map(|t| t.to_string()).collect(),
        max_steps: 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_agent_is_memory_agent() {
        let c = AgentCatalog::built_in();
        assert_eq!(c.ids(), vec!["memory-agent"]);
        assert_eq!(c.get("memory-agent").unwrap().tools.len(), 2);
    }

    #[test]
    fn an_agents_file_adds_agents() {
        let c = AgentCatalog::with_file(
            "[[agent]]\nid = \"poet\"\nname = \"Poet\"\nsystem_prompt = \"Rhyme.\"\nmax_steps = 2\n",
        )
        .unwrap();
        assert_eq!(c.ids(), vec!["memory-agent", "poet"]);
        assert!(c.get("poet").unwrap().tools.is_empty());
    }

    #[test]
    fn a_bad_agents_file_names_the_line() {
        let err = AgentCatalog::with_file("[[agent]]\nid = \"x\"\nname = 5\n").unwrap_err();
        assert!(err.starts_with("line 3:"), "{err}");
        let err = AgentCatalog::with_file(
            "[[agent]]\nid = \"x\"\nname = \"X\"\nsystem_prompt = \"s\"\ntools = [\"rm_rf\"]\n",
        )
        .unwrap_err();
        assert!(err.contains("unknown tool rm_rf"), "{err}");
        assert!(err.starts_with("line 2:"), "{err}");
    }
}
