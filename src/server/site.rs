//! Where the web UI's built files are, and the names pages will ask for. A release binary
//! finds them by itself, from any working directory: the `LEPTOS_*` settings when set (as
//! cargo-leptos passes them), else a `site` folder beside the binary or one level up
//! (`target/release/maruntime` finds `target/site`), with hashed names when the build's
//! `hash.txt` is beside the binary. A binary built by cargo-leptos refuses to start when
//! the files its pages would load are missing, rather than serving pages whose scripts 404
//! and never hydrate.

use std::path::{Path, PathBuf};

use leptos::prelude::LeptosOptions;

/// cargo-leptos sets this while compiling the server; plain `cargo build` (tests) does not,
/// and such a binary has no site of its own to check.
const BUILT_BY_CARGO_LEPTOS: bool = option_env!("LEPTOS_OUTPUT_NAME").is_some();

/// Leptos's settings, with the site found beside the binary where the environment is silent.
pub fn options() -> Result<LeptosOptions, String> {
    let mut options = match leptos::prelude::get_configuration(None) {
        Ok(conf) => conf.leptos_options,
        Err(_) => LeptosOptions::builder().output_name("maruntime").build(),
    };
    if options.output_name.is_empty() {
        options.output_name = "maruntime".into();
    }
    let beside = exe_dir();
    if std::env::var_os("LEPTOS_SITE_ROOT").is_none() {
        if let Some(root) = beside.as_deref().and_then(|dir| find_root(dir, &options)) {
            options.site_root = root.display().to_string().into();
        }
    }
    if std::env::var_os("LEPTOS_HASH_FILES").is_none() {
        options.hash_files = beside
            .as_deref()
            .is_some_and(|dir| dir.join(options.hash_file.as_ref()).is_file());
    }
    if BUILT_BY_CARGO_LEPTOS {
        check(&options, beside.as_deref())?;
        if std::env::var_os("LEPTOS_ENV").is_none() && !cfg!(debug_assertions) {
            options.env = leptos::config::Env::PROD;
        }
    }
    Ok(options)
}

fn exe_dir() -> Option<PathBuf> {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
}

/// `site` beside the binary, or one level up, holding the package folder.
fn find_root(exe_dir: &Path, options: &LeptosOptions) -> Option<PathBuf> {
    [exe_dir.join("site"), exe_dir.join("../site")]
        .into_iter()
        .find(|root| root.join(options.site_pkg_dir.as_ref()).is_dir())
}

/// The script, WASM and stylesheet the pages will reference must exist.
fn check(options: &LeptosOptions, exe_dir: Option<&Path>) -> Result<(), String> {
    let pkg = Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let name = options.output_name.as_ref();
    let files = if options.hash_files {
        let hash_file = exe_dir
            .map(|d| d.join(options.hash_file.as_ref()))
            .unwrap_or_else(|| PathBuf::from(options.hash_file.as_ref()));
        let hashes = std::fs::read_to_string(&hash_file).map_err(|e| {
            format!(
                "the web UI's file names are hashed (LEPTOS_HASH_FILES) but {} cannot be read ({e}); \
                 keep the build's hash.txt beside the binary",
                hash_file.display()
            )
        })?;
        let hash = |kind: &str| {
            hashes
                .lines()
                .find_map(|l| l.trim().strip_prefix(kind)?.strip_prefix(':'))
                .map(str::trim)
                .unwrap_or_default()
                .to_string()
        };
        vec![
            format!("{name}.{}.js", hash("js")),
            format!("{name}.{}.wasm", hash("wasm")),
            format!("{name}.{}.css", hash("css")),
        ]
    } else {
        vec![
            format!("{name}.js"),
            format!("{name}.wasm"),
            format!("{name}.css"),
        ]
    };
    match files.iter().find(|f| !pkg.join(f).is_file()) {
        None => Ok(()),
        Some(missing) => Err(format!(
            "the web UI's file {} is missing, so pages would never load their scripts; \
             run the binary beside its build's site folder (target/release finds target/site), \
             or set LEPTOS_SITE_ROOT to it{}",
            pkg.join(missing).display(),
            if options.hash_files {
                " (and keep the hash.txt of the same build beside the binary)"
            } else {
                ""
            }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(root: &Path, hashed: bool) -> LeptosOptions {
        let mut o = LeptosOptions::builder().output_name("maruntime").build();
        o.site_root = root.display().to_string().into();
        o.hash_files = hashed;
        o
    }

    #[test]
    fn missing_or_mismatched_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("site/pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        let bin = dir.path().join("release");
        std::fs::create_dir_all(&bin).unwrap();
        let site = dir.path().join("site");
        assert_eq!(
            find_root(&bin, &options(&site, false)),
            Some(bin.join("../site"))
        );
        let err = check(&options(&site, false), Some(&bin)).unwrap_err();
        assert!(err.contains("maruntime.js is missing"), "{err}");
        for f in ["maruntime.js", "maruntime.wasm", "maruntime.css"] {
            std::fs::write(pkg.join(f), "").unwrap();
        }
        check(&options(&site, false), Some(&bin)).unwrap();
        // Hashed names come from the build's hash.txt; another build's hashes do not match.
        let err = check(&options(&site, true), Some(&bin)).unwrap_err();
        assert!(err.contains("hash.txt"), "{err}");
        std::fs::write(bin.join("hash.txt"), "js: aa\nwasm: bb\ncss: cc\n").unwrap();
        let err = check(&options(&site, true), Some(&bin)).unwrap_err();
        assert!(err.contains("maruntime.aa.js is missing"), "{err}");
        for f in ["maruntime.aa.js", "maruntime.bb.wasm", "maruntime.cc.css"] {
            std::fs::write(pkg.join(f), "").unwrap();
        }
        check(&options(&site, true), Some(&bin)).unwrap();
    }
}
