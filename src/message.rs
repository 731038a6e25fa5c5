//! The SQS message an accepted event becomes: the contract downstream
//! consumers rely on (documented in the README).

use std::borrow::Cow;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::config::{GroupBy, QueueConfig, valid_sqs_id};

/// SQS's limit on one message, body and attributes together.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

/// Attribute names, part of the consumer contract.
pub mod attribute {
    /// The source's name (the scheme's name in a single-source deployment).
    pub const SOURCE: &str = "source";
    /// The provider's event id (`webhook-id`, `X-ActiGraph-Delivery`), when there is one.
    pub const EVENT_ID: &str = "event_id";
    /// When the receiver accepted the request, RFC 3339 UTC.
    pub const RECEIVED_AT: &str = "received_at";
    /// Lower-case hex SHA-256 of the request body as received.
    pub const BODY_SHA256: &str = "body_sha256";
    /// The API Gateway (or Lambda) request id, for tracing a message to its request.
    pub const REQUEST_ID: &str = "request_id";
}

/// How far a request's authentication covers its event id: what decides
/// whether the id may deduplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdTrust {
    /// No id, or one the signature does not cover (`X-ActiGraph-Delivery`
    /// under ActiGraph's HMAC): only the sender's claim, so a captured
    /// request replayed with fresh ids must still deduplicate as one.
    #[default]
    Claimed,
    /// Sent with a credential that authenticates the request but signs
    /// nothing (Basic, bearer, OAuth2): whoever holds the credential can pair
    /// the id with any body, so the id deduplicates only together with it.
    Credentialed,
    /// Signed together with the body (Standard Webhooks).
    Signed,
}

/// Facts about the accepted request that travel with the body.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    /// Source name.
    pub source: &'a str,
    /// Provider event id, when the scheme has one.
    pub event_id: Option<&'a str>,
    /// How far the event id is authenticated: what it may deduplicate.
    pub id_trust: IdTrust,
    /// RFC 3339 time of acceptance.
    pub received_at: String,
    /// Request id from API Gateway or Lambda.
    pub request_id: Option<&'a str>,
}

/// One message ready to send: what the SQS adapter turns into `SendMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundMessage {
    /// The queue it goes to: its source's.
    pub queue_url: Arc<str>,
    /// The verified body, verbatim but for the two characters SQS refuses.
    pub body: String,
    /// String attributes, in contract order.
    pub attributes: Vec<(&'static str, String)>,
    /// FIFO only.
    pub group_id: Option<String>,
    /// FIFO only: see [`deduplication_id`].
    pub deduplication_id: Option<String>,
}

/// The body and attributes together exceed [`MAX_MESSAGE_BYTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("message exceeds the SQS size limit")]
pub struct TooLarge;

impl OutboundMessage {
    /// Builds the message for a verified JSON `body`, which it keeps (moved,
    /// not copied, unless it needs escaping).
    pub fn build(
        body: String,
        envelope: &Envelope<'_>,
        queue: &QueueConfig,
    ) -> Result<Self, TooLarge> {
        let digest = sha256_hex(body.as_bytes());
        let mut attributes = vec![(attribute::SOURCE, envelope.source.to_owned())];
        if let Some(id) = envelope.event_id {
            attributes.push((attribute::EVENT_ID, id.to_owned()));
        }
        attributes.push((attribute::RECEIVED_AT, envelope.received_at.clone()));
        attributes.push((attribute::BODY_SHA256, digest.clone()));
        if let Some(id) = envelope.request_id.filter(|id| !id.is_empty()) {
            attributes.push((attribute::REQUEST_ID, id.to_owned()));
        }
        let body = match sqs_safe(&body) {
            Cow::Borrowed(_) => body,
            Cow::Owned(escaped) => escaped,
        };
        let (group_id, deduplication_id) = if queue.fifo {
            let signed_id = envelope
                .event_id
                .filter(|_| envelope.id_trust != IdTrust::Claimed);
            let group = match &queue.group_by {
                GroupBy::Fixed => None,
                GroupBy::Pointer(pointer) => pointed_at(&body, pointer).map(|id| sqs_id(&id)),
                // Ordering only: a credentialed id may pick its group.
                GroupBy::EventId => Some(signed_id.map_or_else(|| digest.clone(), sqs_id)),
            };
            let dedup = deduplication_id(envelope.source, envelope.id_trust, signed_id, &digest);
            let group = group.unwrap_or_else(|| queue.group_id.clone());
            (Some(group), Some(dedup))
        } else {
            (None, None)
        };
        let message = Self {
            queue_url: queue.url.clone(),
            body,
            attributes,
            group_id,
            deduplication_id,
        };
        if message.size() > MAX_MESSAGE_BYTES {
            return Err(TooLarge);
        }
        Ok(message)
    }

