//! The secret cache: every reference is fetched in the background from init
//! on, served from memory, refreshed after a TTL while the last good value
//! keeps being served, and fetched again early (rate-limited) when a
//! signature matched none of the cached values, so a rotation is seen within
//! seconds.

use std::ffi::OsString;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::shared::{self, SecretOwners, SharedValues};
use super::{FetchError, FetchErrorKind, SecretSource, StoreRef};
use crate::secret::Secret;

/// `SECRETS_TTL_SECONDS` when unset.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);
/// `SECRETS_WAIT_MS` when unset.
pub const DEFAULT_WAIT: Duration = Duration::from_millis(2000);

/// Invocations ended in this process. Lambda may freeze the process after
/// each one, so a fetch in flight across an end may have been frozen.
static INVOCATIONS_ENDED: AtomicU64 = AtomicU64::new(0);

/// Tells the cache that an invocation has ended (the entry layer calls it
/// once per invocation, after the reply is ready).
pub fn invocation_ended() {
    INVOCATIONS_ENDED.fetch_add(1, Ordering::Relaxed);
}

/// How the cache fetches and refreshes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Age after which a value is refreshed in the background (`SECRETS_TTL_SECONDS`).
    pub ttl: Duration,
    /// How long a request waits for a first value (`SECRETS_WAIT_MS`); the
    /// cache does not use it itself, the caller passes it to [`SecretCache::get`].
    pub wait: Duration,
    /// At most one refetch per reference in this interval after a signature
    /// mismatch, and only of a value at least this old.
    pub mismatch_interval: Duration,
    /// First delay before retrying a failed fetch; doubled up to `retry_max`.
    pub retry_initial: Duration,
    /// Longest delay between retries.
    pub retry_max: Duration,
    /// Bound on one fetch, whatever the source does (the AWS adapter has
    /// tighter timeouts of its own).
    pub fetch_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            ttl: DEFAULT_TTL,
            wait: DEFAULT_WAIT,
            mismatch_interval: Duration::from_secs(60),
            retry_initial: Duration::from_millis(100),
            retry_max: Duration::from_secs(5),
            fetch_timeout: Duration::from_secs(10),
        }
    }
}

/// Reads `SECRETS_TTL_SECONDS` (1 to 86400) and `SECRETS_WAIT_MS` (0 to
/// 25000) through `lookup`; an error names the variable and what is wrong.
pub fn settings_from_env(
    lookup: impl Fn(&str) -> Option<OsString>,
) -> Result<Settings, (&'static str, String)> {
    let number =
        |var: &'static str, range: std::ops::RangeInclusive<u64>, what: &str| match lookup(var)
            .filter(|v| !v.is_empty())
        {
            None => Ok(None),
            Some(value) => value
                .to_str()
                .and_then(|text| text.parse::<u64>().ok())
                .filter(|n| range.contains(n))
                .map(Some)
                .ok_or_else(|| {
                    (
                        var,
                        format!("expected {what} from {} to {}", range.start(), range.end()),
                    )
                }),
        };
    let mut settings = Settings::default();
    if let Some(secs) = number("SECRETS_TTL_SECONDS", 1..=86_400, "whole seconds")? {
        settings.ttl = Duration::from_secs(secs);
    }
    if let Some(ms) = number("SECRETS_WAIT_MS", 0..=25_000, "milliseconds")? {
        settings.wait = Duration::from_millis(ms);
    }
    Ok(settings)
}

/// The values a reference holds, newest first.
#[derive(Debug, PartialEq, Eq)]
pub struct Entry {
    /// Never empty, no value repeated.
    pub values: Vec<Secret>,
    /// Changes whenever `values` change (per reference, from 1), so keys
    /// derived from them need rebuilding only then.
    pub generation: u64,
}

/// No value yet for a reference after waiting as long as allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailable {
    /// How the last fetch failed; `None` when it is still running.
    pub last_error: Option<FetchErrorKind>,
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.last_error {
            Some(kind) => write!(f, "secret unavailable: {kind}"),
            None => f.write_str("secret unavailable: still fetching"),
        }
    }
}

impl std::error::Error for Unavailable {}

/// What the store said when asked again after a signature matched none of
/// a reference's cached values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refetch {
    /// Newer values: verify again with them.
    Refreshed(Arc<Entry>),
    /// The store confirmed the cached values within the mismatch interval
    /// (by this fetch, or by the recent one that rate-limited it): the
    /// signature is a forgery.
    Unchanged,
    /// The last fetch failed (its kind), or none finished within the wait
    /// (`None`): the store could not confirm the values, so nothing is
    /// decided.
    Failed(Option<FetchErrorKind>),
}

