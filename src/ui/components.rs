//! Reusable pieces of the UI.

pub mod field;
pub mod password_field;
pub mod require_login;
pub mod site_header;
