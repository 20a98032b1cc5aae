//! A release build's static files, answered from memory before any other layer runs.
//!
//! The built files (`/pkg`) and the public ones (the site root) of a release build never
//! change while it runs (their names carry their hashes, or they are copied once by the build),
//! so each is read once, the first time it is asked for, in the encoding asked for (the
//! brotli and gzip copies the build wrote beside it, or the plain file), and kept: an idle
//! server holds none of them, a busy one the few encodings its browsers take. Start-up only
//! lists them (names, sizes, times). A request for one is answered here: no file is opened
//! after its first answer, nothing is compressed, no session is looked up (a browser sends its
//! cookie with every `/pkg` request), and the whole answer leaves in one write. Anything else
//! goes on to the app. A development build (names without hashes, rebuilt while the server
//! runs) is served from disk by [`super::static_files`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::LeptosOptions;

struct StaticFile {
    plain: Variant,
    brotli: Option<Variant>,
    gzip: Option<Variant>,
    content_type: HeaderValue,
    cache_control: HeaderValue,
    etag: HeaderValue,
}

/// One encoding of a file: where it is, its size, and its bytes once first asked for.
struct Variant {
    path: PathBuf,
    len: u64,
    bytes: OnceLock<Bytes>,
}

impl Variant {
    fn at(path: PathBuf) -> std::io::Result<Variant> {
        let len = std::fs::metadata(&path)?.len();
        Ok(Variant {
            path,
            len,
            bytes: OnceLock::new(),
        })
    }

    /// Its bytes: read on a blocking thread the first time, then from memory. `None` when
    /// the file went away since start-up (the app's own file service answers then).
    async fn bytes(&self) -> Option<Bytes> {
        if let Some(bytes) = self.bytes.get() {
            return Some(bytes.clone());
        }
        let path = self.path.clone();
        let read = tokio::task::spawn_blocking(move || std::fs::read(path))
            .await
            .ok()?
            .ok()?;
        Some(self.bytes.get_or_init(|| Bytes::from(read)).clone())
    }
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

    async fn answer(&self, method: &Method, path: &str, headers: &HeaderMap) -> Option<Response> {
        if method != Method::GET && method != Method::HEAD {
            return None;
        }
        let file = self.0.get(path)?;
        let (variant, encoding) = match accepted(headers) {
            Accepted { brotli: true, .. } if file.brotli.is_some() => (file.brotli.as_ref()?, "br"),
            Accepted { gzip: true, .. } if file.gzip.is_some() => (file.gzip.as_ref()?, "gzip"),
            _ => (&file.plain, ""),
        };
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
        // A 304 and a HEAD need no bytes: nothing is read for them.
        let response = if fresh {
            response
                .status(StatusCode::NOT_MODIFIED)
                .body(Body::empty())
        } else if method == Method::HEAD {
            response
                .header(header::CONTENT_LENGTH, variant.len)
                .body(Body::empty())
        } else {
            let body = variant.bytes().await?;
            response
                .header(header::CONTENT_LENGTH, body.len())
                .body(Body::from(body))
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
    match files
        .answer(request.method(), request.uri().path(), request.headers())
        .await
    {
        Some(response) => response,
        None => next.run(request).await,
    }
}

/// Lists the files of `dir` (not its folders) under the URL prefix `prefix`, with the brotli
/// and gzip copies beside them; none is read.
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
        let sibling = |ext: &str| Variant::at(dir.join(format!("{name}.{ext}"))).ok();
        let metadata = std::fs::metadata(&path)?;
        // The file's size and time name its version: the build writes each file once, and
        // processes serving one site give the same tag.
        let modified = metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let etag = format!("\"{:x}-{modified:x}\"", metadata.len());
        let content_type = mime_guess::from_path(&path).first_or_octet_stream();
        files.insert(
            format!("{prefix}/{name}"),
            StaticFile {
                brotli: sibling("br"),
                gzip: sibling("gz"),
                plain: Variant::at(path.clone())?,
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

    #[tokio::test]
    async fn files_are_answered_from_memory_with_their_encodings() {
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

        // Listed, none read yet.
        assert!(files.0.values().all(|f| f.plain.bytes.get().is_none()));
        let get = |path: &'static str, accept: &'static str| {
            let files = files.clone();
            async move {
                files
                    .answer(&Method::GET, path, &headers(&[("accept-encoding", accept)]))
                    .await
                    .unwrap()
            }
        };
        let svg = get("/favicon.svg", "gzip, br").await;
        assert_eq!(svg.headers()["content-encoding"], "br");
        assert_eq!(svg.headers()["content-type"], "image/svg+xml");
        assert_eq!(svg.headers()["cache-control"], REVALIDATE);
        let wasm = get("/pkg/app.abc.wasm", "gzip, br").await;
        assert_eq!(
            wasm.headers()["content-encoding"],
            "gzip",
            "no .br beside it"
        );
        assert_eq!(wasm.headers()["content-type"], "application/wasm");
        assert_eq!(wasm.headers()["cache-control"], IMMUTABLE);
        assert_eq!(wasm.headers()["content-length"], "2");
        // Only the encodings asked for were read.
        let wasm_file = &files.0["/pkg/app.abc.wasm"];
        assert!(wasm_file.plain.bytes.get().is_none());
        assert!(wasm_file.gzip.as_ref().unwrap().bytes.get().is_some());
        let plain = get("/pkg/app.abc.wasm", "identity").await;
        assert!(plain.headers().get("content-encoding").is_none());
        assert_eq!(plain.headers()["content-length"], "4");
        let head = files
            .answer(&Method::HEAD, "/favicon.svg", &headers(&[]))
            .await
            .unwrap();
        assert_eq!(head.headers()["content-length"], "6");

        // Revalidation, other methods and unknown paths.
        let etag = svg.headers()["etag"].clone();
        let mut again = headers(&[("accept-encoding", "br")]);
        again.insert(header::IF_NONE_MATCH, etag);
        let not_modified = files
            .answer(&Method::GET, "/favicon.svg", &again)
            .await
            .unwrap();
        assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
        for (method, path) in [
            (Method::POST, "/favicon.svg"),
            (Method::GET, "/pkg/other.wasm"),
            (Method::GET, "/favicon.svg.br"),
        ] {
            assert!(
                files.answer(&method, path, &again).await.is_none(),
                "{path}"
            );
        }

        // A development build's files are not held in memory.
        options.hash_files = false;
        assert!(StaticFiles::load(&options).unwrap().is_empty());
    }
}
