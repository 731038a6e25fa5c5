//! The few fields of a Lambda HTTP event the receiver reads, taken in the one
//! pass the runtime makes over the event's JSON.
//!
//! Every payload shape is read by one type: API Gateway REST (v1) and HTTP
//! API (v2), Function URLs, ALB, WebSocket and VPC Lattice. Everything else
//! in the event (request context, query strings, path) is skipped unparsed,
//! which is most of what an event costs to read. Reading never fails on
//! JSON that `serde_json` reads as a value (it refuses numbers beyond `f64`'s
//! range, which no Lambda event holds): a field of the wrong type marks the
//! event malformed, to be answered `400` rather than failing the invocation
//! (which API Gateway turns into a `502` and the sender into retries).

use std::borrow::Cow;
use std::fmt;

use http::{HeaderMap, HeaderName, HeaderValue};
use lambda_http::request::RequestOrigin;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// One Lambda event, as far as an HTTP receiver needs it. Its `Debug` shows
/// header names and the body's length, never values or the body.
#[derive(Default)]
pub struct HttpEvent {
    /// `version` is "2.0": HTTP API, Function URL or VPC Lattice v2.
    version_2: bool,
    /// `httpMethod` (REST, ALB).
    http_method: Option<String>,
    /// `method` (VPC Lattice v2).
    method: Option<String>,
    /// `requestContext.http.method` (HTTP API, Function URL).
    context_method: Option<String>,
    /// `requestContext.requestId`.
    request_id: Option<String>,
    /// `requestContext.elb` is present: an ALB event.
    from_alb: bool,
    /// `requestContext.connectionId` is present: a WebSocket event.
    from_websocket: bool,
    /// `headers`: one value per name, or a list (VPC Lattice).
    headers: HeaderMap,
    /// `multiValueHeaders` (REST, ALB): every copy of each header.
    multi_value_headers: HeaderMap,
    /// `path` (REST, ALB, VPC Lattice).
    path: Option<String>,
    /// `rawPath` (HTTP API, Function URL), undecoded, the stage included.
    raw_path: Option<String>,
    /// `requestContext.identity.sourceIp` (REST) or
    /// `requestContext.http.sourceIp` (HTTP API, Function URL).
    source_ip: Option<String>,
    /// `body`, as text.
    pub(super) body: Option<String>,
    /// `isBase64Encoded`.
    pub(super) is_base64_encoded: bool,
    /// A field had the wrong type, a header could not be an HTTP header, a
    /// field came twice, or the event was not a JSON object.
    pub(super) malformed: bool,
}

impl HttpEvent {
    /// Which service sent the event, which decides the response's shape.
    pub fn origin(&self) -> RequestOrigin {
        if self.from_alb {
            RequestOrigin::Alb
        } else if self.version_2 {
            if self.context_method.is_none() && self.method.is_some() {
                RequestOrigin::VpcLatticeV2
            } else {
                RequestOrigin::ApiGatewayV2
            }
        } else if self.from_websocket && self.http_method.is_none() {
            RequestOrigin::WebSocket
        } else {
            RequestOrigin::ApiGatewayV1
        }
    }

    /// The request method, from where the event's origin puts it.
    pub fn method(&self) -> Option<&str> {
        match self.origin() {
            RequestOrigin::ApiGatewayV2 => self.context_method.as_deref(),
            RequestOrigin::VpcLatticeV2 => self.method.as_deref(),
            _ => self.http_method.as_deref(),
        }
    }

    /// API Gateway's request id, when the event has a non-empty one.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref().filter(|id| !id.is_empty())
    }

    /// The request path: `rawPath` in a 2.0 event, `path` otherwise.
    pub fn take_path(&mut self) -> Option<String> {
        match self.origin() {
            RequestOrigin::ApiGatewayV2 => self.raw_path.take(),
            _ => self.path.take(),
        }
    }

    /// The sender's address as AWS recorded it: API Gateway's or the
    /// Function URL's `sourceIp`; behind an ALB, the entry the ALB appended
    /// to `X-Forwarded-For` (the last one: earlier ones are the client's
    /// word). `None` when there is none or it is not an address, and when
    /// the event holds more than one `X-Forwarded-For` header: which copy the
    /// ALB appended to is then not something the event records.
    pub fn sender(&self, headers: &HeaderMap) -> Option<std::net::IpAddr> {
        if self.from_alb {
            let mut copies = headers.get_all("x-forwarded-for").iter();
            let (only, None) = (copies.next()?, copies.next()) else {
                return None;
            };
            return only.to_str().ok()?.rsplit(',').next()?.trim().parse().ok();
        }
        self.source_ip.as_deref()?.trim().parse().ok()
    }

    /// Every header, every copy: `multiValueHeaders` where it names a header,
    /// else `headers` (REST and ALB events carry both, the single-valued map
    /// holding only the last copy).
    pub fn take_headers(&mut self) -> HeaderMap {
        let mut merged = std::mem::take(&mut self.multi_value_headers);
        let single = std::mem::take(&mut self.headers);
        if merged.is_empty() {
            return single;
        }
        let (mut current, mut keep) = (None, false);
        // Consecutive entries share a name; `None` repeats the previous one.
        for (name, value) in single {
            if let Some(name) = name {
                keep = !merged.contains_key(&name);
                current = Some(name);
            }
            if let (true, Some(name)) = (keep, &current) {
                merged.append(name.clone(), value);
            }
        }
        merged
    }
}