/// Secrets for a fixed list of references, fetched through `S`.
pub struct SecretCache<S: SecretSource> {
    source: S,
    settings: Settings,
    /// The references as given, by index.
    refs: Vec<StoreRef>,
    /// Index → slot: a reference given twice is fetched once.
    slot_of: Vec<usize>,
    slots: Vec<Slot>,
    /// Invocations ended so far: [`INVOCATIONS_ENDED`], or a test's own.
    invocations_ended: &'static AtomicU64,
    /// Told each slot's new values, to find sources sharing one.
    shared: Option<SharedValues>,
}

struct Slot {
    reference: StoreRef,
    state: Mutex<State>,
    /// Counts finished fetches, to wake requests waiting for one.
    finished: watch::Sender<u64>,
}

#[derive(Default)]
struct State {
    entry: Option<Arc<Entry>>,
    in_flight: bool,
    /// When the last fetch started, whatever its outcome.
    last_attempt: Option<Instant>,
    /// No background refresh before this (TTL after a success, backoff after a failure).
    next_refresh: Option<Instant>,
    backoff: Duration,
    retry_scheduled: bool,
    last_error: Option<FetchErrorKind>,
    last_failure_logged: Option<Instant>,
    generation: u64,
}

impl<S: SecretSource> SecretCache<S> {
    /// A cache for `refs`, fetching nothing until [`start`](Self::start).
    pub fn new(source: S, refs: Vec<StoreRef>, settings: Settings) -> Self {
        let mut slots: Vec<Slot> = Vec::new();
        let slot_of = refs
            .iter()
            .map(|r| match slots.iter().position(|s| &s.reference == r) {
                Some(i) => i,
                None => {
                    slots.push(Slot {
                        reference: r.clone(),
                        state: Mutex::new(State {
                            backoff: settings.retry_initial,
                            ..State::default()
                        }),
                        finished: watch::Sender::new(0),
                    });
                    slots.len() - 1
                }
            })
            .collect();
        Self {
            source,
            settings,
            refs,
            slot_of,
            slots,
            invocations_ended: &INVOCATIONS_ENDED,
            shared: None,
        }
    }

    /// Also compares values as they arrive with the other references' and
    /// those known at init; sources found sharing one are warned about
    /// (never the value).
    pub fn with_shared_values(mut self, owners: SecretOwners) -> Self {
        let mut slots = vec![Vec::new(); self.slots.len()];
        for (reference, owner) in owners.stored {
            if let Some(slot) = self.slots.iter().position(|s| s.reference == reference) {
                slots[slot].push(owner);
            }
        }
        self.shared = Some(SharedValues::new(slots, owners.known));
        self
    }

    /// The settings given at construction.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Reference `r` as given at construction, for log lines.
    pub fn reference(&self, r: usize) -> &StoreRef {
        &self.refs[r]
    }

    /// The source fetched through.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// Starts fetching every reference in the background; returns at once.
    /// Call it from within the tokio runtime, at init.
    pub fn start(self: &Arc<Self>) {
        for slot in 0..self.slots.len() {
            let mut state = self.lock(slot);
            if state.entry.is_none() && !state.in_flight {
                self.spawn_fetch(slot, &mut state);
            }
        }
    }

    /// The values of reference `r`. Once a value exists it is returned at
    /// once, even past its TTL (a refresh then starts in the background);
    /// before that, waits up to `wait` for a fetch to bring one, and gives
    /// up early when one fails for a reason retrying will not fix.
    pub async fn get(
        self: &Arc<Self>,
        r: usize,
        wait: Duration,
    ) -> Result<Arc<Entry>, Unavailable> {
        let slot = self.slot_of[r];
        let deadline = Instant::now() + wait;
        let mut finished = self.slots[slot].finished.subscribe();
        let mut waited = false;
        loop {
            {
                let mut state = self.lock(slot);
                let now = Instant::now();
                if let Some(entry) = state.entry.clone() {
                    if !state.in_flight && state.next_refresh.is_none_or(|at| now >= at) {
                        self.spawn_fetch(slot, &mut state);
                    }
                    return Ok(entry);
                }
                if waited && state.last_error.is_some_and(FetchErrorKind::is_permanent) {
                    return Err(Unavailable {
                        last_error: state.last_error,
                    });
                }
                // A request may start a fetch while none runs, but only once
                // the retry backoff allows one: unsigned traffic must not
                // raise the rate of calls to the store.
                if !state.in_flight
                    && state
                        .last_attempt
                        .is_none_or(|at| now - at >= self.settings.retry_initial)
                    && state.next_refresh.is_none_or(|at| now >= at)
                {
                    self.spawn_fetch(slot, &mut state);
                }
            }
            if tokio::time::timeout_at(deadline, finished.changed())
                .await
                .is_err()
            {
                return Err(Unavailable {
                    last_error: self.lock(slot).last_error,
                });
            }
            waited = true;
        }
    }

