//! Components and pages. They reach the server only through [`crate::api`] server functions.

pub mod agent_run;
pub mod auth_context;
pub mod chat_list;
pub mod components;
pub mod pages;