impl fmt::Debug for HttpEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn names(map: &HeaderMap) -> Vec<&str> {
            map.keys().map(HeaderName::as_str).collect()
        }
        f.debug_struct("HttpEvent")
            .field("origin", &self.origin())
            .field("method", &self.method())
            .field("request_id", &self.request_id)
            .field("headers", &names(&self.headers))
            .field("multi_value_headers", &names(&self.multi_value_headers))
            .field("body_len", &self.body.as_ref().map(String::len))
            .field("is_base64_encoded", &self.is_base64_encoded)
            .field("malformed", &self.malformed)
            .finish()
    }
}

impl<'de> de::Deserialize<'de> for HttpEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut event = HttpEvent::default();
        let ok = Object(EventFields(&mut event)).deserialize(deserializer)?;
        event.malformed |= !ok;
        Ok(event)
    }
}

/// Reads the entries of a JSON object; `true` if they were all as expected.
trait ObjectReader<'de> {
    fn read<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error>;
}

/// A JSON object read by `R`. `null` reads as an empty object; any other
/// value is skipped and reported as unexpected (`false`).
struct Object<R>(R);

impl<'de, R: ObjectReader<'de>> DeserializeSeed<'de> for Object<R> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// The visitor methods for values a field does not expect: skipped, `false`.
macro_rules! unexpected_scalars {
    ($($method:ident($($arg:ty)?)),*) => {
        $(fn $method<E>(self $(, _: $arg)?) -> Result<bool, E> {
            Ok(false)
        })*
    };
}

impl<'de, R: ObjectReader<'de>> Visitor<'de> for Object<R> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        self.0.read(map)
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(true)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<bool, A::Error> {
        skip_seq(seq).map(|()| false)
    }
    unexpected_scalars!(
        visit_bool(bool),
        visit_i64(i64),
        visit_u64(u64),
        visit_f64(f64),
        visit_str(&str)
    );
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// The top-level fields read; every other is skipped.
const FIELDS: [&str; 10] = [
    "version",
    "httpMethod",
    "method",
    "path",
    "rawPath",
    "body",
    "isBase64Encoded",
    "headers",
    "multiValueHeaders",
    "requestContext",
];

/// The event's top level.
struct EventFields<'a>(&'a mut HttpEvent);

impl<'de> ObjectReader<'de> for EventFields<'_> {
    fn read<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let event = self.0;
        let (mut ok, mut seen) = (true, [false; FIELDS.len()]);
        while let Some(key) = map.next_key::<Text<'de>>()? {
            let Some(index) = FIELDS.iter().position(|field| *field == key.0) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            // A field given twice is ambiguous: which copy would API Gateway mean?
            ok &= !std::mem::replace(&mut seen[index], true);
            ok &= match FIELDS[index] {
                "version" => match map.next_value()? {
                    Loose::Text(version) => {
                        event.version_2 = version == "2.0";
                        true
                    }
                    Loose::Null => true,
                    _ => false,
                },
                "httpMethod" => set_text(&mut event.http_method, map.next_value()?),
                "method" => set_text(&mut event.method, map.next_value()?),
                "path" => set_text(&mut event.path, map.next_value()?),
                "rawPath" => set_text(&mut event.raw_path, map.next_value()?),
                "body" => set_text(&mut event.body, map.next_value()?),
                "isBase64Encoded" => match map.next_value()? {
                    Loose::Bool(flag) => {
                        event.is_base64_encoded = flag;
                        true
                    }
                    Loose::Null => true,
                    _ => false,
                },
                "headers" => map.next_value_seed(Object(Headers(&mut event.headers)))?,
                "multiValueHeaders" => {
                    map.next_value_seed(Object(Headers(&mut event.multi_value_headers)))?
                }
                _ => map.next_value_seed(Object(ContextFields(&mut *event)))?,
            };
        }
        Ok(ok)
    }
}

/// `requestContext`: the request id, the HTTP API method, and the marks of
/// an ALB or WebSocket event.
struct ContextFields<'a>(&'a mut HttpEvent);

