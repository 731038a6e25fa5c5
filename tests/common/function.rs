//! The real `hookline` binary as a Lambda function process, driven through
//! the Runtime API stand-in; everything it prints is kept for log checks.

use std::io::Read;
use std::path::Path;
use std::process::Child;
use std::sync::{Arc, Mutex};

use hookline::Scheme;
use hookline::sample_event::{Shape, event};
use serde_json::Value;

use super::request;
use super::runtime::{Invocation, RuntimeApi};
use super::secret_for;

pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// The function process plus everything it printed.
pub struct Function {
    runtime: RuntimeApi,
    pub child: Child,
    output: Arc<Mutex<Vec<u8>>>,
}

impl Function {
    pub fn start(scheme: Scheme, queue_url: &str, endpoint: &str, extra: &[(&str, &str)]) -> Self {
        let binary: &Path = env!("CARGO_BIN_EXE_hookline").as_ref();
        Self::start_binary(binary, scheme, queue_url, endpoint, extra)
    }

    /// As `start`, with another build of the receiver (e.g. the packaged
    /// `bootstrap` from `sam build`).
    pub fn start_binary(
        binary: &Path,
        scheme: Scheme,
        queue_url: &str,
        endpoint: &str,
        extra: &[(&str, &str)],
    ) -> Self {
        let mut env: Vec<(&str, String)> = vec![
            ("WEBHOOK_SCHEME", scheme.name().into()),
            ("WEBHOOK_SECRET", secret_for(scheme).into()),
            ("QUEUE_URL", queue_url.into()),
            ("AWS_ENDPOINT_URL_SQS", endpoint.into()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ];
        for (key, value) in extra {
            env.retain(|(k, _)| k != key);
            env.push((key, (*value).into()));
        }
        let runtime = RuntimeApi::start();
        let mut child = runtime.spawn(binary, &env);
        let output = Arc::new(Mutex::new(Vec::new()));
        for mut stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let output = Arc::clone(&output);
            std::thread::spawn(move || {
                let mut buffer = [0u8; 8192];
                while let Ok(n) = stream.read(&mut buffer) {
                    if n == 0 {
                        break;
                    }
                    output.lock().unwrap().extend_from_slice(&buffer[..n]);
                }
            });
        }
        Self {
            runtime,
            child,
            output,
        }
    }

    /// Sends a request in `shape`; returns (status, response payload).
    pub fn send(
        &mut self,
        shape: Shape,
        headers: Vec<(String, String)>,
        body: &[u8],
    ) -> (u16, Value) {
        let payload = event(shape, &request(headers, body, false));
        match self.runtime.invoke(&payload) {
            Invocation::Response(response) => {
                (response["statusCode"].as_u64().unwrap() as u16, response)
            }
            Invocation::Error(error) => panic!("invocation error: {error}"),
        }
    }

    /// Sends any event payload; returns (status, response payload).
    pub fn send_event(&mut self, payload: &Value) -> (u16, Value) {
        match self.runtime.invoke(payload) {
            Invocation::Response(response) => {
                (response["statusCode"].as_u64().unwrap() as u16, response)
            }
            Invocation::Error(error) => panic!("invocation error: {error}"),
        }
    }

    pub fn logs(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    /// The logs once they hold `needle` (the reader threads may lag the
    /// response by a moment); all of them after 10 s regardless.
    /// The init error the function reported to the Runtime API.
    pub fn init_error(&self) -> (String, serde_json::Value) {
        self.runtime.init_error()
    }

    pub fn logs_with(&self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let logs = self.logs();
            if logs.contains(needle) || std::time::Instant::now() > deadline {
                return logs;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// The first log line holding `needle`, waiting as [`logs_with`](Self::logs_with) does.
    pub fn log_line_with(&self, needle: &str) -> String {
        let logs = self.logs_with(needle);
        logs.lines()
            .find(|line| line.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?}: {logs}"))
            .to_owned()
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
