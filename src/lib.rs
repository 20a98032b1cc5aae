//! maruntime: a self-hosted, multi-user AI chat runtime.
//!
//! The crate builds twice: with `ssr` as the server (everything under [`server`]) and with
//! `hydrate` as the WASM that makes server-rendered pages interactive. Code outside
//! [`server`] is shared by both.

// Leptos view types nest deeply; the release WASM build needs more room than the default.
#![recursion_limit = "512"]

pub mod api;
pub mod app;
pub mod error;
pub mod login_paths;
pub mod model;
pub mod ui;
pub mod validation;

#[cfg(feature = "ssr")]
pub mod server;

/// The browser entry point: attaches to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
