//! The agent runtime: agents, the OpenAI-compatible model client, tools, the recall agent
//! that works without a model, and the runner that ties them together.

pub mod agents;
pub mod llm;
pub mod recall;
pub mod runner;
mod sse;
pub mod tools;

pub use agents::AgentCatalog;
pub use llm::LlmClient;
pub use runner::AgentRunner;
