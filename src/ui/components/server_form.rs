//! `<ServerForm>`: a form for a server function, as leptos's `ActionForm` but without serde_qs
//! in the browser.
//!
//! Before the page hydrates it posts to the server function's URL like any form. Once
//! hydrated, a submit reads the form's fields and dispatches the action. `ActionForm` reads them through serde_qs's query-string decoder,
//! about 35 KB of every form page's WASM; our forms are flat (text, optional text, a number),
//! which serde's own `MapDeserializer` reads with the value reader below.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::server_fn::codec::PostUrl;
use leptos::server_fn::{Http, ServerFn};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Unexpected, Visitor};

use crate::error::AppError;

#[component]
pub fn ServerForm<ServFn, OutputProtocol>(
    action: ServerAction<ServFn>,
    children: Children,
) -> impl IntoView
where
    ServFn: DeserializeOwned
        + ServerFn<Protocol = Http<PostUrl, OutputProtocol>, Error = AppError>
        + Clone
        + Send
        + Sync
        + 'static,
    ServFn::Output: Send + Sync + 'static,
    OutputProtocol: 'static,
{
    let on_submit = move |ev: SubmitEvent| {
        if ev.default_prevented() {
            return;
        }
        ev.prevent_default();
        match read_form(&ev).and_then(|fields| {
            ServFn::deserialize(de::value::MapDeserializer::new(fields.into_iter()))
                .map_err(|e| e.to_string())
        }) {
            Ok(input) => {
                action.dispatch(input);
            }
            Err(problem) => {
                leptos::logging::error!("the form does not fit its server function: {problem}");
                action.value().set(Some(Err(AppError::BadRequest(
                    "The form was incomplete or malformed.".into(),
                ))));
            }
        }
    };
    view! {
        <form action=ServFn::url() method="post" on:submit=on_submit>
            {children()}
        </form>
    }
}

/// The form's text fields in order, as the browser would post them. Left out: files (no server
/// form takes one) and the submitting button's name (none of ours has one).
fn read_form(ev: &SubmitEvent) -> Result<Vec<(String, FormValue)>, String> {
    use wasm_bindgen::JsCast;
    let form = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
        .ok_or("the submit came from no form")?;
    let data = web_sys::FormData::new_with_form(&form).map_err(|e| format!("{e:?}"))?;
    let mut fields = Vec::new();
    for entry in data.entries() {
        let pair: web_sys::js_sys::Array = entry.map_err(|e| format!("{e:?}"))?.unchecked_into();
        if let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
            fields.push((name, FormValue(value)));
        }
    }
    Ok(fields)
}

/// One field's text, read as the server function's argument asks: text, `Some(text)` where
/// the argument is optional (a field left out is `None`), or a number or yes/no written as
/// text.
struct FormValue(String);

impl<'de> IntoDeserializer<'de, de::value::Error> for FormValue {
    type Deserializer = FormValue;

    fn into_deserializer(self) -> FormValue {
        self
    }
}

impl FormValue {
    fn parsed<T: std::str::FromStr>(
        &self,
        expected: &dyn de::Expected,
    ) -> Result<T, de::value::Error> {
        self.0
            .trim()
            .parse()
            .map_err(|_| de::Error::invalid_value(Unexpected::Str(&self.0), expected))
    }
}

impl<'de> de::Deserializer<'de> for FormValue {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_string(self.0)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0.as_str() {
            "true" | "on" => visitor.visit_bool(true),
            "false" | "" => visitor.visit_bool(false),
            _ => Err(de::Error::invalid_value(Unexpected::Str(&self.0), &visitor)),
        }
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        let number = self.parsed(&visitor)?;
        visitor.visit_u64(number)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        let number = self.parsed(&visitor)?;
        visitor.visit_i64(number)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_i64(visitor)
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i128 u8 u16 u128 f32 f64 char str string bytes byte_buf unit unit_struct
        newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use serde::de::value::MapDeserializer;
    use serde::Deserialize;

    use super::FormValue;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Args {
        name: String,
        note: Option<String>,
        hours: Option<u32>,
        missing: Option<String>,
        agree: bool,
    }

    fn read<T: serde::de::DeserializeOwned>(fields: &[(&str, &str)]) -> Result<T, String> {
        let fields = fields
            .iter()
            .map(|(k, v)| (k.to_string(), FormValue(v.to_string())));
        T::deserialize(MapDeserializer::new(fields)).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_a_flat_form_as_the_server_function_asks() {
        let args: Args = read(&[
            ("name", "Ann"),
            ("note", ""),
            ("hours", " 168 "),
            ("agree", "on"),
            ("unknown", "ignored"),
        ])
        .unwrap();
        assert_eq!(
            args,
            Args {
                name: "Ann".into(),
                note: Some(String::new()),
                hours: Some(168),
                missing: None,
                agree: true,
            }
        );
    }

    #[test]
    fn a_field_that_does_not_fit_is_an_error() {
        let problem = read::<Args>(&[("name", "Ann"), ("hours", "a week"), ("agree", "on")]);
        assert!(problem.unwrap_err().contains("a week"));
        let missing = read::<Args>(&[("note", "x"), ("agree", "on")]);
        assert!(missing.unwrap_err().contains("name"));
    }
}
