//! Lambda-level measurements of the release binary, next to the Python and
//! Node receivers users would write instead (bench/equivalents/):
//! cold start, warm throughput and latency through moto, peak RSS, package size.
//! Run by bench/run, which writes BENCHMARKS.md; prints a Markdown report.

// Shared with the tests; the bench uses only part of them.
#[allow(dead_code)]
#[path = "../tests/common/moto.rs"]
mod moto;
#[allow(dead_code)]
#[path = "../tests/common/runtime.rs"]
mod runtime;

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hookline::Scheme;
use hookline::sample_event::{HttpRequest, Shape, event, sample_secret};
use hookline::sign::{Delivery, sign};
use runtime::{Invocation, RuntimeApi};

const SECRET_SCHEME: Scheme = Scheme::StandardWebhooks;

struct Runtime {
    name: &'static str,
    program: PathBuf,
    args: Vec<String>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn runtimes() -> Vec<Runtime> {
    // No default: after `cargo bench`, target/release/hookline is the binary
    // rebuilt with the dev-dependencies' features, not the one users ship.
    let binary = std::env::var_os("HOOKLINE_BIN")
        .map(PathBuf::from)
        .expect("set HOOKLINE_BIN to a binary from `cargo build --release` (bench/run does)");
    let mut all = vec![Runtime {
        name: "hookline (Rust)",
        program: binary,
        args: vec![],
    }];
    all.push(Runtime {
        name: "Python 3.11 + boto3",
        program: root().join(".venv/bin/python"),
        args: vec![
            root()
                .join("bench/equivalents/python/bootstrap.py")
                .display()
                .to_string(),
        ],
    });
    if root()
        .join("bench/equivalents/node/node_modules/@aws-sdk/client-sqs")
        .exists()
    {
        all.push(Runtime {
            name: "Node 20 + AWS SDK v3",
            program: "node".into(),
            args: vec![
                root()
                    .join("bench/equivalents/node/index.mjs")
                    .display()
                    .to_string(),
            ],
        });
    }
    all
}

fn env(queue: &str, endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("WEBHOOK_SCHEME", SECRET_SCHEME.name().into()),
        ("WEBHOOK_SECRET", sample_secret(SECRET_SCHEME).into()),
        ("QUEUE_URL", queue.into()),
        ("AWS_ENDPOINT_URL_SQS", endpoint.into()),
        ("AWS_ENDPOINT_URL", endpoint.into()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("RUST_LOG", "warn".into()),
        ("AWS_LAMBDA_LOG_FORMAT", "".into()),
        ("HOME", std::env::var("HOME").unwrap_or_default()),
    ]
}

fn spawn(api: &RuntimeApi, runtime: &Runtime, env: &[(&str, String)]) -> Child {
    let mut command = std::process::Command::new(&runtime.program);
    command
        .args(&runtime.args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", api.address())
        .env("AWS_LAMBDA_FUNCTION_NAME", "hookline")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    command.spawn().expect("runtime starts")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// What one cold start is timed to.
#[derive(Clone, Copy)]
enum Until {
    /// The first poll of the Runtime API for an event (what Lambda counts as init).
    Poll,
    /// The function's answer to one signed request handed to that poll.
    Answer,
}

/// One cold start of `runtime`, from exec until `until`.
fn start_once(runtime: &Runtime, queue: &str, endpoint: &str, until: Until) -> Duration {
    // Signed before the clock starts: the sender's work is not the function's.
    start_with(runtime, &env(queue, endpoint), &signed_event(0), until)
}

/// One cold start of `runtime` with `env`, from exec until `until`
/// (`payload` is the request answered for [`Until::Answer`]).
fn start_with(
    runtime: &Runtime,
    env: &[(&str, String)],
    payload: &serde_json::Value,
    until: Until,
) -> Duration {
    let mut api = RuntimeApi::start();
    let started = Instant::now();
    let mut child = spawn(&api, runtime, env);
    let elapsed = match until {
        Until::Poll => {
            let poll = api.wait("GET");
            let elapsed = started.elapsed();
            drop(poll);
            elapsed
        }
        Until::Answer => {
            assert!(
                invoke_ok(&mut api, payload),
                "{} did not answer 200",
                runtime.name
            );
            started.elapsed()
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    elapsed
}

/// `runs` cold starts of each of `runtimes`, interleaved (one of each in
/// turn), so a slow phase of the machine falls on all of them alike; each
/// list sorted.
fn cold_starts(
    runtimes: &[&Runtime],
    queue: &str,
    endpoint: &str,
    runs: usize,
    until: Until,
) -> Vec<Vec<Duration>> {
    let mut times = vec![Vec::with_capacity(runs); runtimes.len()];
    for _ in 0..runs {
        for (runtime, times) in runtimes.iter().zip(&mut times) {
            times.push(start_once(runtime, queue, endpoint, until));
        }
    }
    for list in &mut times {
        list.sort();
    }
    times
}

/// Exec until the first poll of the Runtime API for an event.
fn cold_start(runtime: &Runtime, queue: &str, endpoint: &str, runs: usize) -> Vec<Duration> {
    cold_starts(&[runtime], queue, endpoint, runs, Until::Poll).remove(0)
}

fn signed_event(n: usize) -> serde_json::Value {
    signed_event_to(n, "/webhook")
}

fn signed_event_to(n: usize, path: &str) -> serde_json::Value {
    let body = format!(r#"{{"type":"invoice.paid","n":{n},"amount":1200,"currency":"EUR"}}"#);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let id = format!("msg_{n}");
    let headers = sign(
        SECRET_SCHEME,
        sample_secret(SECRET_SCHEME).as_bytes(),
        body.as_bytes(),
        &Delivery {
            id: Some(&id),
            timestamp: now,
        },
    )
    .unwrap()
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    event(
        Shape::HttpV2,
        &HttpRequest {
            method: "POST",
            path,
            headers,
            body: body.as_bytes(),
            base64: false,
            request_id: "bench",
        },
    )
}

/// True when the function answered 200.
fn invoke_ok(api: &mut RuntimeApi, payload: &serde_json::Value) -> bool {
    match api.invoke(payload) {
        Invocation::Response(r) => r["statusCode"] == 200,
        Invocation::Error(e) => panic!("{e}"),
    }
}

/// A second Standard Webhooks secret, the "previous" one of a rotation, so
/// each configuration holds two values as a rotating deployment does.
const PREVIOUS_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Where a source's two secrets come from in [`store_env`].
#[derive(Clone, Copy)]
enum SecretsFrom {
    /// `env:` references to two variables set alongside.
    Env,
    /// A `secretsmanager:` and an `ssm:` reference, held by moto.
    Store,
}

/// Puts the two secrets [`SecretsFrom::Store`] names into moto.
fn seed_store(rt: &tokio::runtime::Runtime, endpoint: &str) {
    use aws_config::{BehaviorVersion, Region};
    rt.block_on(async {
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
                "test", "test", None, None, "test",
            ))
            .endpoint_url(endpoint)
            .load()
            .await;
        aws_sdk_secretsmanager::Client::new(&sdk)
            .create_secret()
            .name("bench/webhook")
            .secret_string(sample_secret(SECRET_SCHEME))
            .send()
            .await
            .expect("secret created in moto");
        aws_sdk_ssm::Client::new(&sdk)
            .put_parameter()
            .name("/bench/webhook-previous")
            .value(PREVIOUS_SECRET)
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .send()
            .await
            .expect("parameter created in moto");
    });
}

/// One Standard Webhooks source, `/webhooks/bench`, its two secrets from `from`.
/// SQS at `endpoint`, Secrets Manager and SSM at `store`.
fn store_env(
    queue: &str,
    endpoint: &str,
    store: &str,
    from: SecretsFrom,
) -> Vec<(&'static str, String)> {
    let secrets = match from {
        SecretsFrom::Env => r#"["env:BENCH_SECRET","env:BENCH_SECRET_PREVIOUS"]"#,
        SecretsFrom::Store => r#"["secretsmanager:bench/webhook","ssm:/bench/webhook-previous"]"#,
    };
    let mut env: Vec<_> = env(queue, endpoint)
        .into_iter()
        .filter(|(key, _)| !key.starts_with("WEBHOOK_"))
        .collect();
    env.push((
        "HOOKLINE_SOURCES",
        format!(
            r#"{{"sources":[{{"name":"bench","scheme":"{}","secrets":{secrets}}}]}}"#,
            SECRET_SCHEME.name()
        ),
    ));
    env.push(("AWS_ENDPOINT_URL_SECRETS_MANAGER", store.into()));
    env.push(("AWS_ENDPOINT_URL_SSM", store.into()));
    if let SecretsFrom::Env = from {
        env.push(("BENCH_SECRET", sample_secret(SECRET_SCHEME).into()));
        env.push(("BENCH_SECRET_PREVIOUS", PREVIOUS_SECRET.into()));
    }
    env
}

/// A store across a network: it takes connections and requests and has
/// not answered yet when the runtime first polls, as Secrets Manager and
/// SSM a few milliseconds away have not. Unlike moto on this machine, it
/// spends no CPU the runtime's start could use.
struct DistantStore {
    endpoint: String,
}

impl DistantStore {
    fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            // Held unread until the bench ends: never an answer, no CPU.
            let mut held = Vec::new();
            for connection in listener.incoming().flatten() {
                held.push(connection);
            }
        });
        Self { endpoint }
    }
}

/// Cold starts with the secrets in `env:` variables, in a store that has
/// not answered by the first poll, and in moto on this machine,
/// interleaved; prints the table.
fn store_cold_starts(runtime: &Runtime, queue: &str, endpoint: &str, runs: usize) {
    let distant = DistantStore::start();
    // (name, where the secrets are, the store's endpoint, whether a first
    // request can be answered: the distant store never answers).
    let configs = [
        (
            "`env:` references (two variables)",
            SecretsFrom::Env,
            endpoint,
            true,
        ),
        (
            "`secretsmanager:` + `ssm:` references, store across a network",
            SecretsFrom::Store,
            distant.endpoint.as_str(),
            false,
        ),
        (
            "`secretsmanager:` + `ssm:` references, moto on this machine",
            SecretsFrom::Store,
            endpoint,
            true,
        ),
    ];
    let payload = signed_event_to(0, "/webhooks/bench");
    let mut times: [[Vec<Duration>; 3]; 2] = Default::default();
    for until in [Until::Poll, Until::Answer] {
        for _ in 0..runs {
            for (index, (_, from, store, answers)) in configs.iter().enumerate() {
                if matches!(until, Until::Answer) && !answers {
                    continue;
                }
                let env = store_env(queue, endpoint, store, *from);
                times[until as usize][index].push(start_with(runtime, &env, &payload, until));
            }
        }
    }
    for list in times.iter_mut().flatten() {
        list.sort();
    }
    println!("### Cold start with secrets in a store ({runs} runs of each, interleaved)\n");
    println!(
        "| one source, two secrets | exec → first poll p50 | p90 | exec → first 200 p50 | p90 |\n|---|---|---|---|---|"
    );
    for (index, (name, ..)) in configs.iter().enumerate() {
        let (poll, answer) = (&times[0][index], &times[1][index]);
        let answered = |p| {
            if answer.is_empty() {
                "—".to_owned()
            } else {
                ms(percentile(answer, p))
            }
        };
        println!(
            "| {name} | {} | {} | {} | {} |",
            ms(percentile(poll, 0.5)),
            ms(percentile(poll, 0.9)),
            answered(0.5),
            answered(0.9),
        );
    }
    println!(
        "\nThe store's values are fetched in the background from init on, so init does not wait for them; the first request does, for whatever of the fetch is left (one `GetSecretValue` and one `GetParameter` to moto, each on a new connection), before it verifies and sends to SQS. \"Across a network\" is a listener that takes the two requests and has not answered by the first poll: what init costs with store references apart from the store's own work, and a lower bound, since it is reached at an IP address over HTTP (a real endpoint adds a DNS lookup and a TLS handshake in the background, and a store in the same region may answer within a few milliseconds). With moto on this machine, moto (a Python process) answers the fetches on the same two cores while the runtime starts.\n"
    );
}

struct Warm {
    rps: f64,
    p50: Duration,
    p99: Duration,
    errors: usize,
    requests: usize,
}

/// `concurrency` function instances, each sent `per_instance` requests in turn.
fn warm(
    runtime: &Runtime,
    queue: &str,
    endpoint: &str,
    concurrency: usize,
    per_instance: usize,
) -> Warm {
    let started = Instant::now();
    let results: Vec<(Duration, bool)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..concurrency)
            .map(|worker| {
                scope.spawn(move || {
                    let mut api = RuntimeApi::start();
                    let mut child = spawn(&api, runtime, &env(queue, endpoint));
                    invoke_ok(&mut api, &signed_event(worker * 1_000_000)); // warm-up
                    let mut latencies = Vec::with_capacity(per_instance);
                    for n in 0..per_instance {
                        let payload = signed_event(worker * 1_000_000 + n + 1);
                        let t = Instant::now();
                        let ok = invoke_ok(&mut api, &payload);
                        latencies.push((t.elapsed(), ok));
                    }
                    let _ = child.kill();
                    let _ = child.wait();
                    latencies
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let elapsed = started.elapsed();
    let errors = results.iter().filter(|(_, ok)| !ok).count();
    let mut sorted: Vec<Duration> = results.iter().map(|(d, _)| *d).collect();
    sorted.sort();
    Warm {
        rps: (sorted.len() - errors) as f64 / elapsed.as_secs_f64(),
        p50: percentile(&sorted, 0.5),
        p99: percentile(&sorted, 0.99),
        errors,
        requests: sorted.len(),
    }
}

/// A fresh queue per run: moto slows down as a queue grows, and allows one purge a minute.
fn fresh_queue(rt: &tokio::runtime::Runtime, moto: &moto::Moto) -> String {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    rt.block_on(moto.create_queue(&format!("bench-{n}")))
}

/// A minimal SQS endpoint that accepts every `SendMessage`, for runs longer
/// than moto can keep up with (its sends slow down as a queue grows).
fn sqs_stub() -> String {
    use std::io::Write;
    let server = std::sync::Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let address = format!("http://{}", server.server_addr().to_ip().unwrap());
    std::thread::spawn(move || {
        let mut n = 0u64;
        while let Ok(mut request) = server.recv() {
            let mut body = Vec::new();
            let _ = request.as_reader().read_to_end(&mut body);
            n += 1;
            let answer = format!(r#"{{"MessageId":"00000000-0000-4000-8000-{n:012}"}}"#);
            let raw = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: {n}\r\nContent-Length: {}\r\n\r\n{answer}",
                answer.len()
            );
            let mut writer = request.into_writer();
            let _ = writer.write_all(raw.as_bytes());
            let _ = writer.flush();
        }
    });
    address
}

/// Peak resident set of the Rust function over `requests` requests.
fn peak_rss(binary: &Runtime, queue: &str, endpoint: &str, requests: usize) -> u64 {
    let mut api = RuntimeApi::start();
    let mut child = spawn(&api, binary, &env(queue, endpoint));
    for n in 0..requests {
        assert!(invoke_ok(&mut api, &signed_event(n)), "request {n} failed");
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn zipped_size(binary: &Path) -> u64 {
    let out = std::env::temp_dir().join("hookline-bootstrap.zip");
    let staged = std::env::temp_dir().join("bootstrap");
    std::fs::copy(binary, &staged).unwrap();
    let _ = std::fs::remove_file(&out);
    let status = std::process::Command::new(root().join(".venv/bin/python"))
        .args(["-c", "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED,compresslevel=9); z.write(sys.argv[2],'bootstrap'); z.close()"])
        .arg(&out)
        .arg(&staged)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::metadata(&out).unwrap().len()
}

/// What the function costs to keep and ship, measured the same way for the
/// full run and for each profile variant in bench/profile-settings.
struct Footprint {
    rss_mib: f64,
    binary_mb: f64,
    zipped_mb: f64,
}

impl Footprint {
    fn measure(runtime: &Runtime, rss_requests: usize) -> Self {
        let rss = peak_rss(
            runtime,
            "https://sqs.us-east-1.amazonaws.com/123456789012/bench",
            &sqs_stub(),
            rss_requests,
        );
        Footprint {
            rss_mib: rss as f64 / 1024.0,
            binary_mb: std::fs::metadata(&runtime.program).unwrap().len() as f64 / 1e6,
            zipped_mb: zipped_size(&runtime.program) as f64 / 1e6,
        }
    }
}

fn main() {
    // `cargo bench` passes --bench; a filter argument is not used.
    let quick = std::env::var_os("HOOKLINE_BENCH_QUICK").is_some();
    let (cold_runs, per_instance, rss_requests) = if quick {
        (5, 100, 1000)
    } else {
        (60, 500, 10_000)
    };
    let moto = moto::Moto::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let queue = rt.block_on(moto.create_queue("bench"));
    let endpoint = moto.endpoint();
    if let Some(list) = std::env::var_os("HOOKLINE_BENCH_COMPARE") {
        compare(
            &list.to_string_lossy(),
            &queue,
            &endpoint,
            cold_runs,
            rss_requests,
        );
        return;
    }
    let runtimes = runtimes();
    if std::env::var_os("HOOKLINE_BENCH_FOOTPRINT_ONLY").is_some() {
        // One table row for bench/profile-settings: the binary at HOOKLINE_BIN.
        let hookline = &runtimes[0];
        let cold = cold_start(hookline, &queue, &endpoint, cold_runs);
        let f = Footprint::measure(hookline, rss_requests);
        println!(
            "{} | {:.2} MB | {:.2} MB | {:.1} MiB",
            ms(percentile(&cold, 0.5)),
            f.binary_mb,
            f.zipped_mb,
            f.rss_mib
        );
        return;
    }

    let hookline = &runtimes[0];
    let bare = std::env::var_os("HOOKLINE_BARE_BIN").map(|program| Runtime {
        name: "bare `lambda_runtime` + `serde_json` (bench/bare)",
        program: program.into(),
        args: vec![],
    });
    let p50 = |times: &[Duration]| percentile(times, 0.5);
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    if let Some(bare) = &bare {
        eprintln!("bench: cold start, bare runtime and hookline interleaved");
        let poll = cold_starts(&[bare, hookline], &queue, &endpoint, cold_runs, Until::Poll);
        let answer = cold_starts(
            &[bare, hookline],
            &queue,
            &endpoint,
            cold_runs,
            Until::Answer,
        );
        println!("### Cold start against a bare runtime ({cold_runs} runs of each, interleaved)\n");
        println!(
            "| binary | exec → first poll p50 | p90 | vs bare | exec → first 200 p50 | p90 | vs bare |\n|---|---|---|---|---|---|---|"
        );
        for (index, (name, note)) in [
            (bare.name, " (answers at once, no SQS)"),
            ("hookline", " (one signed request, `SendMessage` to moto)"),
        ]
        .into_iter()
        .enumerate()
        {
            let target = if index == 1 {
                " (target ≤ 1.5×)"
            } else {
                ""
            };
            println!(
                "| {name}{note} | {} | {} | {:.2}×{target} | {} | {} | {:.2}× |",
                ms(p50(&poll[index])),
                ms(percentile(&poll[index], 0.9)),
                ratio(p50(&poll[index]), p50(&poll[0])),
                ms(p50(&answer[index])),
                ms(percentile(&answer[index], 0.9)),
                ratio(p50(&answer[index]), p50(&answer[0])),
            );
        }
        println!(
            "\nExec → first poll is what Lambda reports as init. Exec → first 200 adds one request: the stand-in hands the signed event to the first poll and the clock stops at the function's answer; for hookline that includes verifying and the first `SendMessage` to moto (a new connection), the bare binary answers without SQS.\n"
        );
    }

    eprintln!("bench: cold start, secrets in a store and in env: interleaved");
    seed_store(&rt, &endpoint);
    store_cold_starts(hookline, &queue, &endpoint, cold_runs);

    println!("### Cold start (exec → first Runtime API poll, {cold_runs} runs)\n");
    println!("| runtime | p50 | p90 | vs hookline |\n|---|---|---|---|");
    let mut rust_p50 = None;
    for runtime in &runtimes {
        eprintln!("bench: cold start {}", runtime.name);
        let times = cold_start(runtime, &queue, &endpoint, cold_runs);
        let p50 = percentile(&times, 0.5);
        let base = *rust_p50.get_or_insert(p50);
        println!(
            "| {} | {} | {} | {:.1}× |",
            runtime.name,
            ms(p50),
            ms(percentile(&times, 0.9)),
            p50.as_secs_f64() / base.as_secs_f64()
        );
    }

    println!("\n### Warm, end to end through moto_server\n");
    println!(
        "| runtime | concurrency | requests | ok requests/s | p50 | p99 | non-200 |\n|---|---|---|---|---|---|---|"
    );
    for runtime in &runtimes {
        for (concurrency, per) in [(1, per_instance), (16, (per_instance / 16).max(10))] {
            let queue = fresh_queue(&rt, &moto);
            eprintln!("bench: warm {} ×{concurrency}", runtime.name);
            let w = warm(runtime, &queue, &endpoint, concurrency, per);
            println!(
                "| {} | {concurrency} | {} | {:.0} | {} | {} | {} |",
                runtime.name,
                w.requests,
                w.rps,
                ms(w.p50),
                ms(w.p99),
                w.errors
            );
        }
    }
    eprintln!("bench: peak RSS over {rss_requests} requests");
    let f = Footprint::measure(&runtimes[0], rss_requests);
    println!("\n### Footprint\n");
    println!("| measure | value | target |\n|---|---|---|");
    println!(
        "| peak RSS over {rss_requests} requests (VmHWM; SQS answered by a local stub) | {:.1} MiB | ≤ 20 MiB |",
        f.rss_mib
    );
    println!(
        "| `bootstrap` zipped (deflate -9) | {:.2} MB | ≤ 6 MB |",
        f.zipped_mb
    );
    println!("| `bootstrap` binary | {:.2} MB | |", f.binary_mb);
}

/// bench/compare: the binaries in `list` (`label=path,…`, the last one
/// hookline at HEAD), cold starts interleaved, then each one's footprint.
fn compare(list: &str, queue: &str, endpoint: &str, runs: usize, rss_requests: usize) {
    let binaries: Vec<Runtime> = list
        .split(',')
        .map(|item| {
            let (label, path) = item.split_once('=').expect("label=path");
            Runtime {
                name: Box::leak(label.to_owned().into_boxed_str()),
                program: path.into(),
                args: vec![],
            }
        })
        .collect();
    let all: Vec<&Runtime> = binaries.iter().collect();
    eprintln!("bench: compare, cold starts interleaved");
    let poll = cold_starts(&all, queue, endpoint, runs, Until::Poll);
    let answer = cold_starts(&all, queue, endpoint, runs, Until::Answer);
    println!(
        "Cold start ({runs} runs of each, interleaved) and footprint of each commit's release binary (`benches/lambda.rs`, as in the tables above):\n"
    );
    println!(
        "| commit | exec → first poll p50 | exec → first 200 p50 | peak RSS over {rss_requests} requests | binary | zipped |\n|---|---|---|---|---|---|"
    );
    for (index, binary) in binaries.iter().enumerate() {
        let f = Footprint::measure(binary, rss_requests);
        println!(
            "| `{}` | {} | {} | {:.1} MiB | {:.2} MB | {:.2} MB |",
            binary.name,
            ms(percentile(&poll[index], 0.5)),
            ms(percentile(&answer[index], 0.5)),
            f.rss_mib,
            f.binary_mb,
            f.zipped_mb
        );
    }
}
