//! Every outcome of the handler, for every scheme and every event shape,
//! through real `lambda_http` payload types and an in-process queue.

mod common;

use common::LAMBDA_REQUEST_ID;
use common::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hookline::message::{IdTrust, deduplication_id};
use hookline::publish::PublishError;
use hookline::sample_event::Shape;
use hookline::secret::Secret;
use hookline::secret_store::{BoxFuture, Entry, FetchErrorKind, KeyStore, Refetch, Unavailable};
use hookline::{Receiver, Scheme};

const QUEUE: &str = "http://127.0.0.1:1/123456789012/hooks";
const BODY: &[u8] = br#"{"event":"user.created","id":42,"name":"Zo\u00eb"}"#;

fn receiver(scheme: Scheme) -> Receiver<FakeQueue> {
    Receiver::new(config(scheme, QUEUE, &[]), FakeQueue::default())
}

fn fake(receiver: &Receiver<FakeQueue>) -> &FakeQueue {
    receiver.publisher()
}

#[tokio::test]
async fn signed_requests_are_enqueued_in_every_shape() {
    for scheme in Scheme::ALL {
        let receiver = receiver(scheme);
        for shape in Shape::ALL {
            for base64 in [false, true] {
                let headers = signed_headers(scheme, BODY, Some("evt_123"));
                let answer = send(&receiver, shape, &request(headers, BODY, base64)).await;
                assert_eq!(
                    answer.status, 200,
                    "{scheme:?} {shape:?} base64={base64}: {}",
                    answer.body
                );
                let reply: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
                assert!(reply["id"].as_str().unwrap().starts_with("msg-"));
                assert_eq!(
                    answer.header("content-type").as_deref(),
                    Some("application/json")
                );
            }
        }
        let sent = fake(&receiver).sent.lock().unwrap();
        assert_eq!(sent.len(), 8);
        // Bracken signs Node's re-serialisation (`\u00eb` written as `ë`):
        // that text is what its messages carry.
        let signed = match scheme {
            Scheme::Bracken => hookline::js_json::restringify(BODY).unwrap(),
            _ => BODY.to_vec(),
        };
        for message in sent.iter() {
            assert_eq!(message.body.as_bytes(), signed, "the signed body");
            let attr = |name: &str| {
                message
                    .attributes
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.clone())
            };
            assert_eq!(attr("source").as_deref(), Some(scheme.name()));
            let expect_id = matches!(
                scheme,
                Scheme::StandardWebhooks | Scheme::ActiGraph | Scheme::Basic | Scheme::Bearer
            );
            assert_eq!(
                attr("event_id").as_deref(),
                expect_id.then_some("evt_123"),
                "{scheme:?}"
            );
            assert!(attr("received_at").unwrap().ends_with('Z'));
            assert_eq!(attr("body_sha256").unwrap().len(), 64);
            let request_id = attr("request_id").unwrap();
            assert!(
                request_id == "req-0001" || request_id == LAMBDA_REQUEST_ID,
                "{request_id}"
            );
        }
    }
}

