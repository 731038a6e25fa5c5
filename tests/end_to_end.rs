//! The real `hookline` binary, run as Lambda runs it (against a stand-in for
//! the Runtime API), publishing to a real SQS-compatible server (moto).

mod common;

use std::time::{Duration, Instant};

use common::function::{Function, block_on};
use common::moto::Moto;
use common::{now_secs, secret_for, signed_headers};
use hookline::Scheme;
use hookline::sample_event::Shape;
use serde_json::Value;

fn attribute(message: &aws_sdk_sqs::types::Message, name: &str) -> Option<String> {
    message
        .message_attributes()?
        .get(name)?
        .string_value()
        .map(str::to_owned)
}

#[test]
fn signed_events_reach_the_queue_byte_for_byte() {
    let moto = Moto::start();
    let cases: [(Scheme, Shape, &[u8]); 4] = [
        (
            Scheme::StandardWebhooks,
            Shape::HttpV2,
            br#"{"type":"invoice.paid","amount":1200,"note":"caf\u00e9 \u2603"}"#,
        ),
        (
            Scheme::Bracken,
            Shape::RestV1,
            b"{ \"user\": \"Test-User\", \"score\": 1.0, \"tags\": [\"a\", \"b\"] }\n",
        ),
        (
            Scheme::OneCentre,
            Shape::FunctionUrl,
            r#"{"company_name":"Acme","emoji":"😀"}"#.as_bytes(),
        ),
        (Scheme::ActiGraph, Shape::Alb, br#"{"Test":"Value"}"#),
    ];
    for (scheme, shape, body) in cases {
        let queue = block_on(moto.create_queue(&format!("hooks-{}", scheme.name())));
        let mut function = Function::start(scheme, &queue, &moto.endpoint(), &[]);
        let headers = signed_headers(scheme, body, Some("evt_e2e_1"));
        let signature_values: Vec<String> = headers.iter().map(|(_, v)| v.clone()).collect();
        let (status, response) = function.send(shape, headers, body);
        assert_eq!(status, 200, "{scheme:?}: {response}");

        let messages = block_on(moto.drain(&queue));
        assert_eq!(messages.len(), 1, "{scheme:?}");
        let message = &messages[0];
        // Byte for byte what the signature covers: the body, or for
        // Bracken's loose JSON the text its Node sample signed.
        let signed = match scheme {
            Scheme::Bracken => hookline::js_json::restringify(body).unwrap(),
            _ => body.to_vec(),
        };
        assert_eq!(
            message.body().unwrap().as_bytes(),
            signed,
            "{scheme:?}: body byte for byte"
        );
        let reply: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
        assert_eq!(reply["id"].as_str(), message.message_id());
        assert_eq!(attribute(message, "source").as_deref(), Some(scheme.name()));
        assert!(attribute(message, "request_id").is_some());
        assert!(attribute(message, "received_at").unwrap().ends_with('Z'));
        use sha2::Digest;
        assert_eq!(
            attribute(message, "body_sha256"),
            Some(hex::encode(sha2::Sha256::digest(&signed)))
        );
        if scheme != Scheme::OneCentre && scheme != Scheme::Bracken {
            assert_eq!(attribute(message, "event_id").as_deref(), Some("evt_e2e_1"));
        }

        // One log line per request; nothing secret, no signature, no body.
        let logs = function.logs_with("\"outcome\":\"enqueued\"");
        assert!(logs.contains("\"outcome\":\"enqueued\""), "{logs}");
        assert!(!logs.contains(secret_for(scheme)), "secret in logs");
        for value in signature_values.iter().filter(|v| v.len() > 12) {
            assert!(
                !logs.contains(value.as_str()),
                "signature header value in logs: {value}"
            );
        }
        let body_text = String::from_utf8_lossy(body);
        assert!(!logs.contains(body_text.trim()), "body in logs");
    }
}

#[test]
fn fifo_queue_drops_a_redelivered_event() {
    let moto = Moto::start();
    let queue = block_on(moto.create_queue("hooks.fifo"));
    let mut function = Function::start(Scheme::StandardWebhooks, &queue, &moto.endpoint(), &[]);
    let body = br#"{"type":"order.created","order":7}"#;
    for _ in 0..2 {
        let (status, _) = function.send(
            Shape::HttpV2,
            signed_headers(Scheme::StandardWebhooks, body, Some("msg_same")),
            body,
        );
        assert_eq!(status, 200);
    }
    let (status, _) = function.send(
        Shape::HttpV2,
        signed_headers(Scheme::StandardWebhooks, body, Some("msg_other")),
        body,
    );
    assert_eq!(status, 200);
    let messages = block_on(moto.drain(&queue));
    let ids: Vec<_> = messages
        .iter()
        .filter_map(|m| attribute(m, "event_id"))
        .collect();
    assert_eq!(ids, ["msg_same", "msg_other"]);
    for message in &messages {
        let group = message
            .attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId));
        assert_eq!(group.map(String::as_str), Some("standard-webhooks"));
    }
}

