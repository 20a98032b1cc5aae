//! Reusable pieces of the UI.

pub mod chat_header;
pub mod chat_list_item;
pub mod chat_search;
pub mod chat_sidebar;
pub mod composer;
pub mod copy_field;
pub mod field;
pub mod markdown;
pub mod message_list;
pub mod password_field;
pub mod require_login;
pub mod server_form;
pub mod site_header;
pub mod user_menu;
