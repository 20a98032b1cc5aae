//! How server functions' answers travel: JSON, read in the browser as text.
//!
//! leptos's own `Json` output reads a response with `serde_json::from_slice`, while the data
//! a server-rendered page hands to the browser is read with `from_str`. Every answer type then
//! had two copies of its JSON reader in the WASM (31 KB). Reading answers as text too leaves
//! one. On the wire nothing changes: the same `application/json` body.

use leptos::server_fn::codec::Post;
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::{de::DeserializeOwned, Serialize};

/// JSON, read as UTF-8 text.
pub struct JsonTextEncoding;

impl ContentType for JsonTextEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonTextEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonTextEncoding {
    type Error = serde_json::Error;

    fn encode(value: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(value).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonTextEncoding {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(serde::de::Error::custom)?;
        serde_json::from_str(text)
    }
}

/// A server function's answer as JSON text (its arguments stay a URL-encoded form post, so
/// the forms work before the WASM has loaded).
pub type JsonText = Post<JsonTextEncoding>;
