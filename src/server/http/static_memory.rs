//! A release build's static files, answered from memory before any other layer runs.
//!
//! The built files (`/pkg`) and the public ones (the site root) of a release build never
//! change while it runs (their names carry their hashes, or they are copied once by the build),
//! so they are read once at start-up, with the brotli and gzip copies the build wrote beside
//! them. A request for one is answered here: no file is opened, nothing is compressed, no
//! session is looked up (a browser sends its cookie with every `/pkg` request), and the whole
//! answer leaves in one write. Anything else goes on to the app. A development build (names
//! without hashes, rebuilt while the server runs) is served from disk by [`super::static_files`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::LeptosOptions;
use sha2::{Digest, Sha256};

struct StaticFile {
    plain: Bytes,
    brotli: Option<Bytes>,
    gzip: Option<Bytes>,
    content_type: HeaderValue,
    cache_control: HeaderValue,
    etag: HeaderValue,
}

/// The files by URL path (`/favicon.svg`, `/pkg/maruntime.<hash>.wasm`).
#[derive(Clone, Default)]
pub struct StaticFiles(Arc<HashMap<String, StaticFile>>);

/// Hashed names change with their content: browsers may keep them for a year.
pub(super) const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Public files keep their names across builds: browsers ask again (and get 304).
pub(super) const REVALIDATE: &str = "no-cache";

impl StaticFiles {
    /// The site root's files and its package folder's, for a build with hashed names; none
    /// otherwise (those are served from disk).
    pub fn load(options: &LeptosOptions) -> std::io::Result<StaticFiles> {
        let mut files = HashMap::new();
        if options.hash_files {
            let root = Path::new(options.site_root.as_ref());
            read_dir(root, "", REVALIDATE, &mut files)?;
            let pkg = options.site_pkg_dir.as_ref();
            read_dir(&root.join(pkg), &format!("/{pkg}"), IMMUTABLE, &mut files)?;
        }
        Ok(StaticFiles(Arc::new(files)))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn answer(&self, method: &Method, path: &str, headers: &HeaderMap) -> Option<Response> {
        if method != Method::GET && method != Method::HEAD {
            return None;
        }
        let file = self.0.get(path)?;
        let (body, encoding) = match accepted(headers) {
            Accepted { brotli: true, .. } if file.brotli.is_some() => (file.brotli.clone(), "br"),
            Accepted { gzip: true, .. } if file.gzip.is_some() => (file.gzip.clone(), "gzip"),
            _ => (Some(file.plain.clone()), ""),
        };
        let body = body.unwrap_or_default();
        let fresh = headers
            .get(header::IF_NONE_MATCH)
            .is_some_and(|tags| tags.as_bytes() == file.etag.as_bytes());
        let mut response = Response::builder()
            .header(header::CONTENT_TYPE, file.content_type.clone())
            .header(header::CACHE_CONTROL, file.cache_control.clone())
            .header(header::ETAG, file.etag.clone())
            .header(header::VARY, "accept-encoding");
        if !encoding.is_empty() {
            response = response.header(header::CONTENT_ENCODING, encoding);
        }
        let response = if fresh {
            response
                .status(StatusCode::NOT_MODIFIED)
                .body(Body::empty())
        } else {
            response
                .header(header::CONTENT_LENGTH, body.len())
                .body(if method == Method::HEAD {
                    Body::empty()
                } else {
                    Body::from(body)
                })
        };
        response.ok()
    }
}

/// Middleware: a known static file is answered from memory; anything else goes on.
pub async fn serve_from_memory(
    State(files): State<StaticFiles>,
    request: Request,
    next: Next,
) -> Response {
    match files.answer(request.method(), request.uri().path(), request.headers()) {
        Some(response) => response,
        None => next.run(request).await,
    }
}

/// Reads the files of `dir` (not its folders) under the URL prefix `prefix`.
fn read_dir(
    dir: &Path,
    prefix: &str,
    cache_control: &'static str,
    files: &mut HashMap<String, StaticFile>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !path.is_file() || name.ends_with(".br") || name.ends_with(".gz") {
            continue;
        }
        let plain = Bytes::from(std::fs::read(&path)?);
        let sibling = |ext: &str| {
            std::fs::read(dir.join(format!("{name}.{ext}")))
                .ok()
                .map(Bytes::from)
        };
        let digest = Sha256::digest(&plain);
        let etag = format!("\"{}\"", hex::encode(&digest[..12]));
        let content_type = mime_guess::from_path(&path).first_or_octet_stream();
        files.insert(
            format!("{prefix}/{name}"),
            StaticFile {
                brotli: sibling("br"),
                gzip: sibling("gz"),
                plain,
                content_type: HeaderValue::from_str(content_type.as_ref())
                    .unwrap_or(HeaderValue::from_static("application/octet-stream")),
                cache_control: HeaderValue::from_static(cache_control),
                etag: HeaderValue::from_str(&etag).expect("hex is a valid header value"),
            },
        );
    }
    Ok(())
}

