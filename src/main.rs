//! The Lambda function: configuration, SQS client and verifier are built once
//! at cold start; each invocation only verifies and publishes.

// The SDK and lambda_http futures nest deeper than rustc's default layout limit.
#![recursion_limit = "256"]

use std::sync::Arc;
use std::time::Duration;

use hookline::aws::{Background, sdk_config};
use hookline::lambda_event;
use hookline::secret_store::SecretCache;
use hookline::secret_store::aws::AwsSecretSource;
use hookline::sqs::{SqsPublisher, region_from_url};
use hookline::{Config, Receiver};
use lambda_runtime::{LambdaEvent, service_fn};

// The allocator is glibc's, on purpose: mimalloc made a request 1–4% cheaper
// but set itself up before `main` at every cold start, up to a sixth of it
// (bench/PROFILE.md).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    hookline::logging::init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            tracing::error!(error = %error, "configuration error");
            eprintln!("hookline: configuration error: {error}");
            hookline::init_error::report("ConfigurationError", &error.to_string()).await;
            // Said above; returning the error would print its Debug form too.
            std::process::exit(1);
        }
    };
    // Built on another thread while the runtime starts and polls; the first
    // request waits for it (src/aws.rs). Every source's queue is reached
    // through one client: the first source's queue names the region when
    // the environment does not.
    let publisher = SqsPublisher::start(&config.sources[0].queue);
    let region = region_from_url(&config.sources[0].queue.url).to_owned();
    let refs = config.store_refs();
    // Sharing needs two sources; one source's rotation is no sharing.
    let owners = (config.sources.len() > 1).then(|| config.secret_owners());
    let settings = config.secrets.clone();
    let mut receiver = Receiver::new(config, publisher);
    if !refs.is_empty() {
        // The secret cache, too, is built off this thread, and starts
        // fetching every referenced secret at once; a request waits for its
        // source's values at most SECRETS_WAIT_MS, then answers 503.
        let runtime = tokio::runtime::Handle::current();
        let store = Background::start(move || {
            let sdk = runtime.block_on(sdk_config(Duration::from_secs(5), Some(&region)));
            let mut cache = SecretCache::new(AwsSecretSource::new(&sdk), refs, settings);
            if let Some(owners) = owners {
                cache = cache.with_shared_values(owners);
            }
            let cache = Arc::new(cache);
            let _inside = runtime.enter();
            cache.start();
            cache
        });
        receiver = receiver.with_store(Box::new(store));
    }
    receiver.start_key_fetches();
    let receiver: &'static Receiver<SqsPublisher> = Box::leak(Box::new(receiver));
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<lambda_event::HttpEvent>| async move {
            Ok::<_, lambda_runtime::Error>(lambda_event::respond(receiver, event).await)
        },
    ))
    .await
}