#[test]
fn queue_outage_is_503_and_the_retry_lands_exactly_once() {
    let mut moto = Moto::start();
    let queue = block_on(moto.create_queue("hooks-outage"));
    let mut function = Function::start(
        Scheme::OneCentre,
        &queue,
        &moto.endpoint(),
        &[("SQS_TIMEOUT_MS", "2000")],
    );
    let body = br#"{"event":"application.approved","id":1}"#;
    let (status, _) = function.send(
        Shape::HttpV2,
        signed_headers(Scheme::OneCentre, body, None),
        body,
    );
    assert_eq!(status, 200);
    assert_eq!(block_on(moto.drain(&queue)).len(), 1);

    moto.stop();
    let started = Instant::now();
    let (status, response) = function.send(
        Shape::HttpV2,
        signed_headers(Scheme::OneCentre, body, None),
        body,
    );
    assert_eq!(status, 503, "{response}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "bounded by SQS_TIMEOUT_MS, not by Lambda's timeout"
    );
    let logs = function.logs_with("\"outcome\":\"failed\"");
    assert!(
        logs.contains("\"reason\":\"unreachable\"") || logs.contains("\"reason\":\"timeout\""),
        "{logs}"
    );

    // The queue comes back (empty, as moto keeps no state); the sender retries.
    let moto = Moto::start_on(moto.port);
    let queue_again = block_on(moto.create_queue("hooks-outage"));
    assert_eq!(queue_again, queue);
    let (status, _) = function.send(
        Shape::HttpV2,
        signed_headers(Scheme::OneCentre, body, None),
        body,
    );
    assert_eq!(status, 200);
    let messages = block_on(moto.drain(&queue));
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].body().unwrap().as_bytes(), body);
}

#[test]
fn rejected_requests_enqueue_nothing() {
    let moto = Moto::start();
    let queue = block_on(moto.create_queue("hooks-rejects"));
    let mut function = Function::start(Scheme::StandardWebhooks, &queue, &moto.endpoint(), &[]);
    let body = br#"{"a":1}"#;
    let mut stale = signed_headers(Scheme::StandardWebhooks, body, Some("msg_1"));
    stale[1].1 = (now_secs() - 3600).to_string();
    type Case<'a> = (Vec<(String, String)>, &'a [u8], u16);
    let cases: Vec<Case> = vec![
        (vec![], body, 401),
        (stale, body, 401),
        (
            signed_headers(Scheme::StandardWebhooks, b"not json", Some("msg_2")),
            b"not json",
            400,
        ),
    ];
    for (headers, body, want) in cases {
        let (status, response) = function.send(Shape::HttpV2, headers, body);
        assert_eq!(status, want, "{response}");
    }
    assert!(block_on(moto.drain(&queue)).is_empty());
}

