//! A stand-in for the Lambda Runtime API, so the real `hookline` binary runs
//! exactly as Lambda runs it: it polls for the next event and posts a response.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use std::io::Write;

use tiny_http::{Response, Server};

pub struct RuntimeApi {
    server: Arc<Server>,
    next_id: u64,
}

/// What the function did with one event.
#[derive(Debug)]
pub enum Invocation {
    /// The function's response payload.
    Response(Value),
    /// The function reported an invocation error.
    Error(String),
}

impl Default for RuntimeApi {
    fn default() -> Self {
        Self::start()
    }
}

impl RuntimeApi {
    pub fn start() -> Self {
        let server = Server::http("127.0.0.1:0").expect("runtime API stub binds");
        Self {
            server: Arc::new(server),
            next_id: 0,
        }
    }

    pub fn address(&self) -> String {
        self.server.server_addr().to_ip().unwrap().to_string()
    }

    /// Starts `binary` as Lambda would, with `env` on top of the Lambda variables.
    pub fn spawn(&self, binary: &Path, env: &[(&str, String)]) -> Child {
        let mut command = Command::new(binary);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", self.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", "hookline")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("RUST_LOG", "trace")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        command.spawn().expect("function starts")
    }

    /// Hands one event to the function (waiting for its next poll) and
    /// returns what it answered.
    pub fn invoke(&mut self, event: &Value) -> Invocation {
        self.next_id += 1;
        let id = format!("req-{}", self.next_id);
        let poll = self.wait("GET");
        assert!(
            poll.url().ends_with("/runtime/invocation/next"),
            "unexpected {}",
            poll.url()
        );
        // One write for the whole response: tiny_http writes headers and body
        // apart, which Nagle and delayed ACKs turn into a 40 ms stall on a
        // kept-alive connection (Lambda's own Runtime API does not do that).
        let body = event.to_string();
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: {id}\r\n\
             Lambda-Runtime-Deadline-Ms: 99999999999999\r\n\
             Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:hookline\r\n\
             Lambda-Runtime-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        let mut writer = poll.into_writer();
        writer
            .write_all(&[head.as_bytes(), body.as_bytes()].concat())
            .unwrap();
        writer.flush().unwrap();
        drop(writer);

        let mut answer = self.wait("POST");
        let mut body = String::new();
        answer.as_reader().read_to_string(&mut body).unwrap();
        let url = answer.url().to_owned();
        answer
            .respond(Response::from_string("").with_status_code(202))
            .unwrap();
        if url.ends_with(&format!("/runtime/invocation/{id}/response")) {
            Invocation::Response(serde_json::from_str(&body).expect("response is JSON"))
        } else {
            Invocation::Error(format!("{url}: {body}"))
        }
    }

    /// The init error the function reports (its `Lambda-Runtime-Function-Error-Type`
    /// header and its JSON body), answered 202 as Lambda does.
    pub fn init_error(&self) -> (String, Value) {
        let mut request = self.wait("POST");
        assert!(
            request.url().ends_with("/2018-06-01/runtime/init/error"),
            "unexpected {}",
            request.url()
        );
        let kind = request
            .headers()
            .iter()
            .find(|h| h.field.equiv("Lambda-Runtime-Function-Error-Type"))
            .map(|h| h.value.to_string())
            .unwrap_or_default();
        let mut body = String::new();
        request.as_reader().read_to_string(&mut body).unwrap();
        request
            .respond(Response::from_string("").with_status_code(202))
            .unwrap();
        (
            kind,
            serde_json::from_str(&body).expect("init error is JSON"),
        )
    }

    pub fn wait(&self, method: &str) -> tiny_http::Request {
        let request = self
            .server
            .recv_timeout(Duration::from_secs(60))
            .unwrap()
            .expect("the function called the runtime API in time");
        assert_eq!(request.method().as_str(), method, "{}", request.url());
        request
    }
}
