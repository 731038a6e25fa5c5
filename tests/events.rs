//! Every file in `events/` answers with the status its name promises
//! (`<scheme>.<case>.<shape>.<status>.json`), so the samples cannot rot.
//! Standard Webhooks samples are replayed at the time they were signed.

mod common;

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use common::{FakeQueue, LAMBDA_REQUEST_ID, config, runtime_reads};
use hookline::lambda_event::respond_at;
use hookline::{Receiver, Scheme};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("events")
}

fn read(path: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// What `tools/run-local` serves: each scheme a source of its own name,
/// with the samples' secrets.
fn every_scheme_as_a_source() -> Receiver<FakeQueue> {
    let sources: Vec<Value> = Scheme::ALL
        .iter()
        .map(|scheme| {
            serde_json::json!({
                "name": scheme.name(),
                "scheme": scheme.name(),
                "secrets": [format!("env:SECRET_{}", scheme.name().replace('-', "_").to_uppercase())],
            })
        })
        .collect();
    let document = serde_json::json!({ "sources": sources }).to_string();
    let config = hookline::Config::from_lookup(|var| match var {
        "HOOKLINE_SOURCES" => Some(document.clone().into()),
        "QUEUE_URL" => Some("http://127.0.0.1:1/123456789012/q".into()),
        _ => Scheme::ALL
            .into_iter()
            .find(|s| var == format!("SECRET_{}", s.name().replace('-', "_").to_uppercase()))
            .map(|s| common::secret_for(s).into()),
    })
    .unwrap();
    Receiver::new(config, FakeQueue::default())
}

#[tokio::test]
async fn every_sample_event_answers_as_its_name_says() {
    let signed_at = read(&events_dir().join("standard-webhooks.valid.http-v2.200.json"))["headers"]
        ["webhook-timestamp"]
        .as_str()
        .expect("the Standard Webhooks sample carries its timestamp")
        .parse::<u64>()
        .unwrap();
    let now = UNIX_EPOCH + Duration::from_secs(signed_at);

    let mut names: Vec<String> = std::fs::read_dir(events_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() >= 20, "{names:?}");

    for name in &names {
        let parts: Vec<&str> = name.trim_end_matches(".json").split('.').collect();
        let [scheme, _case, _shape, status] = parts[..] else {
            panic!("bad sample name {name}")
        };
        let scheme: Scheme = scheme.parse().unwrap();
        let status: u16 = status.parse().unwrap();

        // As a single-source deployment, and as one source among all.
        let single = Receiver::new(
            config(scheme, "http://127.0.0.1:1/123456789012/q", &[]),
            FakeQueue::default(),
        );
        let every = every_scheme_as_a_source();
        for receiver in [&single, &every] {
            let payload = runtime_reads(&read(&events_dir().join(name)));
            let mut context = Context::default();
            context.request_id = LAMBDA_REQUEST_ID.into();
            let response = serde_json::to_value(
                respond_at(receiver, LambdaEvent::new(payload, context), now).await,
            )
            .unwrap();
            assert_eq!(response["statusCode"], status, "{name}: {response}");
            assert_eq!(
                receiver.publisher().count(),
                usize::from(status == 200 && !name.contains("handshake")),
                "{name}"
            );
        }
    }

    // What the samples must cover.
    for scheme in Scheme::ALL {
        for status in ["200", "401"] {
            assert!(
                names
                    .iter()
                    .any(|n| n.starts_with(&format!("{}.", scheme.name()))
                        && n.ends_with(&format!(".{status}.json"))),
                "{scheme:?} {status}"
            );
        }
    }
    for needle in [
        ".rest-v1.",
        "base64",
        "handshake",
        "stale",
        ".alb.",
        ".function-url.",
    ] {
        assert!(
            names.iter().any(|n| n.contains(needle)),
            "no sample with {needle}"
        );
    }
}
