//! A loopback proxy between the function and moto that injects SQS faults:
//! throttling, access denied, server errors, delays past the timeout, and a
//! response lost after SQS stored the message.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tiny_http::{Header, Response, Server};

/// What the proxy does with one SQS call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Pass,
    Throttle,
    AccessDenied,
    ServerError,
    Delay(Duration),
    /// Forward (SQS stores the message), then answer 500.
    LostResponse,
}

type Plan = Box<dyn FnMut() -> Fault + Send>;

pub struct FaultProxy {
    server: Arc<Server>,
    workers: Vec<JoinHandle<()>>,
}

fn error_response(status: u16, code: &str, message: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    let body = format!(r#"{{"__type":"com.amazonaws.sqs#{code}","message":"{message}"}}"#);
    Response::from_string(body)
        .with_status_code(status)
        .with_header(Header::from_bytes("Content-Type", "application/x-amz-json-1.0").unwrap())
        .with_header(Header::from_bytes("x-amzn-query-error", format!("{code};Sender")).unwrap())
}

impl FaultProxy {
    pub fn start(upstream: String, plan: impl FnMut() -> Fault + Send + 'static) -> Self {
        let server = Arc::new(Server::http("127.0.0.1:0").unwrap());
        let plan: Arc<Mutex<Plan>> = Arc::new(Mutex::new(Box::new(plan)));
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let workers = (0..4)
            .map(|_| {
                let (server, plan, agent, upstream) = (
                    server.clone(),
                    plan.clone(),
                    agent.clone(),
                    upstream.clone(),
                );
                std::thread::spawn(move || {
                    while let Ok(mut request) = server.recv() {
                        let fault = (plan.lock().unwrap())();
                        let forward = |request: &mut tiny_http::Request| {
                            let mut body = Vec::new();
                            request.as_reader().read_to_end(&mut body).unwrap();
                            let mut call = agent.post(format!("{upstream}{}", request.url()));
                            for header in request.headers() {
                                let name = header.field.as_str().as_str();
                                if !["host", "content-length", "connection"]
                                    .contains(&name.to_ascii_lowercase().as_str())
                                {
                                    call = call.header(name, header.value.as_str());
                                }
                            }
                            call.send(&body[..]).ok()
                        };
                        let response = match fault {
                            Fault::Throttle => {
                                error_response(400, "ThrottlingException", "Rate exceeded")
                            }
                            Fault::AccessDenied => error_response(
                                403,
                                "AccessDeniedException",
                                "Access to the resource is denied",
                            ),
                            Fault::ServerError => {
                                error_response(500, "InternalFailure", "Internal failure")
                            }
                            Fault::LostResponse => {
                                let _ = forward(&mut request);
                                error_response(500, "InternalFailure", "Internal failure")
                            }
                            Fault::Pass | Fault::Delay(_) => {
                                if let Fault::Delay(pause) = fault {
                                    std::thread::sleep(pause);
                                }
                                match forward(&mut request) {
                                    Some(mut upstream) => {
                                        let status = upstream.status().as_u16();
                                        let content_type = upstream
                                            .headers()
                                            .get("content-type")
                                            .and_then(|v| v.to_str().ok())
                                            .unwrap_or("application/x-amz-json-1.0")
                                            .to_owned();
                                        let text = upstream
                                            .body_mut()
                                            .read_to_string()
                                            .unwrap_or_default();
                                        Response::from_string(text)
                                            .with_status_code(status)
                                            .with_header(
                                                Header::from_bytes("Content-Type", content_type)
                                                    .unwrap(),
                                            )
                                    }
                                    None => error_response(
                                        500,
                                        "InternalFailure",
                                        "upstream unreachable",
                                    ),
                                }
                            }
                        };
                        let _ = request.respond(response);
                    }
                })
            })
            .collect();
        Self { server, workers }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.server.server_addr().to_ip().unwrap())
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        for _ in &self.workers {
            self.server.unblock();
        }
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}