#[tokio::test]
async fn wrong_or_missing_signatures_are_401_and_never_enqueued() {
    for scheme in Scheme::ALL {
        let receiver = receiver(scheme);
        for shape in Shape::ALL {
            let mut tampered = signed_headers(scheme, BODY, Some("evt_1"));
            let other_body = br#"{"event":"user.deleted"}"#;
            let cases = [
                ("no headers", vec![], BODY),
                ("other body", std::mem::take(&mut tampered), &other_body[..]),
            ];
            for (what, headers, body) in cases {
                if what == "other body" && matches!(scheme, Scheme::Basic | Scheme::Bearer) {
                    continue; // credentials do not cover the body
                }
                let answer = send(&receiver, shape, &request(headers, body, false)).await;
                assert_eq!(answer.status, 401, "{scheme:?} {shape:?} {what}");
                assert_eq!(answer.body, r#"{"error":"unauthorized"}"#);
                let challenge = answer.header("www-authenticate");
                assert_eq!(
                    challenge.is_some(),
                    matches!(scheme, Scheme::Basic | Scheme::Bearer),
                    "{scheme:?}"
                );
            }
        }
        assert_eq!(fake(&receiver).count(), 0);
    }
}

#[tokio::test]
async fn repeated_signature_headers_are_refused_in_every_shape() {
    for scheme in [
        Scheme::OneCentre,
        Scheme::ActiGraph,
        Scheme::Bracken,
        Scheme::Bearer,
    ] {
        let receiver = receiver(scheme);
        for shape in Shape::ALL {
            let mut headers = signed_headers(scheme, BODY, None);
            let first = headers[0].clone();
            headers.insert(1, first);
            let answer = send(&receiver, shape, &request(headers, BODY, false)).await;
            assert_eq!(answer.status, 401, "{scheme:?} {shape:?}");
        }
        assert_eq!(fake(&receiver).count(), 0);
    }
}

#[tokio::test]
async fn verified_but_not_json_is_400() {
    for scheme in Scheme::ALL {
        let receiver = receiver(scheme);
        for body in [
            &b"not json"[..],
            b"",
            b"\xff\xfe{}",
            b"\xef\xbb\xbf{}",
            b"{\"a\":1}{}",
        ] {
            let headers = signed_headers(scheme, body, Some("evt_2"));
            let answer = send(&receiver, Shape::HttpV2, &request(headers, body, true)).await;
            assert_eq!(answer.status, 400, "{scheme:?} {body:?}");
            assert_eq!(answer.body, r#"{"error":"invalid_json"}"#);
        }
        assert_eq!(fake(&receiver).count(), 0);
    }
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let receiver = receiver(Scheme::OneCentre);
    let big = format!("\"{}\"", "a".repeat(1024 * 1024 - 1));
    let headers = signed_headers(Scheme::OneCentre, big.as_bytes(), None);
    let answer = send(
        &receiver,
        Shape::HttpV2,
        &request(headers, big.as_bytes(), false),
    )
    .await;
    assert_eq!(answer.status, 413);
    // Just under the limit for the body alone, but over once attributes are added.
    let near = format!("\"{}\"", "a".repeat(1024 * 1024 - 2 - 50));
    let headers = signed_headers(Scheme::OneCentre, near.as_bytes(), None);
    let answer = send(
        &receiver,
        Shape::HttpV2,
        &request(headers, near.as_bytes(), false),
    )
    .await;
    assert_eq!(answer.status, 413);
    assert_eq!(fake(&receiver).count(), 0);
}

#[tokio::test]
async fn only_post_is_allowed() {
    let receiver = receiver(Scheme::OneCentre);
    for method in ["GET", "PUT", "OPTIONS", "DELETE", "HEAD"] {
        for shape in Shape::ALL {
            let headers = signed_headers(Scheme::OneCentre, BODY, None);
            let mut req = request(headers, BODY, false);
            req.method = method;
            let answer = send(&receiver, shape, &req).await;
            assert_eq!(answer.status, 405, "{method} {shape:?}");
            assert_eq!(answer.header("allow").as_deref(), Some("POST"));
        }
    }
    assert_eq!(fake(&receiver).count(), 0);
}

#[tokio::test]
async fn invalid_base64_body_is_400_not_a_crash() {
    let receiver = receiver(Scheme::OneCentre);
    for shape in Shape::ALL {
        let mut payload = hookline::sample_event::event(
            shape,
            &request(signed_headers(Scheme::OneCentre, BODY, None), BODY, true),
        );
        payload["body"] = serde_json::json!("%%%not base64%%%");
        let answer = invoke(&receiver, &payload).await;
        assert_eq!(answer.status, 400, "{shape:?}");
        assert_eq!(answer.body, r#"{"error":"invalid_body_encoding"}"#);
    }
    assert_eq!(fake(&receiver).count(), 0);
}

#[tokio::test]
async fn actigraph_handshake_echoes_the_code_and_enqueues_nothing() {
    for scheme in [Scheme::ActiGraph, Scheme::Basic, Scheme::Bearer] {
        let receiver = receiver(scheme);
        for shape in Shape::ALL {
            let code = "5b4a9f3e-8d2c-4b1a-9e7f-0c6d5a4b3c2d";
            let headers = vec![
                ("X-ActiGraph-Event".to_string(), "validation".to_string()),
                ("X-ActiGraph-Hook-Secret".to_string(), code.to_string()),
            ];
            let body =
                br#"{"WebhookId": "74", "ValidationCode": "5b4a9f3e-8d2c-4b1a-9e7f-0c6d5a4b3c2d"}"#;
            let answer = send(&receiver, shape, &request(headers, body, false)).await;
            assert_eq!(answer.status, 200, "{scheme:?} {shape:?}");
            assert_eq!(
                answer.header("x-actigraph-hook-secret").as_deref(),
                Some(code)
            );

            for bad in ["x".repeat(257), String::new(), "caf\u{e9}".into()] {
                let headers = vec![
                    ("X-ActiGraph-Event".to_string(), "validation".to_string()),
                    ("X-ActiGraph-Hook-Secret".to_string(), bad.clone()),
                ];
                let answer = send(&receiver, shape, &request(headers, body, false)).await;
                assert_eq!(answer.status, 400, "{scheme:?} {shape:?} {bad:?}");
                assert_eq!(answer.header("x-actigraph-hook-secret"), None);
            }
        }
        assert_eq!(fake(&receiver).count(), 0);
    }
}

#[tokio::test]
async fn other_schemes_do_not_answer_the_handshake() {
    let receiver = receiver(Scheme::OneCentre);
    let headers = vec![
        ("X-ActiGraph-Event".to_string(), "validation".to_string()),
        ("X-ActiGraph-Hook-Secret".to_string(), "abc".to_string()),
    ];
    let answer = send(&receiver, Shape::HttpV2, &request(headers, b"{}", false)).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.header("x-actigraph-hook-secret"), None);
}

#[tokio::test]
async fn queue_failures_are_503_so_the_sender_retries() {
    let receiver = receiver(Scheme::StandardWebhooks);
    for failure in [
        PublishError::Timeout("t".into()),
        PublishError::Unreachable("u".into()),
        PublishError::Throttled("t".into()),
        PublishError::AccessDenied("a".into()),
        PublishError::QueueMissing("q".into()),
        PublishError::Other("o".into()),
    ] {
        *fake(&receiver).failure.lock().unwrap() = Some(failure.clone());
        let headers = signed_headers(Scheme::StandardWebhooks, BODY, Some("evt_9"));
        let answer = send(&receiver, Shape::HttpV2, &request(headers, BODY, false)).await;
        assert_eq!(answer.status, 503, "{failure:?}");
        assert_eq!(answer.body, r#"{"error":"queue_unavailable"}"#);
        assert_eq!(answer.header("retry-after").as_deref(), Some("1"));
    }
    *fake(&receiver).failure.lock().unwrap() = None;
    let headers = signed_headers(Scheme::StandardWebhooks, BODY, Some("evt_9"));
    assert_eq!(
        send(&receiver, Shape::HttpV2, &request(headers, BODY, false))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn stale_standard_webhooks_are_401() {
    let receiver = receiver(Scheme::StandardWebhooks);
    let delivery = hookline::sign::Delivery {
        id: Some("msg_old"),
        timestamp: now_secs() - 301,
    };
    let headers = hookline::sign::sign(
        Scheme::StandardWebhooks,
        secret_for(Scheme::StandardWebhooks).as_bytes(),
        BODY,
        &delivery,
    )
    .unwrap()
    .into_iter()
    .map(|(n, v)| (n.to_string(), v))
    .collect();
    assert_eq!(
        send(&receiver, Shape::HttpV2, &request(headers, BODY, false))
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn bracken_loose_json_is_enqueued_as_node_wrote_it() {
    let receiver = receiver(Scheme::Bracken);
    let body = br#"{ "b": 1.0, "2": "x", "b": "\u00e9" }"#;
    let headers = signed_headers(Scheme::Bracken, body, None);
    assert_eq!(
        send(&receiver, Shape::RestV1, &request(headers, body, false))
            .await
            .status,
        200
    );
    assert_eq!(
        fake(&receiver).sent.lock().unwrap()[0].body,
        "{\"2\":\"x\",\"b\":\"\u{e9}\"}",
        "the text Bracken signed, not the bytes sent"
    );
}

#[tokio::test]
async fn characters_sqs_refuses_are_escaped() {
    let receiver = receiver(Scheme::OneCentre);
    let body = "{\"text\":\"a\u{fffe}b\u{ffff}\"}".as_bytes();
    let headers = signed_headers(Scheme::OneCentre, body, None);
    assert_eq!(
        send(&receiver, Shape::HttpV2, &request(headers, body, false))
            .await
            .status,
        200
    );
    assert_eq!(
        fake(&receiver).sent.lock().unwrap()[0].body,
        r#"{"text":"a\ufffeb\uffff"}"#
    );
}

#[tokio::test]
async fn rotation_accepts_the_previous_secret() {
    let cfg = config(
        Scheme::OneCentre,
        QUEUE,
        &[
            ("WEBHOOK_SECRET", "brand-new"),
            ("WEBHOOK_SECRET_PREVIOUS", secret_for(Scheme::OneCentre)),
        ],
    );
    let receiver = Receiver::new(cfg, FakeQueue::default());
    let headers = signed_headers(Scheme::OneCentre, BODY, None);
    assert_eq!(
        send(&receiver, Shape::HttpV2, &request(headers, BODY, false))
            .await
            .status,
        200
    );
}

/// The headers Bracken would send for the text it signs (`signed`), and the
/// body an attacker sends with them instead.
fn bracken_replay(signed: &str, sent: &str) -> (Vec<(String, String)>, Vec<u8>) {
    (
        signed_headers(Scheme::Bracken, signed.as_bytes(), None),
        sent.as_bytes().to_vec(),
    )
}

fn attribute(message: &hookline::message::OutboundMessage, name: &str) -> Option<String> {
    message
        .attributes
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.clone())
}

#[tokio::test]
async fn a_bracken_fallback_match_enqueues_the_text_that_was_signed() {
    // Each body verifies only through Node's re-serialisation; what lands on
    // the queue is that text, so no consumer can read it another way.
    let cases = [
        // Duplicate keys: a first-key-wins consumer would read "admin".
        (
            r#"{"role":"user","amount":1}"#,
            r#"{"role":"admin","role":"user","amount":1}"#,
        ),
        // Respellings of a signed value.
        (r#"{"limit":null}"#, r#"{"limit":1e400}"#),
        ("9007199254740992", "9007199254740993"),
        // A u64 as another serialiser writes it, read as Node reads it.
        (
            r#"{"id":18446744073709552000}"#,
            r#"{"id":18446744073709551615}"#,
        ),
        (
            r#"{"amount":0,"to":"alice"}"#,
            r#"{"amount":-0.0e-99999,"to":"alice"}"#,
        ),
        // Whitespace around a compact body.
        (r#"{"a":1}"#, " {\"a\":1}"),
        (r#"{"a":1}"#, "{\"a\":1}\n"),
        (r#"{"a":1}"#, "{ \"a\" : 1 }"),
    ];
    for queue in [QUEUE, "http://127.0.0.1:1/123456789012/hooks.fifo"] {
        let receiver = Receiver::new(config(Scheme::Bracken, queue, &[]), FakeQueue::default());
        for (signed, sent) in cases {
            let (headers, body) = bracken_replay(signed, sent);
            let answer = send(&receiver, Shape::HttpV2, &request(headers, &body, false)).await;
            assert_eq!(answer.status, 200, "{sent}");
            let sent_messages = fake(&receiver).sent.lock().unwrap();
            let message = sent_messages.last().unwrap();
            assert_eq!(message.body, signed, "{sent}: the signed text is enqueued");
            use sha2::Digest;
            let digest = hex::encode(sha2::Sha256::digest(signed.as_bytes()));
            assert_eq!(attribute(message, "body_sha256"), Some(digest.clone()));
            if queue.ends_with(".fifo") {
                let expected = deduplication_id("bracken", IdTrust::Claimed, None, &digest);
                assert_eq!(message.deduplication_id, Some(expected), "{sent}");
            }
        }
    }
}

#[tokio::test]
async fn bodies_bracken_would_not_have_signed_are_refused() {
    let receiver = receiver(Scheme::Bracken);
    // Each respelling must read as the signed value, or not verify at all.
    let cases = [
        (
            r#"{"amount":0,"to":"alice"}"#,
            format!(
                "{{\"amount\":0.{}5e200004,\"to\":\"alice\"}}",
                "0".repeat(200_000)
            ),
        ),
        // More significant digits than the fallback reads (800, more
        // than any double's exact value): refused, not misread.
        (
            r#"{"amount":1.1111111111111112}"#,
            format!("{{\"amount\": 1.{}}}", "1".repeat(800)),
        ),
        (r#"{"limit":null}"#, r#"{"limit":1e308}"#.to_owned()),
        (r#"{"a":1}"#, r#"{"a":1,"a":2}"#.to_owned()),
        (r#"{"a":1}"#, r#"{"a":1}x"#.to_owned()),
    ];
    for (signed, sent) in &cases {
        let (headers, body) = bracken_replay(signed, sent);
        let answer = send(&receiver, Shape::HttpV2, &request(headers, &body, false)).await;
        assert_eq!(answer.status, 401, "{}", &sent[..sent.len().min(60)]);
    }
    // A loose body larger than the fallback re-serialises: 413, never work.
    let padding = "x".repeat(hookline::verify::FALLBACK_MAX_BYTES);
    let (headers, body) =
        bracken_replay(r#"{"a":1}"#, &format!("{{\"a\":1,\"p\":\"{padding}\" }}"));
    let answer = send(&receiver, Shape::HttpV2, &request(headers, &body, false)).await;
    assert_eq!(answer.status, 413);
    assert_eq!(fake(&receiver).count(), 0);
}

#[tokio::test]
async fn an_event_id_deduplicates_only_as_far_as_it_is_authenticated() {
    use sha2::Digest;
    let fifo = "http://127.0.0.1:1/123456789012/hooks.fifo";
    let digest = |body: &[u8]| hex::encode(sha2::Sha256::digest(body));
    // ActiGraph's HMAC covers the body, not X-ActiGraph-Delivery: one
    // captured request replayed with fresh ids must deduplicate as one.
    let receiver = Receiver::new(config(Scheme::ActiGraph, fifo, &[]), FakeQueue::default());
    for id in ["d-1", "d-2", "d-3"] {
        let headers = signed_headers(Scheme::ActiGraph, BODY, Some(id));
        let answer = send(&receiver, Shape::HttpV2, &request(headers, BODY, false)).await;
        assert_eq!(answer.status, 200);
    }
    let sent = fake(&receiver).sent.lock().unwrap().clone();
    let by_body = deduplication_id("actigraph", IdTrust::Claimed, None, &digest(BODY));
    for (message, id) in sent.iter().zip(["d-1", "d-2", "d-3"]) {
        assert_eq!(message.deduplication_id.as_deref(), Some(by_body.as_str()));
        assert_eq!(
            attribute(message, "event_id").as_deref(),
            Some(id),
            "kept as a claim"
        );
    }
    // A signed id deduplicates on its own.
    let receiver = Receiver::new(
        config(Scheme::StandardWebhooks, fifo, &[]),
        FakeQueue::default(),
    );
    let headers = signed_headers(Scheme::StandardWebhooks, BODY, Some("evt_9"));
    let answer = send(&receiver, Shape::HttpV2, &request(headers, BODY, false)).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        fake(&receiver).sent.lock().unwrap()[0].deduplication_id,
        Some(deduplication_id(
            "standard-webhooks",
            IdTrust::Signed,
            Some("evt_9"),
            &digest(BODY)
        ))
    );
    // A credential signs nothing: whoever holds it could pair a real
    // event's id with another body and have SQS drop the real event. The id
    // deduplicates only together with the body.
    let other: &[u8] = br#"{"type":"forged"}"#;
    for scheme in [Scheme::Basic, Scheme::Bearer] {
        let receiver = Receiver::new(config(scheme, fifo, &[]), FakeQueue::default());
        for body in [other, BODY, BODY] {
            let headers = signed_headers(scheme, body, Some("evt_9"));
            let answer = send(&receiver, Shape::HttpV2, &request(headers, body, false)).await;
            assert_eq!(answer.status, 200, "{scheme:?}");
        }
        let sent = fake(&receiver).sent.lock().unwrap();
        let ids: Vec<_> = sent.iter().map(|m| m.deduplication_id.clone()).collect();
        let expected = |body: &[u8]| {
            Some(deduplication_id(
                scheme.name(),
                IdTrust::Credentialed,
                Some("evt_9"),
                &digest(body),
            ))
        };
        assert_eq!(ids, [expected(other), expected(BODY), expected(BODY)]);
        assert_ne!(
            ids[0], ids[1],
            "{scheme:?}: the forged body cannot pre-empt"
        );
    }
}

/// A secret store whose cached entry and refetch answer the test sets.
struct ScriptedStore {
    cached: Arc<Entry>,
    refetch: Mutex<Refetch>,
}

impl KeyStore for ScriptedStore {
    fn get(&self, _r: usize, _wait: Duration) -> BoxFuture<'_, Result<Arc<Entry>, Unavailable>> {
        let entry = self.cached.clone();
        Box::pin(async move { Ok(entry) })
    }

    fn refetch(&self, _r: usize, _seen: u64, _wait: Duration) -> BoxFuture<'_, Refetch> {
        let answer = self.refetch.lock().unwrap().clone();
        Box::pin(async move { answer })
    }
}

/// A receiver whose one secret comes from `store`.
fn with_store(scheme: Scheme, store: impl KeyStore + 'static) -> Receiver<FakeQueue> {
    Receiver::new(
        config(
            scheme,
            QUEUE,
            &[("WEBHOOK_SECRET", "secretsmanager:hooks/s")],
        ),
        FakeQueue::default(),
    )
    .with_store(Box::new(store))
}

fn entry(value: &str, generation: u64) -> Arc<Entry> {
    Arc::new(Entry {
        values: vec![Secret::new(value)],
        generation,
    })
}

#[tokio::test]
async fn a_mismatch_the_store_could_not_confirm_is_503_never_401() {
    const S1: &str = "cached-secret-one-0123";
    const S2: &str = "rotated-secret-two-0123";
    let scheme = Scheme::OneCentre;
    let signed_with = |secret: &str| {
        let headers = hookline::sign::sign(
            scheme,
            secret.as_bytes(),
            BODY,
            &hookline::sign::Delivery {
                id: None,
                timestamp: now_secs(),
            },
        )
        .unwrap()
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v))
        .collect();
        request(headers, BODY, false)
    };
    let cases = [
        // The store answered with newer values: verified against them.
        (Refetch::Refreshed(entry(S2, 2)), 200),
        // The store confirmed S1 (now, or within the rate limit): a forgery.
        (Refetch::Unchanged, 401),
        // The store failed, or did not answer in time: undecided.
        (Refetch::Failed(Some(FetchErrorKind::Unreachable)), 503),
        (Refetch::Failed(None), 503),
    ];
    for (answer, status) in cases {
        let store = ScriptedStore {
            cached: entry(S1, 1),
            refetch: Mutex::new(answer.clone()),
        };
        let receiver = with_store(scheme, store);
        // S1 verifies from the cache whatever the store would say.
        let reply = send(&receiver, Shape::HttpV2, &signed_with(S1)).await;
        assert_eq!(reply.status, 200, "{answer:?}: cached value");
        let reply = send(&receiver, Shape::HttpV2, &signed_with(S2)).await;
        assert_eq!(reply.status, status, "{answer:?}: {}", reply.body);
        if status == 503 {
            assert_eq!(reply.header("retry-after").as_deref(), Some("1"));
            assert_eq!(reply.body, r#"{"error":"temporarily_unavailable"}"#);
        }
        let enqueued = if status == 200 { 2 } else { 1 };
        assert_eq!(fake(&receiver).count(), enqueued, "{answer:?}");
    }
}

#[tokio::test]
async fn an_unprefixed_base64_store_value_is_warned_about_without_its_value() {
    // A Standard Webhooks secret pasted into the store without `whsec_`:
    // used as its bytes, so the sender's signatures fail; the log says why.
    const PASTED: &str = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let captured = hookline::logging::Captured::default();
    let _guard = captured.install("warn", true);
    let store = ScriptedStore {
        cached: entry(PASTED, 1),
        refetch: Mutex::new(Refetch::Unchanged),
    };
    let receiver = with_store(Scheme::StandardWebhooks, store);
    let headers = hookline::sign::sign(
        Scheme::StandardWebhooks,
        format!("whsec_{PASTED}").as_bytes(),
        BODY,
        &hookline::sign::Delivery {
            id: Some("msg_1"),
            timestamp: now_secs(),
        },
    )
    .unwrap()
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v))
    .collect();
    let reply = send(&receiver, Shape::HttpV2, &request(headers, BODY, false)).await;
    assert_eq!(reply.status, 401);
    let logged = captured.text();
    assert!(logged.contains("reads as base64"), "{logged}");
    assert!(logged.contains(r#""origin":"secret store""#), "{logged}");
    assert!(!logged.contains("MfKQ"), "{logged}");
}

#[tokio::test]
async fn a_short_store_value_is_warned_about_without_its_value_and_still_used() {
    const SHORT: &str = "tiny-token";
    let captured = hookline::logging::Captured::default();
    let _guard = captured.install("warn", true);
    let store = ScriptedStore {
        cached: entry(SHORT, 1),
        refetch: Mutex::new(Refetch::Unchanged),
    };
    let receiver = with_store(Scheme::Bearer, store);
    let headers = vec![("authorization".to_owned(), format!("Bearer {SHORT}"))];
    let reply = send(&receiver, Shape::HttpV2, &request(headers, BODY, false)).await;
    assert_eq!(reply.status, 200);
    let logged = captured.text();
    assert!(logged.contains("shorter than 16 bytes"), "{logged}");
    assert!(logged.contains(r#""origin":"secret store""#), "{logged}");
    assert!(!logged.contains(SHORT), "{logged}");
}

/// A secret store that cannot be reached, counting how often it was asked.
#[derive(Default)]
struct DownStore {
    asked: Arc<std::sync::atomic::AtomicUsize>,
}

impl KeyStore for DownStore {
    fn get(&self, _r: usize, _wait: Duration) -> BoxFuture<'_, Result<Arc<Entry>, Unavailable>> {
        self.asked
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Box::pin(async { Err(Unavailable { last_error: None }) })
    }

    fn refetch(&self, _r: usize, _seen: u64, _wait: Duration) -> BoxFuture<'_, Refetch> {
        Box::pin(async { Refetch::Failed(None) })
    }
}

#[tokio::test]
async fn what_no_key_could_verify_is_refused_without_waiting_for_the_store() {
    // During a store outage a request waits for keys up to SECRETS_WAIT_MS;
    // one whose headers no key could verify is refused before that.
    for scheme in Scheme::ALL {
        let store = DownStore::default();
        let asked = Arc::clone(&store.asked);
        let receiver = with_store(scheme, store);
        let unsigned = send(&receiver, Shape::HttpV2, &request(vec![], BODY, false)).await;
        assert_eq!(unsigned.status, 401, "{scheme:?}");
        assert_eq!(
            asked.load(std::sync::atomic::Ordering::Relaxed),
            0,
            "{scheme:?}"
        );
        // Well-formed: only a key can decide, and none can be had.
        let signed = signed_headers(scheme, BODY, Some("evt_1"));
        let reply = send(&receiver, Shape::HttpV2, &request(signed, BODY, false)).await;
        assert_eq!(reply.status, 503, "{scheme:?}");
        assert_eq!(
            asked.load(std::sync::atomic::Ordering::Relaxed),
            1,
            "{scheme:?}"
        );
        assert_eq!(fake(&receiver).count(), 0);
    }
}
