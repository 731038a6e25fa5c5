//! The Lambda function: configuration, SQS client and verifier are built once
//! at cold start; each invocation only verifies and publishes.

// The SDK and lambda_http futures nest deeper than rustc's default layout limit.
#![recursion_limit = "256"]

use hookline::lambda_event;
use hookline::sqs::SqsPublisher;
use hookline::{Config, Receiver};
use lambda_runtime::{LambdaEvent, service_fn};

/// mimalloc rather than glibc's allocator: a request makes a few dozen small
/// allocations (header names and values, the body, attributes), and they
/// were a sixth of its in-process profile (`bench/PROFILE.md`). Built with
/// `no_thp`: otherwise mimalloc asks for transparent huge pages on its arena
/// and peak RSS goes from under 10 MiB to 17 MiB on kernels that grant them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    hookline::logging::init();
    let config = Config::from_env().inspect_err(|error| {
        tracing::error!(error = %error, "configuration error");
        eprintln!("hookline: configuration error: {error}");
    })?;
    // Built on another thread while the runtime starts and polls; the first
    // request waits for it (src/aws.rs). Every source's queue is reached
    // through one client: the first source's queue names the region when
    // the environment does not.
    let publisher = SqsPublisher::start(&config.sources[0].queue);
    let receiver: &'static Receiver<SqsPublisher> =
        Box::leak(Box::new(Receiver::new(config, publisher)));
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<lambda_event::HttpEvent>| async move {
            Ok::<_, lambda_runtime::Error>(lambda_event::respond(receiver, event).await)
        },
    ))
    .await
}