    /// The size SQS counts: body, plus each attribute's name, type and value.
    pub fn size(&self) -> usize {
        self.body.len()
            + self
                .attributes
                .iter()
                .map(|(name, value)| name.len() + "String".len() + value.len())
                .sum::<usize>()
    }
}

/// A FIFO message's deduplication id: SHA-256 over the source's name and
/// only what the request's authentication covers, so a captured signed
/// request cannot land twice within SQS's window, and nothing can pre-empt
/// another event:
/// - a signed id: the id (a provider's retry carries the same one);
/// - a credentialed id: the id and the body's digest (the credential does
///   not bind them, so the same id with another body is another message;
///   whoever holds the credential can send any body, or drop the id, and
///   land again: a credential authenticates, it does not deduplicate);
/// - otherwise: the body's digest.
///
/// The source's name keeps sources that share a queue apart. Each field is
/// length-prefixed, so no two inputs hash alike.
pub fn deduplication_id(
    source: &str,
    trust: IdTrust,
    event_id: Option<&str>,
    body_sha256: &str,
) -> String {
    let (tag, fields): (&[u8], [&str; 2]) = match (trust, event_id) {
        (IdTrust::Signed, Some(id)) => (b"signed-id", [id, ""]),
        (IdTrust::Credentialed, Some(id)) => (b"credentialed-id", [id, body_sha256]),
        _ => (b"body", [body_sha256, ""]),
    };
    let mut hash = Sha256::new();
    for field in [
        tag,
        source.as_bytes(),
        fields[0].as_bytes(),
        fields[1].as_bytes(),
    ] {
        hash.update((field.len() as u64).to_be_bytes());
        hash.update(field);
    }
    hex_of(hash.finalize().into())
}

/// `id` as SQS takes a group or deduplication id: itself when it fits
/// SQS's rule, else its SHA-256 (distinct ids stay distinct).
fn sqs_id(id: &str) -> String {
    if valid_sqs_id(id) {
        id.to_owned()
    } else {
        sha256_hex(id.as_bytes())
    }
}

