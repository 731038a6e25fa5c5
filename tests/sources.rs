//! Several sources in one receiver: routing by path, sender networks, each
//! source's queue and size, rotation, through real Lambda event payloads
//! and an in-process queue.

mod common;

use std::collections::HashMap;
use std::ffi::OsString;

use common::*;
use hookline::sample_event::{HttpRequest, Shape, event};
use hookline::sign::{Delivery, sign};
use hookline::{Config, Receiver, Scheme};
use serde_json::{Value, json};

const QUEUE: &str = "https://sqs.eu-west-1.amazonaws.com/123456789012/events";
const OTHER_QUEUE: &str = "https://sqs.eu-west-1.amazonaws.com/123456789012/actigraph.fifo";
const BODY: &[u8] = br#"{"event":"order.paid","id":7}"#;

fn sources_config(document: &Value, extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, OsString> = HashMap::new();
    vars.insert("HOOKLINE_SOURCES".into(), document.to_string().into());
    vars.insert("QUEUE_URL".into(), QUEUE.into());
    for scheme in Scheme::ALL {
        let var = format!("SECRET_{}", scheme.name().replace('-', "_").to_uppercase());
        vars.insert(var, secret_for(scheme).into());
    }
    for (k, v) in extra {
        vars.insert((*k).into(), (*v).into());
    }
    Config::from_lookup(|name| vars.get(name).cloned()).expect("valid configuration")
}

fn secret_ref(scheme: Scheme) -> String {
    format!(
        "env:SECRET_{}",
        scheme.name().replace('-', "_").to_uppercase()
    )
}

/// Three providers: ActiGraph restricted to two networks on its own FIFO
/// queue, Bracken, and a Standard Webhooks sender called `billing`.
fn three() -> Receiver<FakeQueue> {
    let document = json!({"sources": [
        {"name": "actigraph", "scheme": "actigraph", "secrets": [secret_ref(Scheme::ActiGraph)],
         "allowed_networks": ["203.0.113.0/24", "2001:db8::/32"], "queue_url": OTHER_QUEUE},
        {"name": "bracken", "scheme": "bracken", "secrets": [secret_ref(Scheme::Bracken)]},
        {"name": "billing", "scheme": "standard-webhooks", "secrets": [secret_ref(Scheme::StandardWebhooks)],
         "max_body_bytes": 4096},
    ]});
    Receiver::new(sources_config(&document, &[]), FakeQueue::default())
}

fn at<'a>(path: &'a str, headers: Vec<(String, String)>, body: &'a [u8]) -> HttpRequest<'a> {
    HttpRequest {
        path,
        ..request(headers, body, false)
    }
}

/// The event with the sender's address replaced, where its shape records one.
fn from(shape: Shape, request: &HttpRequest<'_>, sender: &str) -> Value {
    let mut payload = event(shape, request);
    match shape {
        Shape::RestV1 => payload["requestContext"]["identity"]["sourceIp"] = json!(sender),
        Shape::HttpV2 | Shape::FunctionUrl => {
            payload["requestContext"]["http"]["sourceIp"] = json!(sender)
        }
        Shape::Alb => {
            payload["multiValueHeaders"]["X-Forwarded-For"] = json!([format!("10.0.0.1, {sender}")])
        }
    }
    payload
}

