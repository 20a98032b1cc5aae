//! Two jobs before the crate compiles:
//! - Rebuilds it when a migration is added or changed: `sqlx::migrate!` embeds the migration
//!   files at compile time, and cargo does not watch that folder by itself.
//! - The parts of the site (src/page_bundle.rs) are declared once, as the `page-<part>`
//!   features in Cargo.toml's `[features]`; everything else is derived from that list. This
//!   sets `carries_<part>` for each part this build shows (every part, unless a `page-*`
//!   feature picks one), so a part's browser bundle holds no other part's code, and
//!   writes `$OUT_DIR/page_parts.rs` (the list and the part built alone, for
//!   src/page_bundle.rs) and `$OUT_DIR/carried_routes.rs` (the routes expression src/app.rs
//!   includes: each carried part's `<part>_routes()`). `scripts/build-page-bundles.sh` reads the same features.
use std::fmt::Write as _;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    link_server_compactly();
    println!("cargo:rerun-if-changed=Cargo.toml");
    let manifest = std::fs::read_to_string("Cargo.toml").expect("Cargo.toml is readable");
    let parts = page_parts(&manifest);
    assert!(!parts.is_empty(), "Cargo.toml declares no page-* feature");

    let feature = |part: &str| format!("CARGO_FEATURE_PAGE_{}", part.to_uppercase());
    let alone: Vec<&str> = parts
        .iter()
        .map(String::as_str)
        .filter(|part| std::env::var_os(feature(part)).is_some())
        .collect();
    assert!(
        alone.len() <= 1,
        "one page-* feature at a time: a bundle is for one part of the site"
    );
    assert!(
        alone.is_empty() || std::env::var_os("CARGO_FEATURE_SSR").is_none(),
        "the page-* features choose a browser bundle's pages; the server carries all"
    );

    // Set by cargo-leptos in development builds (component types erased).
    println!("cargo::rustc-check-cfg=cfg(erase_components)");
    for part in &parts {
        println!("cargo::rustc-check-cfg=cfg(carries_{part})");
        if alone.is_empty() || alone.contains(&part.as_str()) {
            println!("cargo::rustc-cfg=carries_{part}");
        }
    }

    let mut out = String::from("// Written by build.rs from Cargo.toml's page-* features.\n");
    let quoted: Vec<String> = parts.iter().map(|p| format!("{p:?}")).collect();
    writeln!(
        out,
        "pub const DECLARED_PARTS: [&str; {}] = [{}];",
        parts.len(),
        quoted.join(", ")
    )
    .unwrap();
    writeln!(
        out,
        "pub const BUILT_ALONE_NAME: Option<&str> = {};",
        alone
            .first()
            .map_or("None".into(), |p| format!("Some({p:?})"))
    )
    .unwrap();
    let carried: Vec<String> = match alone.first() {
        Some(part) => vec![format!("{part}_routes()")],
        None => parts.iter().map(|p| format!("{p}_routes()")).collect(),
    };
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    // One part's routes alone, several as a tuple (both are nested routes to the router).
    let routes = match carried.as_slice() {
        [one] => one.clone(),
        all => format!("({})", all.join(", ")),
    };
    std::fs::write(out_dir.join("carried_routes.rs"), routes).expect("OUT_DIR is writable");
    std::fs::write(out_dir.join("page_parts.rs"), out).expect("OUT_DIR is writable");
}

/// The `<part>` of each `page-<part> = ...` line in the manifest's `[features]` table, in order.
fn page_parts(manifest: &str) -> Vec<String> {
    let mut in_features = false;
    let mut parts = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_features = line == "[features]";
        } else if in_features {
            if let Some(name) = line
                .strip_prefix("page-")
                .and_then(|rest| rest.split('=').next())
            {
                let name = name.trim();
                assert!(
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase()),
                    "page-{name}: a part's name is lowercase letters"
                );
                parts.push(name.to_string());
            }
        }
    }
    parts
}

/// The server's relative relocations packed (DT_RELR, glibc 2.36 and later): a position-
/// independent binary otherwise carries 24 bytes per pointer in its read-only data (1.2 MB
/// here), all of which the loader reads at every start and which then stays in memory, to
/// rewrite 0.8 MB of pointers. Packed, the same list is a few kilobytes; the binary stays
/// position-independent (its address still randomised). Only programs on Linux are linked:
/// the browser's WASM has no such relocations.
fn link_server_compactly() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo::rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
