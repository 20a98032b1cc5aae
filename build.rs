//! Two jobs before the crate compiles:
//! - Rebuilds it when a migration is added or changed: `sqlx::migrate!` embeds the migration
//!   files at compile time, and cargo does not watch that folder by itself.
//! - Sets `carries_<part>` for each part of the site this build shows (src/page_bundle.rs):
//!   every part (and `every_part`), unless a `page-<part>` feature picks one. Routes are compiled in or out by
//!   these, so a part's browser bundle holds no other part's code.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    let parts = ["public", "chat", "profile", "admin"];
    let feature = |part: &str| format!("CARGO_FEATURE_PAGE_{}", part.to_uppercase());
    let alone: Vec<&str> = parts
        .into_iter()
        .filter(|part| std::env::var_os(feature(part)).is_some())
        .collect();
    assert!(
        alone.len() <= 1,
        "one page-* feature at a time: a bundle is for one part of the site"
    );
    // Set by cargo-leptos in development builds (component types erased).
    println!("cargo::rustc-check-cfg=cfg(erase_components)");
    println!("cargo::rustc-check-cfg=cfg(every_part)");
    if alone.is_empty() {
        println!("cargo::rustc-cfg=every_part");
    }
    for part in parts {
        println!("cargo::rustc-check-cfg=cfg(carries_{part})");
        if alone.is_empty() || alone.contains(&part) {
            println!("cargo::rustc-cfg=carries_{part}");
        }
    }
}
