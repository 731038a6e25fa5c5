//! Standard Webhooks against the specification's own Python library
//! (`standardwebhooks`, `tests/standard_webhooks/official.py`): each
//! delivery signed as a sender using it would sign it is answered 200 by
//! hookline, in every event shape, exactly when the library's own `verify`
//! accepts it, and the body enqueued is the one signed.

mod common;

use std::process::Command;

use common::{FakeQueue, config, send};
use hookline::sample_event::{HttpRequest, Shape};
use hookline::{Receiver, Scheme};
use serde::Deserialize;

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

#[derive(Deserialize)]
struct Delivery {
    name: String,
    id: String,
    timestamp: String,
    signature: String,
    body: String,
    official: bool,
}

fn official_deliveries() -> Vec<Delivery> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/standard_webhooks/official.py"
    );
    let output = Command::new(common::moto::venv_bin("PYTHON", "python"))
        .arg(script)
        .arg(common::now_secs().to_string())
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("official.py writes JSON")
}

#[tokio::test]
async fn hookline_accepts_what_the_official_library_accepts() {
    let deliveries = official_deliveries();
    assert!(deliveries.iter().any(|d| d.official) && deliveries.iter().any(|d| !d.official));
    for shape in Shape::ALL {
        let receiver = Receiver::new(
            config(
                Scheme::StandardWebhooks,
                "https://sqs.us-east-1.amazonaws.com/123456789012/hooks",
                &[("WEBHOOK_SECRET", SECRET)],
            ),
            FakeQueue::default(),
        );
        for delivery in &deliveries {
            let headers = vec![
                ("webhook-id".to_owned(), delivery.id.clone()),
                ("webhook-timestamp".to_owned(), delivery.timestamp.clone()),
                ("webhook-signature".to_owned(), delivery.signature.clone()),
                ("content-type".to_owned(), "application/json".to_owned()),
            ];
            let request = HttpRequest {
                method: "POST",
                path: "/webhook",
                headers,
                body: delivery.body.as_bytes(),
                base64: false,
                request_id: "req-sw",
            };
            let answer = send(&receiver, shape, &request).await;
            let case = format!("{} ({shape:?}): {}", delivery.name, answer.body);
            assert_eq!(answer.status == 200, delivery.official, "{case}");
            if delivery.official {
                let sent = receiver
                    .publisher()
                    .sent
                    .lock()
                    .unwrap()
                    .pop()
                    .expect(&case);
                assert_eq!(sent.body, delivery.body, "{case}");
                let event_id = sent.attributes.iter().find(|(name, _)| *name == "event_id");
                assert_eq!(
                    event_id.map(|(_, v)| v.as_str()),
                    Some(delivery.id.as_str()),
                    "{case}"
                );
            } else {
                assert_eq!(answer.status, 401, "{case}");
            }
        }
        assert!(receiver.publisher().sent.lock().unwrap().is_empty());
    }
}
