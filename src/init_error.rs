//! A cold start that cannot serve (its configuration is wrong) is reported
//! to the Runtime API's `/runtime/init/error`, as Lambda asks of a runtime:
//! the invocation that started it then fails with this message, not a bare
//! `Runtime.ExitError`. `lambda_runtime` posts there only for its own
//! SnapStart hooks.

use std::time::Duration;

use lambda_runtime_api_client::PooledClient;
use lambda_runtime_api_client::body::Body;

/// How long the report may take: the Runtime API is on the same host.
const TIMEOUT: Duration = Duration::from_secs(2);

/// Posts `message` as this cold start's error, of type `error_type` (a fixed
/// label). The message must hold no secret: configuration errors name
/// variables and fields, never values. Does nothing outside Lambda (no
/// `AWS_LAMBDA_RUNTIME_API`); a report that fails is logged, and the process
/// exits all the same. Sent with the runtime's own client (the same code
/// that polls for events), not a second HTTP client: one cost the
/// `bootstrap` 0.45 MB (0.2 MB zipped) in `bench/run` for one request.
pub async fn report(error_type: &'static str, message: &str) {
    let Some(api) = std::env::var("AWS_LAMBDA_RUNTIME_API")
        .ok()
        .filter(|api| !api.is_empty())
    else {
        return;
    };
    let Some(endpoint) = format!("http://{api}")
        .parse::<http::Uri>()
        .ok()
        .filter(|endpoint| endpoint.authority().is_some())
    else {
        tracing::warn!("the Runtime API address is not usable; init error not reported");
        return;
    };
    let body = serde_json::json!({ "errorType": error_type, "errorMessage": message }).to_string();
    let Ok(request) = http::Request::post("/2018-06-01/runtime/init/error")
        .header(
            "lambda-runtime-function-error-type",
            format!("Runtime.{error_type}"),
        )
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
    else {
        return;
    };
    let client = PooledClient::builder().with_endpoint(endpoint).build();
    match tokio::time::timeout(TIMEOUT, client.call(request)).await {
        Ok(Ok(response)) if response.status().is_success() => {}
        Ok(Ok(response)) => {
            tracing::warn!(
                status = response.status().as_u16(),
                "the Runtime API refused the init error"
            );
        }
        Ok(Err(_)) | Err(_) => {
            tracing::warn!("the init error could not be reported to the Runtime API")
        }
    }
}