#[test]
fn bad_configuration_fails_init_naming_the_variable_to_the_runtime_api() {
    for (var, value) in [
        ("WEBHOOK_SCHEME", "github"),
        ("QUEUE_URL", "not-a-queue"),
        ("WEBHOOK_SECRET", ""),
        ("WEBHOOK_TOLERANCE_SECONDS", "soon"),
    ] {
        let mut function = Function::start(
            Scheme::Basic,
            "https://sqs.us-east-1.amazonaws.com/123456789012/q",
            "http://127.0.0.1:9",
            &[(var, value)],
        );
        // Reported to the Runtime API, so the invocation fails with it.
        let (kind, error) = function.init_error();
        assert_eq!(kind, "Runtime.ConfigurationError", "{var}");
        assert_eq!(error["errorType"], "ConfigurationError", "{var}");
        let message = error["errorMessage"].as_str().unwrap();
        assert!(message.contains(var), "{var}: {message}");
        assert!(!message.contains(secret_for(Scheme::Basic)), "{message}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = function.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "function with bad {var} kept running"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(!status.success(), "{var}");
        let logs = function.logs_with(var);
        assert!(logs.contains(var), "{var}: {logs}");
        assert!(
            !logs.contains(secret_for(Scheme::Basic)),
            "secret in init error"
        );
    }
}

#[test]
fn no_log_filter_an_operator_writes_prints_a_payload() {
    let moto = Moto::start();
    let queue = block_on(moto.create_queue("hooks-log-filters"));
    let body = br#"{"marker":"payload-that-must-not-be-logged"}"#;
    // Span and field directives enable every target inside the span, which
    // an EnvFilter cap alone does not hold back.
    for filter in [
        "[{requestId}]=trace",
        "[Lambda runtime invoke]=trace",
        "[Lambda runtime invoke{requestId}]=trace",
        "[{xrayTraceId}]=trace",
        "debug,[worker]=trace",
        "trace,[{requestId}]=trace,lambda_runtime=trace,aws_smithy_runtime=trace,aws_smithy_http_client=trace,hyper=trace,h2=trace",
        "debug,lambda_runtime::layers::api_response=trace,aws_sigv4=trace",
    ] {
        let mut function = Function::start(
            Scheme::Bracken,
            &queue,
            &moto.endpoint(),
            &[("RUST_LOG", filter)],
        );
        let headers = signed_headers(Scheme::Bracken, body, None);
        let signature = headers[0].1.trim_start_matches("HMACSHA256 ").to_owned();
        let (status, response) = function.send(Shape::HttpV2, headers, body);
        assert_eq!(status, 200, "{filter}: {response}");
        let logs = function.logs_with("\"outcome\":\"enqueued\"");
        assert!(
            logs.contains("\"outcome\":\"enqueued\""),
            "{filter}: {logs}"
        );
        assert!(
            logs.contains("\"level\":\"DEBUG\""),
            "{filter}: the directive took effect"
        );
        for needle in [
            "payload-that-must-not-be-logged",
            signature.as_str(),
            secret_for(Scheme::Bracken),
        ] {
            assert!(!logs.contains(needle), "{filter}: {needle:?} in the logs");
        }
    }
    assert_eq!(block_on(moto.drain(&queue)).len(), 7);
}

/// Three providers in one process, two queues: every status, and each
/// accepted event on its source's queue with `source` = the source's name.
#[test]
fn three_sources_in_one_process_on_two_queues() {
    use hookline::sample_event::{HttpRequest, event};
    use serde_json::json;

    let moto = Moto::start();
    let events = block_on(moto.create_queue("hooks-events"));
    let fifo = block_on(moto.create_queue("hooks-actigraph.fifo"));
    let sources = json!({"sources": [
        {"name": "actigraph", "scheme": "actigraph", "secrets": ["env:ACTIGRAPH_SECRET"],
         "allowed_networks": ["203.0.113.0/24"], "queue_url": fifo},
        {"name": "bracken", "scheme": "bracken", "secrets": ["env:BRACKEN_SECRET"]},
        {"name": "billing", "scheme": "standard-webhooks",
         "secrets": ["env:OLD_SECRET", "env:BILLING_SECRET"], "max_body_bytes": 2048},
    ]})
    .to_string();
    let mut function = Function::start(
        Scheme::OneCentre,
        &events,
        &moto.endpoint(),
        &[
            ("WEBHOOK_SCHEME", ""),
            ("WEBHOOK_SECRET", ""),
            ("HOOKLINE_SOURCES", &sources),
            ("ACTIGRAPH_SECRET", secret_for(Scheme::ActiGraph)),
            ("BRACKEN_SECRET", secret_for(Scheme::Bracken)),
            ("BILLING_SECRET", secret_for(Scheme::StandardWebhooks)),
            ("OLD_SECRET", "whsec_b2xkLXNlY3JldC1vbGQtc2VjcmV0"),
        ],
    );
    let body: &[u8] = br#"{"event":"x","n":1}"#;
    let mut send =
        |shape: Shape, path: &str, method: &str, scheme: Scheme, sender: &str, body: &[u8]| {
            let request = HttpRequest {
                method,
                path,
                ..common::request(signed_headers(scheme, body, Some("evt_3src")), body, false)
            };
            let mut payload = event(shape, &request);
            match shape {
                Shape::RestV1 => payload["requestContext"]["identity"]["sourceIp"] = json!(sender),
                Shape::Alb => payload["multiValueHeaders"]["X-Forwarded-For"] = json!([sender]),
                _ => payload["requestContext"]["http"]["sourceIp"] = json!(sender),
            }
            function.send_event(&payload).0
        };
    let inside = "203.0.113.9";
    for shape in Shape::ALL {
        assert_eq!(
            send(
                shape,
                "/webhooks/actigraph",
                "POST",
                Scheme::ActiGraph,
                inside,
                body
            ),
            200,
            "{shape:?}"
        );
        assert_eq!(
            send(
                shape,
                "/prod/webhooks/bracken",
                "POST",
                Scheme::Bracken,
                "198.51.100.1",
                body
            ),
            200,
            "{shape:?}"
        );
        assert_eq!(
            send(
                shape,
                "/webhooks/billing",
                "POST",
                Scheme::StandardWebhooks,
                "2001:db8::1",
                body
            ),
            200,
            "{shape:?}"
        );
        assert_eq!(
            send(
                shape,
                "/webhooks/actigraph",
                "POST",
                Scheme::ActiGraph,
                "198.51.100.1",
                body
            ),
            403,
            "{shape:?}"
        );
        assert_eq!(
            send(
                shape,
                "/webhooks/stripe",
                "POST",
                Scheme::Bracken,
                inside,
                body
            ),
            404,
            "{shape:?}"
        );
        assert_eq!(
            send(
                shape,
                "/webhooks/bracken",
                "POST",
                Scheme::ActiGraph,
                inside,
                body
            ),
            401,
            "{shape:?}"
        );
        assert_eq!(
            send(
                shape,
                "/webhooks/bracken",
                "GET",
                Scheme::Bracken,
                inside,
                body
            ),
            405,
            "{shape:?}"
        );
        let big = format!(r#"{{"pad":"{}"}}"#, "x".repeat(3000));
        assert_eq!(
            send(
                shape,
                "/webhooks/billing",
                "POST",
                Scheme::StandardWebhooks,
                inside,
                big.as_bytes()
            ),
            413,
            "{shape:?}"
        );
        assert_eq!(
            send(
                shape,
                "/webhooks/billing",
                "POST",
                Scheme::StandardWebhooks,
                inside,
                b"not json"
            ),
            400,
            "{shape:?}"
        );
    }
    let on_events = block_on(moto.drain(&events));
    let on_fifo = block_on(moto.drain(&fifo));
    assert_eq!(
        on_fifo.len(),
        1,
        "four identical ActiGraph bodies: FIFO deduplicates on the body's digest, its HMAC not covering the delivery id"
    );
    assert_eq!(
        attribute(&on_fifo[0], "source").as_deref(),
        Some("actigraph")
    );
    assert_eq!(on_events.len(), 8);
    let mut names: Vec<String> = on_events
        .iter()
        .map(|m| attribute(m, "source").unwrap())
        .collect();
    names.sort();
    assert_eq!(names, [["billing"; 4], ["bracken"; 4]].concat());
    for message in on_events.iter().chain(&on_fifo) {
        assert_eq!(message.body(), Some(std::str::from_utf8(body).unwrap()));
    }
    // One EMF document per request on stdout, by source and outcome.
    let logs = function.logs_with("\"_aws\"");
    let documents: Vec<serde_json::Value> = logs
        .lines()
        .filter(|line| line.starts_with("{\"_aws\""))
        .map(|line| serde_json::from_str(line).expect("an EMF line is JSON"))
        .collect();
    assert_eq!(documents.len(), 36, "nine requests in each of four shapes");
    let count = |source: &str, metric: &str| {
        documents
            .iter()
            .filter(|d| d["source"] == source)
            .map(|d| d[metric].as_f64().unwrap_or(0.0))
            .sum::<f64>()
    };
    assert_eq!(count("billing", "Enqueued"), 4.0);
    assert_eq!(
        count("billing", "Rejected"),
        8.0,
        "413 and 400 in each shape"
    );
    assert_eq!(count("actigraph", "Rejected"), 4.0, "403 in each shape");
    assert_eq!(count("unknown", "Rejected"), 4.0, "404 in each shape");
    assert_eq!(count("bracken", "Requests"), 12.0);
    assert!(documents.iter().any(|d| d["reason"] == "forbidden_network"));
    assert_eq!(
        documents.iter().filter(|d| d["ColdStart"] == 1).count(),
        1,
        "one cold start"
    );
}

/// Two sources holding one secret still start (a deployment keeps working),
/// and init warns, naming both sources and never the value: the unsigned path
/// is all that tells them apart.
#[test]
fn sources_sharing_a_secret_start_with_a_warning_naming_both() {
    use serde_json::json;

    let moto = Moto::start();
    let queue = block_on(moto.create_queue("hooks-shared"));
    let sources = json!({"sources": [
        {"name": "eu", "scheme": "bracken", "secrets": ["env:SHARED_SECRET"]},
        {"name": "us", "scheme": "bracken", "secrets": ["env:OTHER", "env:SHARED_SECRET"]},
    ]})
    .to_string();
    let secret = secret_for(Scheme::Bracken);
    let mut function = Function::start(
        Scheme::Bracken,
        &queue,
        &moto.endpoint(),
        &[
            ("WEBHOOK_SCHEME", ""),
            ("WEBHOOK_SECRET", ""),
            ("HOOKLINE_SOURCES", &sources),
            ("SHARED_SECRET", secret),
            ("OTHER", "another-secret-of-some-length"),
        ],
    );
    let body: &[u8] = br#"{"event":"shared"}"#;
    for path in ["/webhooks/eu", "/webhooks/us"] {
        let request = hookline::sample_event::HttpRequest {
            path,
            ..common::request(signed_headers(Scheme::Bracken, body, None), body, false)
        };
        let payload = hookline::sample_event::event(Shape::HttpV2, &request);
        assert_eq!(function.send_event(&payload).0, 200, "{path}");
    }
    let warning = function.log_line_with("share a secret");
    let logs = function.logs();
    assert!(warning.contains("\"WARN\""), "{warning}");
    assert!(warning.contains(r#"\"eu\" secrets[0]"#), "{warning}");
    assert!(warning.contains(r#"\"us\" secrets[1]"#), "{warning}");
    assert!(!logs.contains(secret), "the secret's value in the logs");
    assert_eq!(block_on(moto.drain(&queue)).len(), 2);
}
