//! A bare Rust Lambda function: polls the Runtime API and answers every
//! event with a 200, doing nothing else. bench/run times hookline's cold
//! start against this binary's.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(|_: LambdaEvent<Value>| async {
        Ok::<_, lambda_runtime::Error>(json!({ "statusCode": 200, "body": "" }))
    }))
    .await
}
