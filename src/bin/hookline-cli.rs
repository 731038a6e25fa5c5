//! Developer tools around the receiver: `sign` plays a provider (prints
//! headers, writes a Lambda event, or POSTs a signed request), `consume`
//! reads verified events back off the queue, and `dlq` shows and redrives
//! the dead-letter queue.

use std::io::Read;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_sqs::types::{MessageAttributeValue, MessageSystemAttributeName};
use clap::{Parser, Subcommand};
use hookline::Scheme;
use hookline::sample_event::{HttpRequest, Shape, event};
use hookline::sign::{Delivery, sign};

#[derive(Parser)]
#[command(
    name = "hookline-cli",
    version,
    about = "Sign webhook requests like a provider, and read verified events off the queue"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign a JSON body as the provider of SCHEME would.
    Sign(SignArgs),
    /// Long-poll the queue, print each event with its attributes, delete it after printing.
    Consume(ConsumeArgs),
    /// (Re)write the sample events in events/ with real signatures and a fresh timestamp.
    Samples(SamplesArgs),
    /// Inspect the dead-letter queue, and move its messages back.
    #[command(subcommand)]
    Dlq(DlqCommand),
    /// Read the function's configuration from this environment as a cold
    /// start would (no network: store references are not fetched) and say
    /// what it serves, or what is wrong (exit 1), naming the variable and
    /// field, never a secret.
    CheckConfig,
}

#[derive(Subcommand)]
enum DlqCommand {
    /// Print parked messages as JSON lines (attributes, receive count, sent
    /// time; bodies only with --bodies) without consuming them. Each peek
    /// counts as a receive: ApproximateReceiveCount goes up by one. On a FIFO
    /// queue SQS hides a message group while any of its messages is held, so
    /// at most the first 10 messages of each group are shown.
    Peek(PeekArgs),
    /// Move parked messages back to their source queue, keeping body, message
    /// attributes and FIFO group and deduplication ids. Without --max or
    /// --dry-run, SQS's own move task does it (falling back to the loop
    /// where it is unavailable); otherwise a receive/send/delete loop that
    /// deletes a message only once the target has confirmed its copy.
    Redrive(RedriveArgs),
}

