//! The real binary with its secrets in Secrets Manager and Parameter Store
//! (moto): each reference form, rotation without a rejected sender, and a
//! store unreachable at cold start answered 503 until it returns.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_ssm::types::ParameterType;
use common::fault_proxy::{Fault, FaultProxy};
use common::function::{Function, block_on};
use common::moto::{Moto, free_port};
use common::store::sdk;
use hookline::Scheme;
use hookline::sample_event::{HttpRequest, Shape, event};
use hookline::sign::{Delivery, sign};

async fn clients(endpoint: &str) -> (aws_sdk_secretsmanager::Client, aws_sdk_ssm::Client) {
    let sdk = sdk(endpoint).await;
    (
        aws_sdk_secretsmanager::Client::new(&sdk),
        aws_sdk_ssm::Client::new(&sdk),
    )
}

/// Sends `body` to `path` signed for `scheme` with `secret`; the status.
fn send(function: &mut Function, scheme: Scheme, path: &str, secret: &str, body: &[u8]) -> u16 {
    let headers = sign(
        scheme,
        secret.as_bytes(),
        body,
        &Delivery {
            id: Some("evt_secret"),
            timestamp: common::now_secs(),
        },
    )
    .unwrap()
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v))
    .collect();
    let request = HttpRequest {
        path,
        ..common::request(headers, body, false)
    };
    function.send_event(&event(Shape::HttpV2, &request)).0
}

/// `wait_ms`: how long a request waits for its secrets. Tests that expect the
/// first request to pass give it room: a cold start's fetch on a loaded
/// machine can take longer than the default bound.
fn start(
    moto_sqs: &Moto,
    store_endpoint: &str,
    queue: &str,
    sources: &str,
    wait_ms: &str,
) -> Function {
    Function::start(
        Scheme::OneCentre,
        queue,
        &moto_sqs.endpoint(),
        &[
            ("WEBHOOK_SCHEME", ""),
            ("WEBHOOK_SECRET", ""),
            ("HOOKLINE_SOURCES", sources),
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER", store_endpoint),
            ("AWS_ENDPOINT_URL_SSM", store_endpoint),
            ("SECRETS_TTL_SECONDS", "1"),
            ("SECRETS_WAIT_MS", wait_ms),
        ],
    )
}

