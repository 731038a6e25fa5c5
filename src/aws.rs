//! The AWS SDK configuration every client shares (SQS, and the secret
//! stores): built without touching the network, with explicit timeouts and
//! retries so a sick service costs a bounded wait, and with compiled-in root
//! certificates so that a cold start does not read and parse the system's
//! trust store. [`Background`] builds a client off the runtime's thread, so
//! that work overlaps the runtime's start and first poll.

use std::sync::OnceLock;
use std::time::Duration;

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use tokio::sync::{Mutex, OnceCell, oneshot};

/// The shared configuration: each call to a service gets `timeout` in all
/// (two attempts of half of it, connecting within a second), up to three
/// attempts with short backoff. The region comes from `AWS_REGION` (always
/// set on Lambda), else `region_hint` (e.g. the queue URL's), else us-east-1;
/// without one the default chain would ask the instance metadata service.
/// Credentials come from the environment when it holds a key pair (as on
/// Lambda), else from the default chain; either way they are resolved on
/// first use.
pub async fn sdk_config(timeout: Duration, region_hint: Option<&str>) -> SdkConfig {
    let attempt = (timeout / 2).max(Duration::from_millis(100));
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(attempt.min(Duration::from_secs(1)))
        .operation_attempt_timeout(attempt)
        .operation_timeout(timeout)
        .build();
    let retries = RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(50))
        .with_max_backoff(Duration::from_millis(500));
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts)
        .retry_config(retries)
        .http_client(https_client());
    if !["AWS_REGION", "AWS_DEFAULT_REGION"].into_iter().any(set) {
        loader = loader.region(Region::new(region_hint.unwrap_or("us-east-1").to_owned()));
    }
    if ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
        .into_iter()
        .all(set)
    {
        // Lambda hands the execution role's credentials over in these
        // variables, and the default chain would pick them first anyway; but
        // building that chain also builds its web-identity provider's STS
        // client, whose TLS set-up parses every root certificate again (about
        // 7.5 M instructions, as much as the SQS client itself, at every cold
        // start). Without them, the default chain as before.
        loader = loader.credentials_provider(EnvironmentVariableCredentialsProvider::new());
    }
    loader.load().await
}

/// Whether `var` is set to something other than blanks (a blank
/// credential is unset to the SDK's own providers too).
fn set(var: &str) -> bool {
    std::env::var_os(var).is_some_and(|v| !v.to_string_lossy().trim().is_empty())
}

/// The HTTPS client every SDK client built from [`sdk_config`] shares (one
/// connection pool per set of connector settings), built once per process:
/// SQS's and the secret stores' configurations are built on two threads at
/// cold start and share one trust store and its PEM encoding (each SDK
/// client still parses the roots when it is constructed). It trusts Mozilla's root
/// certificates as compiled into the binary (`webpki-root-certs`): reading
/// the system's trust store (`/etc/ssl/certs`, Amazon Linux's bundle alike)
/// and parsing each certificate in it was most of hookline's cold start.
/// The trade-off: a root added to or withdrawn from Mozilla's list reaches
/// hookline with a rebuild (`cargo update -p webpki-root-certs`), not with
/// Lambda's OS image. An operator whose endpoints need a private CA (a
/// TLS-inspecting proxy, a private endpoint) points `SSL_CERT_FILE` or
/// `SSL_CERT_DIR` at it, as before: then the system store is read as well.
fn https_client() -> SharedHttpClient {
    static CLIENT: OnceLock<SharedHttpClient> = OnceLock::new();
    CLIENT.get_or_init(build_https_client).clone()
}

fn build_https_client() -> SharedHttpClient {
    let private_ca = ["SSL_CERT_FILE", "SSL_CERT_DIR"].into_iter().any(set);
    let mut roots = TrustStore::empty().with_native_roots(private_ca);
    for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        // The SDK takes PEM only.
        roots.add_pem_certificate(pem::encode(&pem::Pem::new("CERTIFICATE", cert.as_ref())));
    }
    let tls = TlsContext::builder()
        .with_trust_store(roots)
        .build()
        .expect("a TLS context with a trust store builds");
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(tls)
        .build_https()
}