#[tokio::test]
async fn each_source_verifies_its_own_scheme_and_goes_to_its_queue() {
    let receiver = three();
    for (path, scheme) in [
        ("/webhooks/actigraph", Scheme::ActiGraph),
        ("/prod/webhooks/bracken", Scheme::Bracken),
        ("/webhooks/billing", Scheme::StandardWebhooks),
    ] {
        for shape in Shape::ALL {
            let headers = signed_headers(scheme, BODY, Some("evt_1"));
            let answer = invoke(
                &receiver,
                &from(shape, &at(path, headers, BODY), "203.0.113.7"),
            )
            .await;
            assert_eq!(answer.status, 200, "{path} {shape:?}: {}", answer.body);
        }
        // Another source's signature does not open this one.
        let other = if scheme == Scheme::Bracken {
            Scheme::ActiGraph
        } else {
            Scheme::Bracken
        };
        let headers = signed_headers(other, BODY, None);
        let answer = invoke(
            &receiver,
            &from(Shape::HttpV2, &at(path, headers, BODY), "203.0.113.7"),
        )
        .await;
        assert_eq!(answer.status, 401, "{path} signed as {other:?}");
    }
    let sent = receiver.publisher().sent.lock().unwrap();
    assert_eq!(sent.len(), 12);
    for (index, message) in sent.iter().enumerate() {
        let source = &message.attributes[0];
        assert_eq!(source.0, "source");
        let (name, queue) = match index / 4 {
            0 => ("actigraph", OTHER_QUEUE),
            1 => ("bracken", QUEUE),
            _ => ("billing", QUEUE),
        };
        assert_eq!(source.1, name);
        assert_eq!(&*message.queue_url, queue);
        // The FIFO queue groups by the source name unless told otherwise.
        let group = (queue == OTHER_QUEUE).then(|| name.to_owned());
        assert_eq!(message.group_id, group);
    }
}