#[test]
fn secrets_manager_and_ssm_references_rotation_and_json_keys() {
    let moto = Moto::start();
    let queue = block_on(moto.create_queue("hooks-secrets"));
    let (sm, ssm) = block_on(clients(&moto.endpoint()));
    block_on(async {
        sm.create_secret()
            .name("hookline/bracken")
            .secret_string("bracken-secret-one-0123")
            .send()
            .await
            .unwrap();
        sm.create_secret()
            .name("hookline/json")
            .secret_string(r#"{"signing":"json-held-secret-0123","other":"x"}"#)
            .send()
            .await
            .unwrap();
        ssm.put_parameter()
            .name("/hookline/onecentre")
            .value("onecentre-from-ssm-0123")
            .r#type(ParameterType::SecureString)
            .send()
            .await
            .unwrap();
    });
    let sources = r#"{"sources":[
        {"name":"bracken","scheme":"bracken","secrets":["secretsmanager:hookline/bracken"]},
        {"name":"onecentre","scheme":"onecentre","secrets":["ssm:/hookline/onecentre"]},
        {"name":"json","scheme":"actigraph","secrets":["secretsmanager:hookline/json#signing"]}
    ]}"#;
    let mut function = start(&moto, &moto.endpoint(), &queue, sources, "5000");
    let body = br#"{"event":"secret.test"}"#;
    let b = "/webhooks/bracken";
    assert_eq!(
        send(
            &mut function,
            Scheme::Bracken,
            b,
            "bracken-secret-one-0123",
            body
        ),
        200
    );
    assert_eq!(
        send(
            &mut function,
            Scheme::Bracken,
            b,
            "wrong-secret-000000000",
            body
        ),
        401
    );
    let o = "/webhooks/onecentre";
    assert_eq!(
        send(
            &mut function,
            Scheme::OneCentre,
            o,
            "onecentre-from-ssm-0123",
            body
        ),
        200
    );
    let j = "/webhooks/json";
    assert_eq!(
        send(
            &mut function,
            Scheme::ActiGraph,
            j,
            "json-held-secret-0123",
            body
        ),
        200
    );

    // Rotation: a new AWSCURRENT; the old one, now AWSPREVIOUS, still verifies.
    block_on(
        sm.put_secret_value()
            .secret_id("hookline/bracken")
            .secret_string("bracken-secret-two-0123")
            .send(),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(1200)); // past the 1 s TTL
    // This request is served from the cache and starts the refresh.
    assert_eq!(
        send(
            &mut function,
            Scheme::Bracken,
            b,
            "bracken-secret-one-0123",
            body
        ),
        200
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while send(
        &mut function,
        Scheme::Bracken,
        b,
        "bracken-secret-two-0123",
        body,
    ) != 200
    {
        assert!(
            Instant::now() < deadline,
            "the rotated secret was never picked up"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        send(
            &mut function,
            Scheme::Bracken,
            b,
            "bracken-secret-one-0123",
            body
        ),
        200
    );
    // A second rotation drops the oldest.
    block_on(
        sm.put_secret_value()
            .secret_id("hookline/bracken")
            .secret_string("bracken-secret-three-0123")
            .send(),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    let deadline = Instant::now() + Duration::from_secs(10);
    while send(
        &mut function,
        Scheme::Bracken,
        b,
        "bracken-secret-three-0123",
        body,
    ) != 200
    {
        assert!(
            Instant::now() < deadline,
            "the second rotation was never picked up"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        send(
            &mut function,
            Scheme::Bracken,
            b,
            "bracken-secret-two-0123",
            body
        ),
        200
    );
    assert_eq!(
        send(
            &mut function,
            Scheme::Bracken,
            b,
            "bracken-secret-one-0123",
            body
        ),
        401
    );

    // Nothing secret in the function's output.
    let logs = function.logs();
    for secret in ["bracken-secret", "onecentre-from-ssm", "json-held-secret"] {
        assert!(!logs.contains(secret), "{secret} in the logs");
    }
}

#[test]
fn a_store_unreachable_at_cold_start_answers_503_until_it_returns() {
    let moto = Moto::start();
    let queue = block_on(moto.create_queue("hooks-outage"));
    let port = free_port();
    let store_endpoint = format!("http://127.0.0.1:{port}");
    let sources = r#"{"sources":[
        {"name":"bracken","scheme":"bracken","secrets":["secretsmanager:hookline/late"]}
    ]}"#;
    let mut function = start(&moto, &store_endpoint, &queue, sources, "1000");
    let body = br#"{"event":"late"}"#;
    let b = "/webhooks/bracken";
    let request = |function: &mut Function| {
        send(function, Scheme::Bracken, b, "late-secret-0123456789", body)
    };
    assert_eq!(
        request(&mut function),
        503,
        "no store yet: the sender retries"
    );
    let store = Moto::start_on(port);
    let (sm, _) = block_on(clients(&store.endpoint()));
    block_on(
        sm.create_secret()
            .name("hookline/late")
            .secret_string("late-secret-0123456789")
            .send(),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match request(&mut function) {
            200 => break,
            503 => assert!(
                Instant::now() < deadline,
                "still 503 after the store returned"
            ),
            other => panic!("answered {other}: only 503 or 200 are right"),
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(block_on(moto.drain(&queue)).len(), 1);
}

/// A secret rotated behind the cache while the store is unreachable: the
/// sender with the new secret is not called a forger (503, it retries), and
/// is accepted once the store answers again; a forgery is 401 again then.
#[test]
fn a_mismatch_while_the_store_is_down_is_503_until_it_returns() {
    let moto = Moto::start();
    let queue = block_on(moto.create_queue("hooks-down"));
    let (sm, _) = block_on(clients(&moto.endpoint()));
    block_on(
        sm.create_secret()
            .name("hookline/rotated")
            .secret_string("rotated-secret-one-0123")
            .send(),
    )
    .unwrap();
    let down = Arc::new(AtomicBool::new(false));
    let plan = down.clone();
    let proxy = FaultProxy::start(moto.endpoint(), move || {
        if plan.load(Ordering::SeqCst) {
            Fault::ServerError
        } else {
            Fault::Pass
        }
    });
    let sources = r#"{"sources":[
        {"name":"bracken","scheme":"bracken","secrets":["secretsmanager:hookline/rotated"]}
    ]}"#;
    let mut function = start(&moto, &proxy.endpoint(), &queue, sources, "5000");
    let body = br#"{"event":"rotated"}"#;
    let b = "/webhooks/bracken";
    let with =
        |function: &mut Function, secret: &str| send(function, Scheme::Bracken, b, secret, body);
    assert_eq!(with(&mut function, "rotated-secret-one-0123"), 200);

    // S2 behind the cache, and the store unreachable from hookline.
    block_on(
        sm.put_secret_value()
            .secret_id("hookline/rotated")
            .secret_string("rotated-secret-two-0123")
            .send(),
    )
    .unwrap();
    down.store(true, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(1200)); // past the 1 s TTL
    for _ in 0..5 {
        assert_eq!(
            with(&mut function, "rotated-secret-two-0123"),
            503,
            "the store could not confirm the cached value: undecided"
        );
        // The last good value keeps serving its senders.
        assert_eq!(with(&mut function, "rotated-secret-one-0123"), 200);
        std::thread::sleep(Duration::from_millis(200));
    }

    down.store(false, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match with(&mut function, "rotated-secret-two-0123") {
            200 => break,
            503 => assert!(
                Instant::now() < deadline,
                "still 503 after the store returned"
            ),
            other => panic!("answered {other}: only 503 or 200 are right"),
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    // The store answers again: a forgery is a forgery.
    assert_eq!(with(&mut function, "forged-secret-000000000"), 401);
    let messages = block_on(moto.drain(&queue));
    assert_eq!(
        messages.len(),
        7,
        "one S1, five S1 during the outage, one S2"
    );
    let logs = function.logs();
    assert!(!logs.contains("rotated-secret"), "a secret in the logs");
}

/// Two references, one in each store, holding one value: init cannot see
/// it, so the warning comes when the stores answer, naming both sources and
/// never the value; both sources keep answering.
#[test]
fn sources_whose_stored_secrets_hold_one_value_are_warned_about() {
    let moto = Moto::start();
    let queue = block_on(moto.create_queue("hooks-shared-stored"));
    let (sm, ssm) = block_on(clients(&moto.endpoint()));
    let value = "shared-stored-value-0123";
    block_on(async {
        sm.create_secret()
            .name("hookline/eu")
            .secret_string(value)
            .send()
            .await
            .unwrap();
        ssm.put_parameter()
            .name("/hookline/us")
            .value(value)
            .r#type(ParameterType::SecureString)
            .send()
            .await
            .unwrap();
    });
    let sources = r#"{"sources":[
        {"name":"eu","scheme":"bracken","secrets":["secretsmanager:hookline/eu"]},
        {"name":"us","scheme":"bracken","secrets":["ssm:/hookline/us"]}
    ]}"#;
    let mut function = start(&moto, &moto.endpoint(), &queue, sources, "5000");
    let body = br#"{"event":"shared.stored"}"#;
    for path in ["/webhooks/eu", "/webhooks/us"] {
        assert_eq!(send(&mut function, Scheme::Bracken, path, value, body), 200);
    }
    let warning = function.log_line_with("share a secret");
    let logs = function.logs();
    assert!(warning.contains("\"WARN\""), "{warning}");
    for field in [r#"\"eu\" secrets[0]"#, r#"\"us\" secrets[0]"#] {
        assert!(warning.contains(field), "{warning}");
    }
    assert_eq!(
        logs.matches("share a secret").count(),
        1,
        "one warning per pair, refreshes too: {logs}"
    );
    assert!(!logs.contains(value), "the secret's value in the logs");
    assert_eq!(block_on(moto.drain(&queue)).len(), 2);
}
