//! Faults downstream, against the real binary and a real SQS-compatible
//! server: every fault answers 503 within the configured bound and is logged
//! with its kind; under random faults no event answered 200 is missing from
//! the queue, and FIFO queues hold each event exactly once.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::fault_proxy::{Fault, FaultProxy};
use common::function::{Function, block_on};
use common::moto::Moto;
use common::signed_headers;
use hookline::Scheme;
use hookline::sample_event::Shape;

/// The bound for the delay fault: it must time out.
const TIMEOUT_MS: &str = "400";
/// The bound for the other faults: long enough that a loaded machine's slow
/// answer is never read as a timeout, so each keeps its own kind.
const ROOMY_TIMEOUT_MS: &str = "4000";

#[test]
fn each_fault_is_503_and_logged_with_its_kind() {
    let moto = Moto::start();
    let queue = block_on(moto.create_queue("faults-kinds"));
    // Faults that never reach SQS first: nothing may be on the queue after them.
    let cases = [
        (Fault::Throttle, "throttled"),
        (Fault::AccessDenied, "access_denied"),
        (Fault::ServerError, "other"),
        (Fault::Delay(Duration::from_millis(1500)), "timeout"),
    ];
    for (fault, kind) in cases {
        let proxy = FaultProxy::start(moto.endpoint(), move || fault);
        let bound = match fault {
            Fault::Delay(_) => TIMEOUT_MS,
            _ => ROOMY_TIMEOUT_MS,
        };
        let mut function = Function::start(
            Scheme::StandardWebhooks,
            &queue,
            &proxy.endpoint(),
            &[("SQS_TIMEOUT_MS", bound)],
        );
        let body = br#"{"kind":"fault"}"#;
        let started = Instant::now();
        let (status, _) = function.send(
            Shape::HttpV2,
            signed_headers(Scheme::StandardWebhooks, body, Some("msg_f")),
            body,
        );
        assert_eq!(status, 503, "{fault:?}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{fault:?} took {:?}",
            started.elapsed()
        );
        let line = format!("\"reason\":\"{kind}\"");
        let logs = function.logs_with(&line);
        assert_eq!(
            logs.matches(&line).count(),
            1,
            "{fault:?}: want one {line} in\n{logs}"
        );
        if !matches!(fault, Fault::Delay(_)) {
            assert!(
                block_on(moto.drain(&queue)).is_empty(),
                "{fault:?} enqueued"
            );
        }
    }

    // A port where nothing listens.
    let mut function = Function::start(
        Scheme::OneCentre,
        &queue,
        "http://127.0.0.1:9",
        &[("SQS_TIMEOUT_MS", TIMEOUT_MS)],
    );
    let (status, _) = function.send(
        Shape::HttpV2,
        signed_headers(Scheme::OneCentre, b"{}", None),
        b"{}",
    );
    assert_eq!(status, 503);
    let logs = function.logs_with("\"reason\":\"unreachable\"");
    assert!(logs.contains("\"reason\":\"unreachable\""), "{logs}");
}

/// A deterministic fault plan: mostly passes, every kind of fault sometimes.
fn random_faults(seed: u64) -> impl FnMut() -> Fault + Send {
    let mut state = seed;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        match state % 100 {
            0..=59 => Fault::Pass,
            60..=71 => Fault::Throttle,
            72..=79 => Fault::AccessDenied,
            80..=88 => Fault::ServerError,
            89..=98 => Fault::LostResponse,
            // Past the attempt timeout: the SDK gives up while SQS still stores it.
            _ => Fault::Delay(Duration::from_millis(1200)),
        }
    }
}

/// Sends `events` events, each retried (as a provider would) until answered
/// 200; returns how often each event is on the queue, and how each first
/// attempt went. The queue is drained as the run goes (moto slows down as a
/// queue grows).
fn deliver_under_faults(
    queue_name: &str,
    events: usize,
    seed: u64,
) -> (HashMap<String, usize>, HashMap<u16, usize>) {
    let moto = Moto::start();
    let queue = block_on(moto.create_queue(queue_name));
    let proxy = FaultProxy::start(moto.endpoint(), random_faults(seed));
    let mut function = Function::start(
        Scheme::StandardWebhooks,
        &queue,
        &proxy.endpoint(),
        &[("SQS_TIMEOUT_MS", "1600")],
    );
    let mut seen = HashMap::new();
    let mut first_attempts: HashMap<u16, usize> = HashMap::new();
    for n in 0..events {
        let id = format!("msg_{n:05}");
        let body = format!(r#"{{"n":{n}}}"#);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (status, response) = function.send(
                Shape::HttpV2,
                signed_headers(Scheme::StandardWebhooks, body.as_bytes(), Some(&id)),
                body.as_bytes(),
            );
            assert!(status == 200 || status == 503, "{id}: {status} {response}");
            if attempt == 1 {
                *first_attempts.entry(status).or_default() += 1;
            }
            if status == 200 {
                break;
            }
            assert!(attempt < 40, "{id} never accepted:\n{}", function.logs());
        }
        if n % 100 == 99 {
            count_queued(&moto, &queue, &mut seen);
        }
    }
    drop(function);
    drop(proxy);
    // Let any forward delayed past the function's timeout land.
    std::thread::sleep(Duration::from_millis(1300));
    count_queued(&moto, &queue, &mut seen);
    (seen, first_attempts)
}

fn count_queued(moto: &Moto, queue: &str, seen: &mut HashMap<String, usize>) {
    for message in block_on(moto.drain(queue)) {
        let id = message.message_attributes().unwrap()["event_id"]
            .string_value()
            .unwrap()
            .to_owned();
        let n: usize = id.trim_start_matches("msg_").parse().unwrap();
        assert_eq!(
            message.body().unwrap(),
            format!(r#"{{"n":{n}}}"#),
            "body of {id}"
        );
        *seen.entry(id).or_default() += 1;
    }
}

const EVENTS: usize = 1000;

#[test]
fn fifo_queue_holds_every_accepted_event_exactly_once_under_random_faults() {
    let (seen, first) = deliver_under_faults("faults-random.fifo", EVENTS, 0x5EED_F1F0);
    assert!(
        first.get(&503).copied().unwrap_or(0) > 20,
        "faults were injected: {first:?}"
    );
    assert_eq!(
        seen.len(),
        EVENTS,
        "every event answered 200 is on the queue"
    );
    assert!(seen.values().all(|&count| count == 1), "FIFO: exactly once");
    println!("FIFO queue: first attempts {first:?}");
}

#[test]
fn standard_queue_holds_every_accepted_event_at_least_once_under_random_faults() {
    let (seen, first) = deliver_under_faults("faults-random", EVENTS, 0xBADC_0FFE);
    assert!(
        first.get(&503).copied().unwrap_or(0) > 20,
        "faults were injected: {first:?}"
    );
    assert_eq!(
        seen.len(),
        EVENTS,
        "every event answered 200 is on the queue"
    );
    let duplicates = seen.values().filter(|&&count| count > 1).count();
    println!(
        "standard queue: first attempts {first:?}; {duplicates} events on the queue more than once (at least once is the contract)"
    );
}