#[derive(clap::Args)]
struct PeekArgs {
    /// The dead-letter queue URL.
    #[arg(long, env = "DLQ_URL")]
    queue_url: String,
    /// Show at most this many messages.
    #[arg(long, default_value_t = 10)]
    max: usize,
    /// Include message bodies (customer data: mind where the output goes).
    #[arg(long)]
    bodies: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Method {
    /// The move task when it can do what is asked (no --max, no --dry-run), else the loop.
    Auto,
    /// SQS's StartMessageMoveTask only.
    Task,
    /// The receive/send/delete loop only.
    Loop,
}

#[derive(clap::Args)]
struct RedriveArgs {
    /// The dead-letter queue URL.
    #[arg(long, env = "DLQ_URL")]
    queue_url: String,
    /// Target queue URL; default: the one queue whose dead-letter queue this is
    /// (the move task: each message's own source queue).
    #[arg(long)]
    to: Option<String>,
    /// Move at most this many messages (loop only).
    #[arg(long)]
    max: Option<usize>,
    /// List what would be moved; send and delete nothing (loop only; each
    /// listed message's receive count goes up by one).
    #[arg(long)]
    dry_run: bool,
    #[arg(long, value_enum, default_value_t = Method::Auto)]
    method: Method,
    /// Move task: messages per second (default: SQS's own pace).
    #[arg(long)]
    per_second: Option<i32>,
    /// Move task: return once started instead of following its progress.
    #[arg(long)]
    no_wait: bool,
}

#[derive(clap::Args)]
struct SamplesArgs {
    /// Directory to write into.
    #[arg(long, default_value = "events")]
    dir: PathBuf,
    /// Unix seconds for Standard Webhooks timestamps; default now.
    #[arg(long)]
    timestamp: Option<i64>,
}

#[derive(clap::Args)]
struct SignArgs {
    /// onecentre, actigraph, basic, bearer, bracken or standard-webhooks.
    #[arg(long, env = "WEBHOOK_SCHEME")]
    scheme: Scheme,
    /// The signing secret (for basic: user:password; for bearer: the token).
    #[arg(long, env = "WEBHOOK_SECRET", hide_env_values = true)]
    secret: String,
    /// File holding the body; `-` (the default) reads standard input.
    #[arg(long, default_value = "-")]
    body: PathBuf,
    /// Event id (`webhook-id` / `X-ActiGraph-Delivery`).
    #[arg(long)]
    id: Option<String>,
    /// Unix seconds to sign (Standard Webhooks); default now.
    #[arg(long)]
    timestamp: Option<i64>,
    /// Write a Lambda event of this shape: rest-v1, http-v2, function-url or alb.
    #[arg(long, conflicts_with = "post")]
    event: Option<Shape>,
    /// Base64-encode the body inside the event, as AWS does for binary media types.
    #[arg(long, requires = "event")]
    base64: bool,
    /// Where to write the event (default standard output).
    #[arg(long, requires = "event")]
    out: Option<PathBuf>,
    /// The event's path (default: /webhooks/<scheme>, the route of a source
    /// named after its scheme; a single-source deployment answers on any path).
    #[arg(long, requires = "event")]
    path: Option<String>,
    /// POST the signed request to this URL and print the answer.
    #[arg(long)]
    post: Option<String>,
}

#[derive(clap::Args)]
struct ConsumeArgs {
    /// The queue URL (as the receiver's QUEUE_URL).
    #[arg(long, env = "QUEUE_URL")]
    queue_url: String,
    /// Stop after the first empty poll instead of polling forever.
    #[arg(long)]
    once: bool,
    /// Long-poll wait in seconds (0 to 20).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(i32).range(0..=20))]
    wait: i32,
}

fn main() {
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    let result = match Cli::parse().command {
        Command::Sign(args) => sign_command(args),
        Command::Samples(args) => samples(args),
        Command::Consume(args) => runtime()
            .map_err(Into::into)
            .and_then(|runtime| runtime.block_on(consume(args))),
        Command::Dlq(command) => runtime()
            .map_err(Into::into)
            .and_then(|runtime| runtime.block_on(dlq(command))),
        Command::CheckConfig => check_config(),
    };
    if let Err(error) = result {
        // One readable line, not the error's Debug form.
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

fn check_config() -> Result<(), Box<dyn std::error::Error>> {
    // Init's warnings (short secrets, shared secrets) are shown too.
    hookline::logging::init();
    let config = hookline::Config::from_env()?;
    println!("configuration OK: {} source(s)", config.sources.len());
    for source in &config.sources {
        println!(
            "  {} ({}) -> {}",
            source.name,
            source.scheme.name(),
            source.queue.url
        );
    }
    Ok(())
}

fn sign_command(args: SignArgs) -> Result<(), Box<dyn std::error::Error>> {
    let mut body = Vec::new();
    if args.body.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut body)?;
    } else {
        body = std::fs::read(&args.body)?;
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
    let delivery = Delivery {
        id: args.id.as_deref(),
        timestamp: args.timestamp.unwrap_or(now),
    };
    let mut headers: Vec<(String, String)> =
        sign(args.scheme, args.secret.as_bytes(), &body, &delivery)?
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
    headers.push(("content-type".into(), "application/json".into()));

    if let Some(shape) = args.event {
        let path = args
            .path
            .clone()
            .unwrap_or_else(|| format!("/webhooks/{}", args.scheme.name()));
        let request = HttpRequest {
            method: "POST",
            path: &path,
            headers,
            body: &body,
            base64: args.base64,
            request_id: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        };
        let text = serde_json::to_string_pretty(&event(shape, &request))? + "\n";
        match args.out {
            Some(path) => std::fs::write(path, text)?,
            None => print!("{text}"),
        }
    } else if let Some(url) = args.post {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut request = agent.post(&url);
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let mut response = request.send(&body[..])?;
        println!("{}", response.status());
        println!("{}", response.body_mut().read_to_string()?);
    } else {
        for (name, value) in headers {
            println!("{name}: {value}");
        }
    }
    Ok(())
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// One sample: file name `<scheme>.<case>.<shape>.<status>.json`.
struct Sample {
    scheme: Scheme,
    case: &'static str,
    shape: Shape,
    status: u16,
    method: &'static str,
    body: &'static [u8],
    /// Sign with this secret instead of the sample secret; `Some("")` sends no signature.
    secret: Option<&'static str>,
    timestamp_offset: i64,
    base64: bool,
    extra_headers: &'static [(&'static str, &'static str)],
}

const BODY: &[u8] = br#"{"type":"user.created","id":"usr_1024","name":"Zo\u00eb","amount":12.5}"#;

fn catalogue() -> Vec<Sample> {
    let base = |scheme, case, shape, status| Sample {
        scheme,
        case,
        shape,
        status,
        method: "POST",
        body: BODY,
        secret: None,
        timestamp_offset: 0,
        base64: false,
        extra_headers: &[],
    };
    let mut all = Vec::new();
    for scheme in Scheme::ALL {
        all.push(base(scheme, "valid", Shape::HttpV2, 200));
        let wrong = if scheme == Scheme::Basic {
            "actigraph:wrong password"
        } else {
            "wrong-secret"
        };
        all.push(Sample {
            secret: Some(wrong),
            ..base(scheme, "bad-signature", Shape::HttpV2, 401)
        });
        all.push(Sample {
            secret: Some(""),
            ..base(scheme, "missing-signature", Shape::HttpV2, 401)
        });
    }
    all.push(base(Scheme::OneCentre, "valid", Shape::RestV1, 200));
    all.push(Sample {
        base64: true,
        ..base(Scheme::ActiGraph, "valid-base64", Shape::RestV1, 200)
    });
    all.push(base(Scheme::Bearer, "valid", Shape::Alb, 200));
    all.push(base(Scheme::StandardWebhooks, "valid", Shape::Alb, 200));
    all.push(base(
        Scheme::StandardWebhooks,
        "valid",
        Shape::FunctionUrl,
        200,
    ));
    all.push(Sample {
        body: b"{ \"user_name\": \"Test-User\", \"score\": 1.0, \"2\": \"x\" }",
        ..base(Scheme::Bracken, "valid-loose-json", Shape::FunctionUrl, 200)
    });
    all.push(Sample {
        timestamp_offset: -3600,
        ..base(Scheme::StandardWebhooks, "stale", Shape::HttpV2, 401)
    });
    all.push(Sample {
        secret: Some(""),
        body: br#"{"WebhookId": "74", "ValidationCode": "0f8fad5b-d9cb-469f-a165-70867728950e"}"#,
        extra_headers: &[
            ("X-ActiGraph-Event", "validation"),
            (
                "X-ActiGraph-Hook-Secret",
                "0f8fad5b-d9cb-469f-a165-70867728950e",
            ),
        ],
        ..base(Scheme::ActiGraph, "handshake", Shape::HttpV2, 200)
    });
    all.push(Sample {
        body: b"event=user.created",
        ..base(Scheme::OneCentre, "not-json", Shape::HttpV2, 400)
    });
    all.push(Sample {
        method: "GET",
        ..base(Scheme::OneCentre, "get", Shape::HttpV2, 405)
    });
    all
}

fn samples(args: SamplesArgs) -> Result<(), Box<dyn std::error::Error>> {
    let timestamp = args.timestamp.unwrap_or(now());
    std::fs::create_dir_all(&args.dir)?;
    for old in std::fs::read_dir(&args.dir)? {
        let path = old?.path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::remove_file(path)?;
        }
    }
    for (n, sample) in catalogue().into_iter().enumerate() {
        let secret = sample
            .secret
            .unwrap_or(hookline::sample_event::sample_secret(sample.scheme));
        let id = format!("evt_sample_{:03}", n + 1);
        let delivery = Delivery {
            id: Some(&id),
            timestamp: timestamp + sample.timestamp_offset,
        };
        let mut headers: Vec<(String, String)> = Vec::new();
        if !secret.is_empty() {
            headers.extend(
                sign(sample.scheme, secret.as_bytes(), sample.body, &delivery)?
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), value)),
            );
        }
        headers.extend(
            sample
                .extra_headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
        );
        headers.push(("content-type".into(), "application/json".into()));
        // Each sample names its source's route: a deployment serving every
        // scheme as a source of that name (tools/run-local) routes it.
        let path = format!("/webhooks/{}", sample.scheme.name());
        let request = HttpRequest {
            method: sample.method,
            path: &path,
            headers,
            body: sample.body,
            base64: sample.base64,
            request_id: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        };
        let name = format!(
            "{}.{}.{}.{}.json",
            sample.scheme.name(),
            sample.case,
            sample.shape.name(),
            sample.status
        );
        let text = serde_json::to_string_pretty(&event(sample.shape, &request))? + "\n";
        std::fs::write(args.dir.join(&name), text)?;
        println!("{name}");
    }
    Ok(())
}

