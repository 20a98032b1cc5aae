//! The agent runtime: agents, the OpenAI-compatible model client, tools, the recall agent
//! that works without a model, and the runner that ties them together.

pub mod agents;
mod history;
pub mod llm;
pub mod options;
pub mod recall;
pub mod runner;
pub mod runs;
pub mod shared_runs;
mod sse;
pub mod tools;
pub mod turn;

pub use agents::AgentCatalog;
pub use llm::LlmClient;
pub use options::{ClientTool, RunOptions};
pub use runner::AgentRunner;
pub use runs::{Run, RunRegistry};
pub use turn::{Turn, TurnInput, TurnRequest};