/// A value built on a thread of its own from cold start and awaited where it
/// is first needed, so that building it overlaps the runtime's own start and
/// its first poll for an event instead of preceding them.
///
/// The thread runs at a lower scheduling priority than the runtime's: where
/// the two share a CPU (a small Lambda has a fraction of one), the runtime
/// reaches its first poll first instead of being preempted by the build; the
/// build has the CPU to itself while the runtime waits for an event. It is
/// not tokio's blocking pool, whose threads are reused by later blocking work
/// (DNS lookups) that must not inherit the lower priority.
#[derive(Debug)]
pub struct Background<T> {
    value: OnceCell<T>,
    building: Mutex<Option<oneshot::Receiver<std::thread::Result<T>>>>,
}

/// How much lower than the runtime the build runs (a `nice` increment).
const BUILD_NICENESS: libc::c_int = 10;

impl<T: Send + 'static> Background<T> {
    /// Starts `build` on a new thread.
    pub fn start(build: impl FnOnce() -> T + Send + 'static) -> Self {
        let (done, building) = oneshot::channel();
        std::thread::Builder::new()
            .name("hookline-build".into())
            .spawn(move || {
                // Linux applies PRIO_PROCESS with 0 to the calling thread
                // only, which starts at its parent's niceness; the build goes
                // BUILD_NICENESS below that (a runtime already niced stays
                // ahead). Lowering one's own priority needs no privilege; if
                // it fails anyway, the build runs as before.
                // SAFETY: getpriority and setpriority take plain integers and
                // touch no memory.
                unsafe {
                    let own = libc::getpriority(libc::PRIO_PROCESS, 0);
                    libc::setpriority(libc::PRIO_PROCESS, 0, (own + BUILD_NICENESS).min(19));
                }
                let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(build));
                // Nobody waiting any more is fine: the value is dropped.
                let _ = done.send(built);
            })
            .expect("cannot start a thread at cold start");
        Self {
            value: OnceCell::new(),
            building: Mutex::new(Some(building)),
        }
    }

    /// A value already built.
    pub fn ready(value: T) -> Self {
        Self {
            value: OnceCell::new_with(Some(value)),
            building: Mutex::new(None),
        }
    }

    /// The value, waiting for its build if it is still under way. A caller
    /// that gives up waiting leaves the build running for the next one.
    pub async fn get(&self) -> &T {
        self.value
            .get_or_init(|| async {
                let mut building = self.building.lock().await;
                let receiver = building
                    .as_mut()
                    .expect("the build did not complete: it panicked earlier");
                let built = receiver
                    .await
                    .expect("the build thread ends only by sending its result");
                *building = None;
                built.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::Background;

    #[tokio::test]
    async fn a_background_value_is_built_once_and_shared() {
        let value = Background::start(|| 7);
        assert_eq!(*value.get().await, 7);
        assert_eq!(*value.get().await, 7);
        assert_eq!(*Background::ready(3).get().await, 3);
    }

    #[tokio::test]
    async fn a_build_runs_below_the_runtime_and_a_waiter_may_give_up() {
        // SAFETY: getpriority takes plain integers.
        let own = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let value = Background::start(move || {
            wait.recv().unwrap();
            unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
        });
        let early = tokio::time::timeout(std::time::Duration::from_millis(10), value.get()).await;
        assert!(early.is_err(), "still building");
        go.send(()).unwrap();
        assert_eq!(*value.get().await, (own + super::BUILD_NICENESS).min(19));
        // The runtime's own thread keeps its priority.
        assert_eq!(unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }, own);
    }

    #[tokio::test]
    #[should_panic(expected = "boom")]
    async fn a_panicking_build_panics_where_it_is_awaited() {
        let value: Background<u8> = Background::start(|| panic!("boom"));
        value.get().await;
    }

    #[tokio::test]
    async fn sdk_clients_build_with_the_compiled_in_roots() {
        assert!(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() > 100);
        let config = super::sdk_config(std::time::Duration::from_secs(1), Some("eu-west-1")).await;
        // Constructing a client builds its TLS connector, parsing every root
        // (the SDK panics on one it cannot parse).
        let _client = aws_sdk_sqs::Client::new(&config);
    }
}