async fn consume(args: ConsumeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = aws_sdk_sqs::Client::new(&config);
    loop {
        let output = client
            .receive_message()
            .queue_url(&args.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(args.wait)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await?;
        let messages = output.messages.unwrap_or_default();
        if messages.is_empty() && args.once {
            return Ok(());
        }
        for message in messages {
            let attributes: serde_json::Map<String, serde_json::Value> = message
                .message_attributes()
                .into_iter()
                .flatten()
                .map(|(name, value): (&String, &MessageAttributeValue)| {
                    (
                        name.clone(),
                        value.string_value().unwrap_or_default().into(),
                    )
                })
                .collect();
            let line = serde_json::json!({
                "message_id": message.message_id(),
                "attributes": attributes,
                "body": message.body(),
            });
            println!("{line}");
            if let Some(handle) = message.receipt_handle() {
                client
                    .delete_message()
                    .queue_url(&args.queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await?;
            }
        }
    }
}

async fn dlq(command: DlqCommand) -> Result<(), Box<dyn std::error::Error>> {
    use hookline::dlq::{self, Progress, RedriveOptions};

    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = aws_sdk_sqs::Client::new(&config);
    match command {
        DlqCommand::Peek(args) => {
            let parked = dlq::peek(&client, &args.queue_url, args.max, args.bodies).await?;
            for message in &parked {
                println!("{}", serde_json::to_string(message)?);
            }
            let (visible, in_flight) = dlq::depth(&client, &args.queue_url).await?;
            eprintln!(
                "{} message(s) shown; the queue holds about {visible} visible and {in_flight} in flight",
                parked.len()
            );
            Ok(())
        }
        DlqCommand::Redrive(args) => {
            let loop_only = args.max.is_some() || args.dry_run;
            if args.method == Method::Task && loop_only {
                return Err("--max and --dry-run need --method loop (or auto)".into());
            }
            if args.method == Method::Task || (args.method == Method::Auto && !loop_only) {
                match redrive_task(&client, &args).await {
                    Ok(()) => return Ok(()),
                    Err(error) if args.method == Method::Auto => {
                        eprintln!(
                            "move task unavailable ({error}); using the receive/send/delete loop"
                        );
                    }
                    Err(error) => return Err(error),
                }
            }
            let target = match &args.to {
                Some(url) => url.clone(),
                None => dlq::source_queue(&client, &args.queue_url).await?,
            };
            let verb = if args.dry_run { "would move" } else { "moved" };
            eprintln!(
                "{} {} -> {target}",
                if args.dry_run { "dry run:" } else { "redrive:" },
                args.queue_url
            );
            let options = RedriveOptions {
                max: args.max,
                dry_run: args.dry_run,
            };
            let (summary, result) = dlq::redrive_loop(&client, &args.queue_url, &client, &target, options, |step| match step {
                Progress::Moved(m) | Progress::WouldMove(m) => println!("{}", serde_json::json!({verb: m.message_id, "body_size": m.body_size, "group_id": m.group_id})),
                Progress::DeleteFailed(m, e) => eprintln!("{}: copied but not deleted ({e}); the next run sends it again", m.message_id),
            })
            .await;
            eprintln!(
                "{verb} {}, copied but not deleted {}, left on the queue after a failure {}",
                summary.moved, summary.copied_not_deleted, summary.left
            );
            result.map_err(Into::into)
        }
    }
}

/// Starts SQS's move task and, unless told not to, follows it to the end.
async fn redrive_task(
    client: &aws_sdk_sqs::Client,
    args: &RedriveArgs,
) -> Result<(), Box<dyn std::error::Error>> {
    use hookline::dlq;

    let source = dlq::queue_arn(client, &args.queue_url).await?;
    let destination = match &args.to {
        Some(url) => Some(dlq::queue_arn(client, url).await?),
        None => None,
    };
    let handle =
        dlq::start_move_task(client, &source, destination.as_deref(), args.per_second).await?;
    eprintln!("move task started: {handle}");
    if args.no_wait {
        return Ok(());
    }
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let Some((status, moved, to_move, failure)) =
            dlq::move_task_status(client, &source).await?
        else {
            continue;
        };
        let total = to_move.map_or("?".to_owned(), |n| n.to_string());
        eprintln!("{status}: moved {moved} of {total}");
        match status.as_str() {
            "COMPLETED" => return Ok(()),
            "FAILED" | "CANCELLED" => {
                return Err(format!("move task {status}: {}", failure.unwrap_or_default()).into());
            }
            _ => {}
        }
    }
}