    /// A signature matched none of reference `r`'s values: fetch it again if
    /// its value is older than the mismatch interval and no fetch of it
    /// started within that interval, so traffic cannot raise the rate.
    /// Returns whether a fetch started.
    pub fn mismatch(self: &Arc<Self>, r: usize) -> bool {
        let slot = self.slot_of[r];
        let mut state = self.lock(slot);
        let interval = self.settings.mismatch_interval;
        let now = Instant::now();
        if state.entry.is_none()
            || state.in_flight
            || state.last_attempt.is_some_and(|at| now - at < interval)
        {
            return false;
        }
        self.spawn_fetch(slot, &mut state);
        true
    }

    /// [`mismatch`](Self::mismatch), then waits up to `wait` for the running
    /// fetch, if any, to finish, and says what the store answered for values
    /// of generation `seen_generation` (the ones that failed to verify).
    pub async fn refetch_after_mismatch(
        self: &Arc<Self>,
        r: usize,
        seen_generation: u64,
        wait: Duration,
    ) -> Refetch {
        let slot = self.slot_of[r];
        let deadline = Instant::now() + wait;
        let mut finished = self.slots[slot].finished.subscribe();
        self.mismatch(r);
        loop {
            {
                let state = self.lock(slot);
                if let Some(entry) = &state.entry
                    && entry.generation != seen_generation
                {
                    return Refetch::Refreshed(entry.clone());
                }
                if !state.in_flight {
                    // No fetch runs: one finished within the mismatch
                    // interval (this one, or the one that rate-limited it).
                    return match state.last_error {
                        None => Refetch::Unchanged,
                        Some(kind) => Refetch::Failed(Some(kind)),
                    };
                }
            }
            // The store did not answer in time: nothing confirms the values.
            if !matches!(
                tokio::time::timeout_at(deadline, finished.changed()).await,
                Ok(Ok(()))
            ) {
                return Refetch::Failed(None);
            }
        }
    }

    fn lock(&self, slot: usize) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state inconsistent
        // in a way that matters more than stopping would.
        self.slots[slot]
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn spawn_fetch(self: &Arc<Self>, slot: usize, state: &mut State) {
        state.in_flight = true;
        state.last_attempt = Some(Instant::now());
        let this = self.clone();
        let finisher = self.clone();
        let finish = move |result: Option<Result<Vec<Secret>, FetchError>>| {
            finisher.finish(
                slot,
                result.unwrap_or_else(|| {
                    Err(FetchError::new(
                        FetchErrorKind::Other,
                        "the fetch ended without an answer",
                    ))
                }),
            );
        };
        crate::task::spawn_finished(
            async move {
                let reference = &this.slots[slot].reference;
                tracing::debug!(reference = %reference, "fetching secret");
                let timeout = this.settings.fetch_timeout;
                let mut retried = false;
                loop {
                    let started = Instant::now();
                    let ended_before = this.invocations_ended.load(Ordering::Relaxed);
                    let result = tokio::time::timeout(timeout, this.source.fetch(reference))
                        .await
                        .unwrap_or_else(|_| {
                            Err(FetchError::new(
                                FetchErrorKind::Timeout,
                                "the fetch did not finish in time",
                            ))
                        });
                    // A failure that spans the end of an invocation, or comes far
                    // past the fetch's bound, may be a freeze (Lambda pauses the
                    // process between invocations), not the store failing to
                    // answer: whichever timer reports it (the source's own, the
                    // SDK's operation timeout, has passed too and is polled
                    // first), ask once more rather than record a failure.
                    let spanned_a_gap = this.invocations_ended.load(Ordering::Relaxed)
                        != ended_before
                        || started.elapsed() > timeout + timeout / 2;
                    // The store's own answers (no such secret, access denied, a
                    // value that is no secret) are not a freeze's doing.
                    let may_be_a_freeze = result
                        .as_ref()
                        .is_err_and(|error| !error.kind().is_permanent());
                    if may_be_a_freeze && !retried && spanned_a_gap {
                        tracing::debug!(reference = %reference, "fetch spanned a freeze; retrying");
                        retried = true;
                        continue;
                    }
                    break result;
                }
            },
            finish,
        );
    }