/// The value at a JSON pointer in the signed body, as a group id: a string
/// as it is, a number or boolean as its JSON text; anything else (absent,
/// null, an object or array) is `None`.
fn pointed_at(body: &str, pointer: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    match value.pointer(pointer)? {
        serde_json::Value::String(text) if !text.is_empty() => Some(text.clone()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        serde_json::Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// Escapes U+FFFE and U+FFFF, the only characters valid JSON text can hold
/// that SQS refuses. In valid JSON they can only stand inside strings, where
/// `\ufffe` / `\uffff` denote the same value.
pub fn sqs_safe(body: &str) -> Cow<'_, str> {
    if !has_noncharacter(body.as_bytes()) {
        return Cow::Borrowed(body);
    }
    Cow::Owned(
        body.replace('\u{fffe}', "\\ufffe")
            .replace('\u{ffff}', "\\uffff"),
    )
}

/// Lower-case hex SHA-256. `hex::encode` builds its string a char at a
/// time; encoding into a buffer is several times faster.
fn sha256_hex(bytes: &[u8]) -> String {
    hex_of(Sha256::digest(bytes).into())
}

fn hex_of(digest: [u8; 32]) -> String {
    let mut out = [0u8; 64];
    hex::encode_to_slice(digest, &mut out).expect("64 bytes hold a SHA-256");
    String::from_utf8(out.to_vec()).expect("hex digits are ASCII")
}

/// Whether UTF-8 text holds U+FFFE (`EF BF BE`) or U+FFFF (`EF BF BF`).
/// `EF` is rare in text, so `memchr` finds the candidates quickly.
fn has_noncharacter(text: &[u8]) -> bool {
    memchr::memchr_iter(0xEF, text)
        .any(|at| matches!(text.get(at + 1..at + 3), Some([0xBF, 0xBE | 0xBF])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn queue(fifo: bool) -> QueueConfig {
        QueueConfig {
            url: "http://127.0.0.1/1/q".into(),
            fifo,
            group_id: "bracken".into(),
            group_by: GroupBy::Fixed,
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn fifo_group_fixed_by_pointer_or_by_event_id() {
        let by = |group_by: GroupBy| QueueConfig {
            group_by,
            ..queue(true)
        };
        let body = r#"{"customer":{"id":"c-7","n":12,"deep":{"x":1}},"flag":true}"#;
        let group = |group_by: GroupBy, envelope: &Envelope<'_>| {
            OutboundMessage::build(body.into(), envelope, &by(group_by))
                .unwrap()
                .group_id
                .unwrap()
        };
        let signed = envelope(Some("msg_1"));
        let pointer = |p: &str| GroupBy::Pointer(p.into());
        assert_eq!(group(GroupBy::Fixed, &signed), "bracken");
        assert_eq!(group(pointer("/customer/id"), &signed), "c-7");
        assert_eq!(group(pointer("/customer/n"), &signed), "12");
        assert_eq!(group(pointer("/flag"), &signed), "true");
        // Absent, or not a scalar: the fixed group.
        assert_eq!(group(pointer("/customer/deep"), &signed), "bracken");
        assert_eq!(group(pointer("/nope"), &signed), "bracken");
        assert_eq!(group(GroupBy::EventId, &signed), "msg_1");
        // An id the signature does not cover never picks the group.
        let claimed = Envelope {
            id_trust: IdTrust::Claimed,
            ..envelope(Some("msg_1"))
        };
        assert_eq!(
            group(GroupBy::EventId, &claimed),
            hex::encode(Sha256::digest(body.as_bytes()))
        );
        // Standard queues have no groups.
        let standard = OutboundMessage::build(body.into(), &signed, &queue(false)).unwrap();
        assert_eq!(standard.group_id, None);
    }

    fn envelope(event_id: Option<&str>) -> Envelope<'_> {
        Envelope {
            source: "bracken",
            event_id,
            id_trust: IdTrust::Signed,
            received_at: "2026-11-23T05:00:00Z".into(),
            request_id: Some("req-1"),
        }
    }

    #[test]
    fn standard_queue_message() {
        let m =
            OutboundMessage::build(r#"{"a":1}"#.into(), &envelope(None), &queue(false)).unwrap();
        assert_eq!(m.body, r#"{"a":1}"#);
        assert_eq!(m.group_id, None);
        assert_eq!(m.deduplication_id, None);
        let names: Vec<_> = m.attributes.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            ["source", "received_at", "body_sha256", "request_id"]
        );
        assert_eq!(
            m.attributes[2].1,
            hex::encode(Sha256::digest(br#"{"a":1}"#))
        );
    }

    /// The deduplication id a FIFO message gets.
    fn dedup(body: &str, source: &str, trust: IdTrust, id: Option<&str>) -> String {
        let envelope = Envelope {
            source,
            id_trust: trust,
            ..envelope(id)
        };
        OutboundMessage::build(body.into(), &envelope, &queue(true))
            .unwrap()
            .deduplication_id
            .unwrap()
    }

    #[test]
    fn fifo_deduplicates_on_what_authentication_covers() {
        use IdTrust::{Claimed, Credentialed, Signed};
        let m =
            OutboundMessage::build("{}".into(), &envelope(Some("msg_1")), &queue(true)).unwrap();
        assert_eq!(m.group_id.as_deref(), Some("bracken"));
        let id = m.deduplication_id.unwrap();
        assert!(valid_sqs_id(&id) && id.len() == 64, "{id}");
        // A signed id: the provider's retry is one message, whatever the body.
        assert_eq!(
            dedup("{}", "s", Signed, Some("msg_1")),
            dedup(r#"{"a":1}"#, "s", Signed, Some("msg_1"))
        );
        assert_ne!(
            dedup("{}", "s", Signed, Some("msg_1")),
            dedup("{}", "s", Signed, Some("msg_2"))
        );
        // A claimed id (ActiGraph's HMAC) is kept as an attribute but never
        // deduplicates: one capture replayed with fresh ids is one message.
        assert_eq!(
            dedup("{}", "s", Claimed, Some("d-1")),
            dedup("{}", "s", Claimed, Some("d-2"))
        );
        assert_eq!(
            dedup("{}", "s", Claimed, Some("d-1")),
            dedup("{}", "s", Claimed, None)
        );
        assert_ne!(
            dedup("{}", "s", Claimed, None),
            dedup(r#"{"a":1}"#, "s", Claimed, None)
        );
        // A credentialed id deduplicates with its body: a retry is one
        // message, but the same id with another body cannot pre-empt it.
        assert_eq!(
            dedup("{}", "s", Credentialed, Some("d-1")),
            dedup("{}", "s", Credentialed, Some("d-1"))
        );
        assert_ne!(
            dedup("{}", "s", Credentialed, Some("d-1")),
            dedup(r#"{"a":1}"#, "s", Credentialed, Some("d-1"))
        );
        assert_ne!(
            dedup("{}", "s", Credentialed, Some("d-1")),
            dedup("{}", "s", Credentialed, Some("d-2"))
        );
        // Sources sharing a queue never deduplicate each other's events.
        for trust in [Claimed, Credentialed, Signed] {
            assert_ne!(
                dedup("{}", "a", trust, Some("e")),
                dedup("{}", "b", trust, Some("e")),
                "{trust:?}"
            );
        }
        // Nor do the kinds, or fields that run into each other.
        let digest = sha256_hex(b"{}");
        assert_ne!(
            deduplication_id("s", Signed, Some(&digest), "x"),
            deduplication_id("s", Claimed, None, &digest)
        );
        assert_ne!(
            deduplication_id("ab", Signed, Some("c"), &digest),
            deduplication_id("a", Signed, Some("bc"), &digest)
        );
        let m = OutboundMessage::build(
            "{}".into(),
            &Envelope {
                id_trust: Claimed,
                ..envelope(Some("d-1"))
            },
            &queue(true),
        )
        .unwrap();
        assert!(m.attributes.contains(&("event_id", "d-1".to_owned())));
    }

    #[test]
    fn characters_sqs_refuses_are_escaped_in_place() {
        let body = "{\"a\":\"x\u{fffe}y\u{ffff}\"}";
        let m = OutboundMessage::build(body.into(), &envelope(None), &queue(false)).unwrap();
        assert_eq!(m.body, r#"{"a":"x\ufffey\uffff"}"#);
        let before: serde_json::Value = serde_json::from_str(body).unwrap();
        let after: serde_json::Value = serde_json::from_str(&m.body).unwrap();
        assert_eq!(before, after, "same JSON value");
        // The digest is of the body as received.
        assert_eq!(
            m.attributes[2].1,
            hex::encode(Sha256::digest(body.as_bytes()))
        );
    }

    #[test]
    fn only_the_two_noncharacters_are_found() {
        assert!(has_noncharacter("\u{fffe}".as_bytes()));
        assert!(has_noncharacter("a\u{ffff}".as_bytes()));
        // Neighbours sharing the lead byte, and a truncated sequence at the end.
        for clean in ["\u{fffd}", "\u{f000}", "\u{efbf}", "x\u{ffef}"] {
            assert!(!has_noncharacter(clean.as_bytes()), "{clean:?}");
        }
        assert!(!has_noncharacter(b"\xEF\xBF"));
    }

    #[test]
    fn size_counts_attributes() {
        let m = OutboundMessage::build("{}".into(), &envelope(None), &queue(false)).unwrap();
        let attrs: usize = m
            .attributes
            .iter()
            .map(|(n, v)| n.len() + 6 + v.len())
            .sum();
        assert_eq!(m.size(), 2 + attrs);
        let big = format!("\"{}\"", "a".repeat(MAX_MESSAGE_BYTES - 2));
        assert_eq!(
            OutboundMessage::build(big, &envelope(None), &queue(false)),
            Err(TooLarge)
        );
    }
}
