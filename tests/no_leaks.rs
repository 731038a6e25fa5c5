//! Every outcome, for every scheme, with tracing captured at TRACE through
//! the receiver's own filter: no secret, signature value or body may appear.

mod common;

use common::*;
use hookline::logging::Captured;
use hookline::publish::PublishError;
use hookline::sample_event::Shape;
use hookline::{Receiver, Scheme};

const BODY: &[u8] = br#"{"marker":"body-text-that-must-not-be-logged"}"#;

#[tokio::test]
async fn no_outcome_logs_a_secret_a_signature_or_the_body() {
    let captured = Captured::default();
    let _guard = captured.install("trace", true);

    let mut forbidden: Vec<String> = vec!["body-text-that-must-not-be-logged".into()];
    for scheme in Scheme::ALL {
        forbidden.push(secret_for(scheme).into());
        let receiver = Receiver::new(
            config(scheme, "http://127.0.0.1:1/123456789012/q", &[]),
            FakeQueue::default(),
        );
        let signed = signed_headers(scheme, BODY, Some("evt_leak"));
        forbidden.extend(
            signed
                .iter()
                .filter(|(n, _)| {
                    n != "Content-Type"
                        && n != "Webhook-Id"
                        && n != "X-Actigraph-Delivery"
                        && n != "Webhook-Timestamp"
                })
                .map(|(_, v)| v.clone()),
        );
        let wrong = hookline::sign::sign(
            scheme,
            b"wrong:secret",
            BODY,
            &hookline::sign::Delivery {
                id: Some("evt_leak"),
                timestamp: now_secs(),
            },
        )
        .unwrap()
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .collect::<Vec<_>>();
        forbidden.extend(
            wrong
                .iter()
                .filter(|(n, _)| {
                    *n != "webhook-id" && *n != "webhook-timestamp" && *n != "x-actigraph-delivery"
                })
                .map(|(_, v)| v.clone()),
        );

        let mut statuses = Vec::new();
        statuses.push(
            send(
                &receiver,
                Shape::HttpV2,
                &request(signed.clone(), BODY, false),
            )
            .await
            .status,
        );
        statuses.push(
            send(&receiver, Shape::RestV1, &request(wrong, BODY, false))
                .await
                .status,
        );
        let not_json = b"body-text-that-must-not-be-logged";
        statuses.push(
            send(
                &receiver,
                Shape::Alb,
                &request(signed_headers(scheme, not_json, None), not_json, false),
            )
            .await
            .status,
        );
        let mut get = request(signed.clone(), BODY, false);
        get.method = "GET";
        statuses.push(send(&receiver, Shape::HttpV2, &get).await.status);
        let big = format!("\"{}\"", "body-text-that-must-not-be-logged".repeat(40_000));
        statuses.push(
            send(
                &receiver,
                Shape::HttpV2,
                &request(
                    signed_headers(scheme, big.as_bytes(), None),
                    big.as_bytes(),
                    false,
                ),
            )
            .await
            .status,
        );
        *receiver.publisher().failure.lock().unwrap() =
            Some(PublishError::Unreachable("connection refused".into()));
        statuses.push(
            send(
                &receiver,
                Shape::HttpV2,
                &request(signed.clone(), BODY, false),
            )
            .await
            .status,
        );
        if scheme.is_actigraph_family() {
            let handshake = vec![
                ("X-ActiGraph-Event".into(), "validation".into()),
                (
                    "X-ActiGraph-Hook-Secret".into(),
                    "handshake-code-0001".into(),
                ),
            ];
            statuses.push(
                send(&receiver, Shape::HttpV2, &request(handshake, BODY, false))
                    .await
                    .status,
            );
        }
        statuses.sort_unstable();
        statuses.dedup();
        assert_eq!(
            statuses,
            [200, 400, 401, 405, 413, 503],
            "{scheme:?}: every outcome ran"
        );
    }

    let logs = captured.text();
    assert!(
        logs.lines().count() >= 6 * 6,
        "the request lines were captured:\n{logs}"
    );
    for needle in &forbidden {
        assert!(
            !logs.contains(needle.as_str()),
            "{needle:?} appears in the logs"
        );
    }
}