    fn finish(self: &Arc<Self>, slot: usize, result: Result<Vec<Secret>, FetchError>) {
        let reference = &self.slots[slot].reference;
        let result = result.and_then(|values| {
            let mut unique: Vec<Secret> = Vec::with_capacity(values.len());
            for value in values {
                if !value.expose().is_empty() && !unique.contains(&value) {
                    unique.push(value);
                }
            }
            if unique.is_empty() {
                Err(FetchError::new(
                    FetchErrorKind::InvalidValue,
                    "the store returned no value",
                ))
            } else {
                Ok(unique)
            }
        });
        let mut sharing = Vec::new();
        let mut state = self.lock(slot);
        let now = Instant::now();
        state.in_flight = false;
        match result {
            Ok(values) => {
                let changed = state.entry.as_ref().is_none_or(|e| e.values != values);
                if changed && let Some(shared) = &self.shared {
                    sharing = shared.observe(slot, &values);
                }
                if changed {
                    state.generation += 1;
                    tracing::info!(
                        reference = %reference,
                        values = values.len(),
                        generation = state.generation,
                        "secret loaded"
                    );
                    state.entry = Some(Arc::new(Entry {
                        values,
                        generation: state.generation,
                    }));
                } else {
                    tracing::debug!(reference = %reference, "secret unchanged");
                }
                if state.last_error.take().is_some() && state.last_failure_logged.is_some() {
                    tracing::info!(reference = %reference, "secret store reachable again");
                }
                state.last_failure_logged = None;
                state.next_refresh = Some(now + self.settings.ttl);
                state.backoff = self.settings.retry_initial;
            }
            Err(error) => {
                state.last_error = Some(error.kind());
                if state
                    .last_failure_logged
                    .is_none_or(|at| now - at >= self.settings.ttl)
                {
                    state.last_failure_logged = Some(now);
                    tracing::warn!(
                        reference = %reference,
                        kind = error.kind().as_str(),
                        error = %error,
                        serving = if state.entry.is_some() { "last good value" } else { "nothing yet" },
                        "secret fetch failed"
                    );
                }
                let delay = state.backoff;
                state.next_refresh = Some(now + delay);
                state.backoff = (delay * 2).min(self.settings.retry_max);
                // Until a first value exists, retry on a timer: no request
                // has to come for an outage at cold start to heal.
                if state.entry.is_none() && !state.retry_scheduled {
                    state.retry_scheduled = true;
                    let this = self.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(delay).await;
                        let mut state = this.lock(slot);
                        state.retry_scheduled = false;
                        if state.entry.is_none() && !state.in_flight {
                            this.spawn_fetch(slot, &mut state);
                        }
                    });
                }
            }
        }
        drop(state);
        self.slots[slot].finished.send_modify(|n| *n += 1);
        shared::warn(sharing, reference);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A store whose answer, latency and call count the test controls.
    struct Fake {
        calls: AtomicUsize,
        answer: Mutex<Result<Vec<&'static str>, FetchErrorKind>>,
        delay: Mutex<Duration>,
        /// The next fetch panics (a bug in it).
        panics: std::sync::atomic::AtomicBool,
    }

    impl Fake {
        fn new(answer: Result<Vec<&'static str>, FetchErrorKind>) -> Self {
            Self {
                calls: AtomicUsize::new(0),
                answer: Mutex::new(answer),
                delay: Mutex::new(Duration::ZERO),
                panics: Default::default(),
            }
        }
    }

    impl SecretSource for Fake {
        async fn fetch(&self, _r: &StoreRef) -> Result<Vec<Secret>, FetchError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let delay = *self.delay.lock().unwrap();
            tokio::time::sleep(delay).await;
            assert!(
                !self.panics.swap(false, Ordering::SeqCst),
                "a bug in the fetch"
            );
            match &*self.answer.lock().unwrap() {
                Ok(values) => Ok(values.iter().map(|v| Secret::new(*v)).collect()),
                Err(kind) => Err(FetchError::new(*kind, "fake failure")),
            }
        }
    }

    fn reference(name: &str) -> StoreRef {
        StoreRef::Ssm { name: name.into() }
    }

    fn cache(answer: Result<Vec<&'static str>, FetchErrorKind>) -> Arc<SecretCache<Fake>> {
        Arc::new(SecretCache::new(
            Fake::new(answer),
            vec![reference("/a")],
            Settings::default(),
        ))
    }

    fn calls(cache: &SecretCache<Fake>) -> usize {
        cache.source().calls.load(Ordering::SeqCst)
    }

    fn set(cache: &SecretCache<Fake>, answer: Result<Vec<&'static str>, FetchErrorKind>) {
        *cache.source().answer.lock().unwrap() = answer;
    }

    fn values(entry: &Entry) -> Vec<&[u8]> {
        entry.values.iter().map(Secret::expose).collect()
    }

    const WAIT: Duration = Duration::from_secs(2);

    #[tokio::test(start_paused = true)]
    async fn start_fetches_each_reference_once_and_get_waits_for_it() {
        let cache = Arc::new(SecretCache::new(
            Fake::new(Ok(vec!["one", "one", "", "two"])),
            vec![reference("/a"), reference("/b"), reference("/a")],
            Settings::default(),
        ));
        *cache.source().delay.lock().unwrap() = Duration::from_millis(300);
        cache.start();
        let started = Instant::now();
        let entry = cache.get(2, WAIT).await.unwrap();
        assert_eq!(started.elapsed(), Duration::from_millis(300));
        assert_eq!(values(&entry), [b"one".as_slice(), b"two"], "deduplicated");
        assert_eq!(entry.generation, 1);
        assert!(Arc::ptr_eq(&entry, &cache.get(0, WAIT).await.unwrap()));
        cache.get(1, WAIT).await.unwrap();
        assert_eq!(calls(&cache), 2, "/a once, /b once");
        assert_eq!(cache.reference(1).to_string(), "ssm:/b");
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_without_start_triggers_the_fetch() {
        let cache = cache(Ok(vec!["v"]));
        assert_eq!(values(&cache.get(0, WAIT).await.unwrap()), [b"v"]);
        assert_eq!(calls(&cache), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn cold_start_outage_is_unavailable_within_the_wait_then_heals_by_itself() {
        let cache = cache(Err(FetchErrorKind::Unreachable));
        cache.start();
        let started = Instant::now();
        let error = cache.get(0, Duration::from_millis(500)).await.unwrap_err();
        assert_eq!(started.elapsed(), Duration::from_millis(500));
        assert_eq!(error.last_error, Some(FetchErrorKind::Unreachable));
        // Retries at 0, 100, 300 (100+200) ms: three by 500 ms, backoff doubling.
        assert_eq!(calls(&cache), 3);
        tokio::time::sleep(Duration::from_secs(20)).await;
        // Then every 5 s at most: 0.1+0.2+0.4+0.8+1.6+3.2 = 6.3 s, then 5 s steps.
        let n = calls(&cache);
        assert!((8..=10).contains(&n), "{n} calls");
        set(&cache, Ok(vec!["back"]));
        tokio::time::sleep(Duration::from_secs(5)).await;
        let n = calls(&cache);
        // The value came in without a request asking, and retries stopped.
        let entry = cache.get(0, Duration::ZERO).await.unwrap();
        assert_eq!(values(&entry), [b"back"]);
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(calls(&cache), n);
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_fetch_is_a_failed_one_and_retried() {
        let cache = cache(Ok(vec!["v"]));
        cache.source().panics.store(true, Ordering::SeqCst);
        // The panic is a failure; its retry 100 ms later answers.
        let started = Instant::now();
        assert_eq!(values(&cache.get(0, WAIT).await.unwrap()), [b"v"]);
        assert_eq!(started.elapsed(), Duration::from_millis(100));
        assert_eq!(calls(&cache), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_permanent_failure_ends_the_wait_early() {
        let cache = cache(Err(FetchErrorKind::NotFound));
        let started = Instant::now();
        let error = cache.get(0, WAIT).await.unwrap_err();
        assert_eq!(started.elapsed(), Duration::ZERO);
        assert_eq!(error.last_error, Some(FetchErrorKind::NotFound));
        assert!(!error.to_string().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_fetch_that_spans_a_freeze_is_asked_again_not_failed() {
        let cache = cache(Ok(vec!["v"]));
        *cache.source().delay.lock().unwrap() = Duration::from_secs(3600);
        cache.start();
        tokio::task::yield_now().await;
        assert_eq!(calls(&cache), 1);
        // Frozen for a minute mid-fetch; the store answers once thawed.
        *cache.source().delay.lock().unwrap() = Duration::ZERO;
        tokio::time::advance(Duration::from_secs(60)).await;
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        // At once, not after a failure's backoff.
        let entry = cache.get(0, Duration::ZERO).await.unwrap();
        assert_eq!(values(&entry), [b"v"]);
        assert_eq!(calls(&cache), 2);
        assert_eq!(cache.lock(0).last_error, None, "no failure recorded");
    }

    /// A store with its own, shorter timeout, as the AWS adapter has (the
    /// SDK's operation timeout): after a freeze both timers have passed, and
    /// the fetch, polled first, reports its own timeout.
    struct TimesOutItself {
        calls: AtomicUsize,
    }

    impl SecretSource for TimesOutItself {
        async fn fetch(&self, _r: &StoreRef) -> Result<Vec<Secret>, FetchError> {
            if self.calls.fetch_add(1, Ordering::SeqCst) > 0 {
                return Ok(vec![Secret::new("v")]);
            }
            let own = Settings::default().fetch_timeout / 2;
            match tokio::time::timeout(own, std::future::pending::<()>()).await {
                Ok(()) => unreachable!(),
                Err(_) => Err(FetchError::new(FetchErrorKind::Timeout, "sdk timeout")),
            }
        }
    }

    /// A fetch from [`TimesOutItself`] frozen for `frozen`, with `ended`
    /// counting invocations (bumped once first when `invocation_ends`): the
    /// value must be there at once afterwards, with no failure recorded.
    async fn asked_again_after_freeze(
        ended: &'static AtomicU64,
        invocation_ends: bool,
        frozen: Duration,
    ) {
        let mut cache = SecretCache::new(
            TimesOutItself {
                calls: AtomicUsize::new(0),
            },
            vec![reference("/a")],
            Settings::default(),
        );
        cache.invocations_ended = ended;
        let cache = Arc::new(cache);
        cache.start();
        tokio::task::yield_now().await;
        if invocation_ends {
            ended.fetch_add(1, Ordering::Relaxed);
        }
        tokio::time::advance(frozen).await;
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        let entry = cache.get(0, Duration::ZERO).await.unwrap();
        assert_eq!(values(&entry), [b"v"]);
        assert_eq!(cache.source().calls.load(Ordering::SeqCst), 2);
        assert_eq!(cache.lock(0).last_error, None, "no failure recorded");
    }

    #[tokio::test(start_paused = true)]
    async fn a_freeze_is_recognised_whichever_timeout_reports_it() {
        // No invocation ends: only the elapsed time tells.
        static ENDED: AtomicU64 = AtomicU64::new(0);
        asked_again_after_freeze(&ENDED, false, Duration::from_secs(60)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_across_the_end_of_an_invocation_is_asked_again() {
        // Frozen for 6 s: shorter than the cache's bound, longer than the
        // store's own timeout.
        static ENDED: AtomicU64 = AtomicU64::new(0);
        asked_again_after_freeze(&ENDED, true, Duration::from_secs(6)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn the_stores_own_answer_is_not_asked_again_after_a_freeze() {
        static ENDED: AtomicU64 = AtomicU64::new(0);
        let mut cache = SecretCache::new(
            Fake::new(Err(FetchErrorKind::NotFound)),
            vec![reference("/a")],
            Settings::default(),
        );
        cache.invocations_ended = &ENDED;
        *cache.source().delay.lock().unwrap() = Duration::from_secs(1);
        let cache = Arc::new(cache);
        cache.start();
        tokio::task::yield_now().await;
        ENDED.fetch_add(1, Ordering::Relaxed);
        tokio::time::advance(Duration::from_secs(2)).await;
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert_eq!(calls(&cache), 1);
        assert_eq!(cache.lock(0).last_error, Some(FetchErrorKind::NotFound));
    }

    #[tokio::test(start_paused = true)]
    async fn a_hanging_source_is_bounded() {
        let cache = cache(Ok(vec!["v"]));
        *cache.source().delay.lock().unwrap() = Duration::from_secs(3600);
        let error = cache.get(0, WAIT).await.unwrap_err();
        assert_eq!(error.last_error, None, "still fetching");
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(
            cache.lock(0).last_error,
            Some(FetchErrorKind::Timeout),
            "given up after fetch_timeout"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn stale_values_are_served_while_one_refresh_runs() {
        let cache = cache(Ok(vec!["v1"]));
        let first = cache.get(0, WAIT).await.unwrap();
        tokio::time::sleep(DEFAULT_TTL - Duration::from_secs(1)).await;
        cache.get(0, WAIT).await.unwrap();
        assert_eq!(calls(&cache), 1, "fresh: no refresh");
        tokio::time::sleep(Duration::from_secs(1)).await;
        set(&cache, Ok(vec!["v2"]));
        *cache.source().delay.lock().unwrap() = Duration::from_millis(200);
        for _ in 0..50 {
            let entry = cache.get(0, Duration::ZERO).await.unwrap();
            assert!(Arc::ptr_eq(&entry, &first), "stale value served at once");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(calls(&cache), 2, "one refresh for 50 requests");
        let second = cache.get(0, WAIT).await.unwrap();
        assert_eq!(values(&second), [b"v2"]);
        assert_eq!(second.generation, 2);

        // An unchanged value keeps its generation (and its Arc).
        tokio::time::sleep(DEFAULT_TTL).await;
        cache.get(0, WAIT).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(calls(&cache), 3);
        assert!(Arc::ptr_eq(&second, &cache.get(0, WAIT).await.unwrap()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_refresh_keeps_the_last_good_value() {
        let cache = cache(Ok(vec!["good"]));
        cache.get(0, WAIT).await.unwrap();
        set(&cache, Err(FetchErrorKind::Timeout));
        tokio::time::sleep(DEFAULT_TTL).await;
        for _ in 0..20 {
            let entry = cache.get(0, WAIT).await.unwrap();
            assert_eq!(values(&entry), [b"good"]);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // 1 s of traffic: the refresh retried with backoff (0, 100, 300, 700 ms), not per request.
        assert_eq!(calls(&cache), 5);
    }

    fn refreshed(got: Refetch) -> Arc<Entry> {
        match got {
            Refetch::Refreshed(entry) => entry,
            other => panic!("expected newer values, got {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_mismatch_refetches_at_most_once_per_interval() {
        let cache = cache(Ok(vec!["old"]));
        let first = cache.get(0, WAIT).await.unwrap();
        set(&cache, Ok(vec!["new"]));
        assert!(!cache.mismatch(0), "value younger than a minute");
        assert_eq!(
            cache
                .refetch_after_mismatch(0, first.generation, WAIT)
                .await,
            Refetch::Unchanged,
            "confirmed by the fetch a moment ago"
        );
        assert_eq!(calls(&cache), 1);

        tokio::time::sleep(Duration::from_secs(60)).await;
        *cache.source().delay.lock().unwrap() = Duration::from_millis(100);
        let renewed = refreshed(
            cache
                .refetch_after_mismatch(0, first.generation, WAIT)
                .await,
        );
        assert_eq!(values(&renewed), [b"new"]);
        assert_eq!(renewed.generation, 2);
        // Another request that saw the old generation gets the new entry at once.
        let again = cache
            .refetch_after_mismatch(0, first.generation, WAIT)
            .await;
        assert!(Arc::ptr_eq(&refreshed(again), &renewed));
        assert_eq!(calls(&cache), 2);

        // Forgeries against the new value: no fetch for a minute, whatever the traffic.
        for _ in 0..1000 {
            assert!(!cache.mismatch(0));
        }
        tokio::time::sleep(Duration::from_secs(59)).await;
        assert!(!cache.mismatch(0));
        assert_eq!(
            cache
                .refetch_after_mismatch(0, renewed.generation, WAIT)
                .await,
            Refetch::Unchanged
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            cache
                .refetch_after_mismatch(0, renewed.generation, WAIT)
                .await,
            Refetch::Unchanged,
            "fetched, unchanged"
        );
        assert_eq!(calls(&cache), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_mismatch_waits_only_within_its_bound() {
        let cache = cache(Ok(vec!["old"]));
        let first = cache.get(0, WAIT).await.unwrap();
        tokio::time::sleep(Duration::from_secs(60)).await;
        set(&cache, Ok(vec!["new"]));
        *cache.source().delay.lock().unwrap() = Duration::from_secs(1);
        let started = Instant::now();
        let got = cache
            .refetch_after_mismatch(0, first.generation, Duration::from_millis(300))
            .await;
        assert_eq!(got, Refetch::Failed(None), "no answer in time: undecided");
        assert_eq!(started.elapsed(), Duration::from_millis(300));
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(cache.get(0, WAIT).await.unwrap().generation, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_refetch_is_undecided_until_the_store_answers_again() {
        let cache = cache(Ok(vec!["old"]));
        let first = cache.get(0, WAIT).await.unwrap();
        tokio::time::sleep(Duration::from_secs(60)).await;
        set(&cache, Err(FetchErrorKind::Unreachable));
        assert_eq!(
            cache
                .refetch_after_mismatch(0, first.generation, WAIT)
                .await,
            Refetch::Failed(Some(FetchErrorKind::Unreachable))
        );
        // Rate-limited for a minute, and still undecided: the last answer
        // the store gave was a failure, so nothing confirms "old".
        for _ in 0..100 {
            assert_eq!(
                cache
                    .refetch_after_mismatch(0, first.generation, WAIT)
                    .await,
                Refetch::Failed(Some(FetchErrorKind::Unreachable))
            );
        }
        assert_eq!(calls(&cache), 2, "forgeries do not raise the rate");
        // The store answers again (here the TTL refresh, with backoff).
        set(&cache, Ok(vec!["old"]));
        tokio::time::sleep(DEFAULT_TTL).await;
        cache.get(0, WAIT).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(
            cache
                .refetch_after_mismatch(0, first.generation, WAIT)
                .await,
            Refetch::Unchanged,
            "confirmed: a forgery again"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn failures_are_logged_once_per_ttl_with_reference_and_kind() {
        let captured = crate::logging::Captured::default();
        let _guard = captured.install("warn", false);
        let cache = cache(Err(FetchErrorKind::AccessDenied));
        cache.start();
        // Just under ten minutes of retries and requests: two TTLs, so two lines.
        for _ in 0..590 {
            let _ = cache.get(0, Duration::from_millis(10)).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let logs = captured.text();
        let lines: Vec<&str> = logs.lines().collect();
        assert_eq!(lines.len(), 2, "{logs}");
        assert!(lines[0].contains("reference=ssm:/a"), "{logs}");
        assert!(lines[0].contains("kind=\"access_denied\""), "{logs}");
        assert!(calls(&cache) > 100, "retried meanwhile");
    }

    #[tokio::test(start_paused = true)]
    async fn sources_found_sharing_a_stored_value_are_warned_about_by_field() {
        let captured = crate::logging::Captured::default();
        let _guard = captured.install("warn", false);
        let owner = |source: &str, field| super::shared::Owner {
            source: source.into(),
            field,
        };
        // /a is named twice (sources a and c: init's warning, not this one's);
        // /b, a different reference, holds the same value.
        let cache = Arc::new(
            SecretCache::new(
                Fake::new(Ok(vec!["hunter2-stored"])),
                vec![reference("/a"), reference("/b"), reference("/a")],
                Settings::default(),
            )
            .with_shared_values(SecretOwners {
                stored: vec![
                    (reference("/a"), owner("a", 0)),
                    (reference("/b"), owner("b", 1)),
                    (reference("/a"), owner("c", 0)),
                ],
                known: vec![(owner("b", 0), Secret::new("known-at-init"))],
            }),
        );
        cache.start();
        cache.get(0, WAIT).await.unwrap();
        cache.get(1, WAIT).await.unwrap();
        let logs = captured.text();
        assert_eq!(logs.lines().count(), 2, "b with a, b with c: {logs}");
        assert!(logs.contains(r#"second="b" secrets[1]"#), "{logs}");
        assert!(!logs.contains("hunter2"), "{logs}");
    }

    #[test]
    fn settings_come_from_the_environment() {
        let lookup = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| OsString::from(*v))
            }
        };
        assert_eq!(settings_from_env(lookup(&[])).unwrap(), Settings::default());
        let s = settings_from_env(lookup(&[
            ("SECRETS_TTL_SECONDS", "30"),
            ("SECRETS_WAIT_MS", "0"),
        ]))
        .unwrap();
        assert_eq!((s.ttl, s.wait), (Duration::from_secs(30), Duration::ZERO));
        assert_eq!(
            settings_from_env(lookup(&[("SECRETS_TTL_SECONDS", "")])).unwrap(),
            Settings::default()
        );
        for (var, value) in [
            ("SECRETS_TTL_SECONDS", "0"),
            ("SECRETS_TTL_SECONDS", "86401"),
            ("SECRETS_TTL_SECONDS", "5m"),
            ("SECRETS_WAIT_MS", "25001"),
            ("SECRETS_WAIT_MS", "-1"),
        ] {
            let pairs: &'static [(&str, &str)] = Box::leak(Box::new([(var, value)]));
            let (bad, reason) = settings_from_env(lookup(pairs)).unwrap_err();
            assert_eq!(bad, var);
            assert!(reason.starts_with("expected"), "{reason}");
        }
    }
}
