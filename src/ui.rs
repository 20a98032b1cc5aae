//! Components and pages. They reach the server only through [`crate::api`] server functions.

pub mod auth_context;
pub mod chat_list;
pub mod components;
pub mod pages;