/// Which of our two encodings `Accept-Encoding` allows (`q=0` refuses one).
#[derive(Debug, Default, PartialEq)]
struct Accepted {
    brotli: bool,
    gzip: bool,
}

fn accepted(headers: &HeaderMap) -> Accepted {
    let mut accepted = Accepted::default();
    let Some(value) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return accepted;
    };
    for item in value.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if refused {
            continue;
        }
        match coding.to_ascii_lowercase().as_str() {
            "br" => accepted.brotli = true,
            "gzip" | "x-gzip" => accepted.gzip = true,
            "*" => {
                accepted.brotli = true;
                accepted.gzip = true;
            }
            _ => {}
        }
    }
    accepted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_encoding_follows_accept_encoding() {
        let both = Accepted {
            brotli: true,
            gzip: true,
        };
        assert_eq!(
            accepted(&headers(&[("accept-encoding", "gzip, deflate, br, zstd")])),
            both
        );
        assert_eq!(accepted(&headers(&[("accept-encoding", "*")])), both);
        assert_eq!(
            accepted(&headers(&[("accept-encoding", "br;q=0, gzip;q=0.5")])),
            Accepted {
                brotli: false,
                gzip: true
            }
        );
        assert_eq!(accepted(&headers(&[])), Accepted::default());
    }

    #[test]
    fn files_are_answered_from_memory_with_their_encodings() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(dir.path().join("favicon.svg"), "<svg/>").unwrap();
        std::fs::write(dir.path().join("favicon.svg.br"), "BR").unwrap();
        std::fs::write(pkg.join("app.abc.wasm"), "WASM").unwrap();
        std::fs::write(pkg.join("app.abc.wasm.gz"), "GZ").unwrap();
        let mut options = LeptosOptions::builder().output_name("app").build();
        options.site_root = dir.path().display().to_string().into();
        options.hash_files = true;
        let files = StaticFiles::load(&options).unwrap();
        assert_eq!(files.len(), 2);

        let get = |path: &str, accept: &'static str| {
            files
                .answer(&Method::GET, path, &headers(&[("accept-encoding", accept)]))
                .unwrap()
        };
        let svg = get("/favicon.svg", "gzip, br");
        assert_eq!(svg.headers()["content-encoding"], "br");
        assert_eq!(svg.headers()["content-type"], "image/svg+xml");
        assert_eq!(svg.headers()["cache-control"], REVALIDATE);
        let wasm = get("/pkg/app.abc.wasm", "gzip, br");
        assert_eq!(
            wasm.headers()["content-encoding"],
            "gzip",
            "no .br beside it"
        );
        assert_eq!(wasm.headers()["content-type"], "application/wasm");
        assert_eq!(wasm.headers()["cache-control"], IMMUTABLE);
        assert_eq!(wasm.headers()["content-length"], "2");
        let plain = get("/pkg/app.abc.wasm", "identity");
        assert!(plain.headers().get("content-encoding").is_none());
        assert_eq!(plain.headers()["content-length"], "4");

        // Revalidation, other methods and unknown paths.
        let etag = svg.headers()["etag"].clone();
        let mut again = headers(&[("accept-encoding", "br")]);
        again.insert(header::IF_NONE_MATCH, etag);
        let not_modified = files.answer(&Method::GET, "/favicon.svg", &again).unwrap();
        assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
        assert!(files
            .answer(&Method::POST, "/favicon.svg", &again)
            .is_none());
        assert!(files
            .answer(&Method::GET, "/pkg/other.wasm", &again)
            .is_none());
        assert!(files
            .answer(&Method::GET, "/favicon.svg.br", &again)
            .is_none());

        // A development build's files are not held in memory.
        options.hash_files = false;
        assert!(StaticFiles::load(&options).unwrap().is_empty());
    }
}