impl<'de> ObjectReader<'de> for ContextFields<'_> {
    fn read<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let event = self.0;
        let mut ok = true;
        while let Some(key) = map.next_key::<Text<'de>>()? {
            match &*key.0 {
                "requestId" => ok &= set_text(&mut event.request_id, map.next_value()?),
                "http" => ok &= map.next_value_seed(Object(HttpFields(&mut *event)))?,
                "identity" => ok &= map.next_value_seed(Object(IdentityFields(&mut *event)))?,
                "elb" => {
                    event.from_alb = true;
                    map.next_value::<IgnoredAny>()?;
                }
                "connectionId" => {
                    event.from_websocket = true;
                    map.next_value::<IgnoredAny>()?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(ok)
    }
}

/// `requestContext.http` (HTTP API, Function URL): the method and sender.
struct HttpFields<'a>(&'a mut HttpEvent);

impl<'de> ObjectReader<'de> for HttpFields<'_> {
    fn read<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut ok = true;
        while let Some(key) = map.next_key::<Text<'de>>()? {
            match &*key.0 {
                "method" => ok &= set_text(&mut self.0.context_method, map.next_value()?),
                "sourceIp" => ok &= set_text(&mut self.0.source_ip, map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(ok)
    }
}

/// `requestContext.identity` (REST, HTTP API payload 1.0): the sender.
struct IdentityFields<'a>(&'a mut HttpEvent);

impl<'de> ObjectReader<'de> for IdentityFields<'_> {
    fn read<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut ok = true;
        while let Some(key) = map.next_key::<Text<'de>>()? {
            if key.0 == "sourceIp" {
                ok &= set_text(&mut self.0.source_ip, map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(ok)
    }
}

/// A header map: each name to a value, or to a list of values.
struct Headers<'a>(&'a mut HeaderMap);

impl<'de> ObjectReader<'de> for Headers<'_> {
    fn read<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut ok = true;
        while let Some(name) = map.next_key::<Text<'de>>()? {
            match HeaderName::from_bytes(name.0.as_bytes()) {
                Ok(name) => ok &= map.next_value_seed(Values(&mut *self.0, name))?,
                Err(_) => {
                    map.next_value::<IgnoredAny>()?;
                    ok = false;
                }
            }
        }
        Ok(ok)
    }
}

/// One header's value, or list of values, appended under its name; `false`
/// if any is not a string that can be a header value.
struct Values<'a>(&'a mut HeaderMap, HeaderName);

impl Values<'_> {
    fn append(&mut self, value: &str) -> bool {
        HeaderValue::from_str(value)
            .map(|value| self.0.append(self.1.clone(), value))
            .is_ok()
    }
}

impl<'de> DeserializeSeed<'de> for Values<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Values<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a header value or a list of them")
    }
    fn visit_str<E>(mut self, value: &str) -> Result<bool, E> {
        Ok(self.append(value))
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<bool, A::Error> {
        let mut ok = true;
        while let Some(value) = seq.next_element::<Loose<'de>>()? {
            ok &= matches!(value, Loose::Text(value) if self.append(&value));
        }
        Ok(ok)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        skip_map(map).map(|()| false)
    }
    unexpected_scalars!(
        visit_unit(),
        visit_bool(bool),
        visit_i64(i64),
        visit_u64(u64),
        visit_f64(f64)
    );
}

/// Stores a string field; `null` leaves it unset. `false` for another type.
fn set_text(slot: &mut Option<String>, value: Loose<'_>) -> bool {
    match value {
        Loose::Text(text) => {
            *slot = Some(text.into_owned());
            true
        }
        Loose::Null => true,
        _ => false,
    }
}

/// An object key, borrowed from the event's JSON when it has no escapes.
struct Text<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Loose::deserialize(deserializer)? {
            Loose::Text(text) => Ok(Text(text)),
            // JSON object keys are always strings.
            _ => Err(de::Error::custom("object key is not a string")),
        }
    }
}

/// Any JSON value, kept only as far as a scalar field needs it; arrays and
/// objects are skipped without being built.
enum Loose<'de> {
    Null,
    Bool(bool),
    Text(Cow<'de, str>),
    Other,
}

impl<'de> de::Deserialize<'de> for Loose<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Loose<'de>, E> {
        Ok(Loose::Null)
    }
    fn visit_bool<E>(self, flag: bool) -> Result<Loose<'de>, E> {
        Ok(Loose::Bool(flag))
    }
    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Loose<'de>, E> {
        Ok(Loose::Text(Cow::Borrowed(text)))
    }
    fn visit_str<E>(self, text: &str) -> Result<Loose<'de>, E> {
        Ok(Loose::Text(Cow::Owned(text.to_owned())))
    }
    fn visit_string<E>(self, text: String) -> Result<Loose<'de>, E> {
        Ok(Loose::Text(Cow::Owned(text)))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Loose<'de>, E> {
        Ok(Loose::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Loose<'de>, E> {
        Ok(Loose::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Loose<'de>, E> {
        Ok(Loose::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Loose<'de>, A::Error> {
        skip_seq(seq).map(|()| Loose::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Loose<'de>, A::Error> {
        skip_map(map).map(|()| Loose::Other)
    }
}