#[tokio::test]
async fn unknown_routes_answer_one_static_404() {
    let receiver = three();
    let headers = signed_headers(Scheme::Bracken, BODY, None);
    let mut bodies = Vec::new();
    for path in [
        "/webhooks/stripe",
        "/webhooks/Bracken",
        "/webhooks/bracken/",
        "/webhooks//bracken",
        "/webhooks/bracken%2F",
        "/webhooks/%62racken",
        "/webhooks/../webhooks/bracken",
        "/webhook",
        "/",
        "",
        &format!("/webhooks/{}", "b".repeat(5000)),
    ] {
        for shape in Shape::ALL {
            let answer = invoke(
                &receiver,
                &from(shape, &at(path, headers.clone(), BODY), "203.0.113.7"),
            )
            .await;
            assert_eq!(answer.status, 404, "{path:?} {shape:?}");
            bodies.push(answer.body);
        }
    }
    bodies.dedup();
    assert_eq!(bodies, [r#"{"error":"not_found"}"#]);
    // The method is checked first: a GET anywhere is 405.
    let get = HttpRequest {
        method: "GET",
        ..at("/webhooks/stripe", headers.clone(), BODY)
    };
    assert_eq!(
        invoke(&receiver, &event(Shape::HttpV2, &get)).await.status,
        405
    );
    assert_eq!(receiver.publisher().count(), 0);
}

#[tokio::test]
async fn senders_outside_the_allowed_networks_get_403_before_verification() {
    let receiver = three();
    let path = "/webhooks/actigraph";
    for shape in Shape::ALL {
        for (sender, status) in [
            ("203.0.113.200", 200),
            ("2001:db8:5::1", 200),
            ("198.51.100.1", 403),
            ("2001:db9::1", 403),
        ] {
            let headers = signed_headers(Scheme::ActiGraph, BODY, None);
            let answer = invoke(&receiver, &from(shape, &at(path, headers, BODY), sender)).await;
            assert_eq!(answer.status, status, "{shape:?} from {sender}");
        }
        // Unsigned, from outside: still 403, no signature work said otherwise.
        let answer = invoke(
            &receiver,
            &from(shape, &at(path, vec![], BODY), "198.51.100.1"),
        )
        .await;
        assert_eq!(answer.status, 403);
        assert_eq!(answer.body, r#"{"error":"forbidden"}"#);
    }
    // A client-written X-Forwarded-For never stands in for the address AWS recorded.
    for shape in [Shape::RestV1, Shape::HttpV2, Shape::FunctionUrl] {
        let mut headers = signed_headers(Scheme::ActiGraph, BODY, None);
        headers.push(("X-Forwarded-For".into(), "203.0.113.5".into()));
        let answer = invoke(
            &receiver,
            &from(shape, &at(path, headers, BODY), "198.51.100.1"),
        )
        .await;
        assert_eq!(answer.status, 403, "{shape:?}");
    }
    // Behind an ALB only its own (last) entry counts.
    let headers = signed_headers(Scheme::ActiGraph, BODY, None);
    let mut payload = event(Shape::Alb, &at(path, headers, BODY));
    payload["multiValueHeaders"]["X-Forwarded-For"] = json!(["203.0.113.5, 198.51.100.1"]);
    assert_eq!(invoke(&receiver, &payload).await.status, 403);
    // The other sources take any sender.
    let headers = signed_headers(Scheme::Bracken, BODY, None);
    let answer = invoke(
        &receiver,
        &from(
            Shape::HttpV2,
            &at("/webhooks/bracken", headers, BODY),
            "198.51.100.1",
        ),
    )
    .await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn each_source_has_its_own_size_limit() {
    let receiver = three();
    let big = format!(r#"{{"pad":"{}"}}"#, "x".repeat(5000));
    let headers = signed_headers(Scheme::StandardWebhooks, big.as_bytes(), Some("msg_big"));
    let answer = invoke(
        &receiver,
        &event(
            Shape::HttpV2,
            &at("/webhooks/billing", headers, big.as_bytes()),
        ),
    )
    .await;
    assert_eq!(answer.status, 413);
    let headers = signed_headers(Scheme::Bracken, big.as_bytes(), None);
    let answer = invoke(
        &receiver,
        &event(
            Shape::HttpV2,
            &at("/webhooks/bracken", headers, big.as_bytes()),
        ),
    )
    .await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn every_one_of_three_rotating_secrets_is_accepted() {
    let secrets = [
        "first-secret-0123456789",
        "second-secret-0123456789",
        "third-secret-0123456789",
    ];
    let document = json!({"sources": [
        {"name": "onecentre", "scheme": "onecentre", "secrets": ["env:S1", "env:S2", "env:S3"]},
    ]});
    let receiver = Receiver::new(
        sources_config(
            &document,
            &[("S1", secrets[0]), ("S2", secrets[1]), ("S3", secrets[2])],
        ),
        FakeQueue::default(),
    );
    let delivery = Delivery {
        id: None,
        timestamp: now_secs(),
    };
    for secret in secrets.iter().chain(&["fourth-secret-0123456789"]) {
        let headers = sign(Scheme::OneCentre, secret.as_bytes(), BODY, &delivery)
            .unwrap()
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v))
            .collect();
        let answer = invoke(
            &receiver,
            &event(Shape::HttpV2, &at("/webhooks/onecentre", headers, BODY)),
        )
        .await;
        let expected = if secret.starts_with("fourth") {
            401
        } else {
            200
        };
        assert_eq!(answer.status, expected, "{secret}");
    }
}

#[tokio::test]
async fn a_source_waiting_for_its_store_answers_503_never_401() {
    let document = json!({"sources": [
        {"name": "bracken", "scheme": "bracken", "secrets": ["secretsmanager:hookline/bracken"]},
    ]});
    let receiver = Receiver::new(sources_config(&document, &[]), FakeQueue::default());
    let headers = signed_headers(Scheme::Bracken, BODY, None);
    let answer = invoke(
        &receiver,
        &event(Shape::HttpV2, &at("/webhooks/bracken", headers, BODY)),
    )
    .await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.header("retry-after").as_deref(), Some("1"));
}

#[tokio::test]
async fn the_single_source_variables_still_answer_on_every_path() {
    let receiver = Receiver::new(config(Scheme::Bracken, QUEUE, &[]), FakeQueue::default());
    for path in ["/webhook", "/webhooks/anything", "/", "/prod/hooks"] {
        let headers = signed_headers(Scheme::Bracken, BODY, None);
        let answer = invoke(&receiver, &event(Shape::HttpV2, &at(path, headers, BODY))).await;
        assert_eq!(answer.status, 200, "{path}");
    }
    let sent = receiver.publisher().sent.lock().unwrap();
    assert!(
        sent.iter()
            .all(|m| m.attributes[0] == ("source", "bracken".to_owned()))
    );
}
