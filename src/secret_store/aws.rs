//! The AWS adapter behind [`SecretSource`]: one Secrets Manager and one SSM
//! client, built once from the shared SDK configuration, with explicit
//! timeouts and retries so a sick store costs a bounded wait.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueOutput;

use super::{FetchError, FetchErrorKind, SecretSource, StoreRef};
use crate::secret::Secret;

/// Bound on one call, retries included: well past a request's default wait,
/// since a fetch also runs in the background for the requests after it.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1500);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

const CURRENT: &str = "AWSCURRENT";
const PREVIOUS: &str = "AWSPREVIOUS";

/// Reads Secrets Manager secrets and SSM parameters.
#[derive(Debug, Clone)]
pub struct AwsSecretSource {
    secrets_manager: aws_sdk_secretsmanager::Client,
    ssm: aws_sdk_ssm::Client,
}

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

fn retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(50))
        .with_max_backoff(Duration::from_millis(500))
}

impl AwsSecretSource {
    /// Builds both clients from `sdk` (region, credentials, and
    /// `AWS_ENDPOINT_URL_SECRETS_MANAGER` / `AWS_ENDPOINT_URL_SSM` when `sdk`
    /// was loaded by `aws_config` and sets no endpoint of its own), with this
    /// adapter's timeouts and retries. Makes no network call.
    pub fn new(sdk: &SdkConfig) -> Self {
        let secrets_manager = aws_sdk_secretsmanager::config::Builder::from(sdk)
            .timeout_config(timeouts())
            .retry_config(retries())
            .build();
        let ssm = aws_sdk_ssm::config::Builder::from(sdk)
            .timeout_config(timeouts())
            .retry_config(retries())
            .build();
        Self {
            secrets_manager: aws_sdk_secretsmanager::Client::from_conf(secrets_manager),
            ssm: aws_sdk_ssm::Client::from_conf(ssm),
        }
    }

    /// `AWSCURRENT`, then `AWSPREVIOUS` when it exists and holds a usable
    /// value; both read at once.
    async fn secrets_manager(
        &self,
        id: &str,
        json_key: Option<&str>,
    ) -> Result<Vec<Secret>, FetchError> {
        let stage = |stage| {
            self.secrets_manager
                .get_secret_value()
                .secret_id(id)
                .version_stage(stage)
                .send()
        };
        let (current, previous) = tokio::join!(stage(CURRENT), stage(PREVIOUS));
        let mut values = vec![secret_value(current.map_err(classify)?, json_key)?];
        match previous.map_err(classify) {
            Ok(output) => match secret_value(output, json_key) {
                Ok(value) => values.push(value),
                // An old version without the key (or empty) cannot verify
                // anything; the current one is still good.
                Err(error) => tracing::debug!(
                    secret = id,
                    kind = error.kind().as_str(),
                    error = %error,
                    "AWSPREVIOUS version ignored"
                ),
            },
            Err(error) if error.kind() == FetchErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
        Ok(values)
    }

    async fn ssm(&self, name: &str) -> Result<Vec<Secret>, FetchError> {
        let output = self
            .ssm
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await
            .map_err(classify)?;
        let value = output
            .parameter
            .and_then(|p| p.value)
            .ok_or_else(|| invalid("the parameter has no value"))?;
        non_empty(value.into_bytes())
    }
}

impl SecretSource for AwsSecretSource {
    async fn fetch(&self, r: &StoreRef) -> Result<Vec<Secret>, FetchError> {
        match r {
            StoreRef::SecretsManager { id, json_key } => {
                self.secrets_manager(id, json_key.as_deref()).await
            }
            StoreRef::Ssm { name } => self.ssm(name).await,
        }
    }
}

fn invalid(detail: &'static str) -> FetchError {
    FetchError::new(FetchErrorKind::InvalidValue, detail)
}

fn non_empty(value: Vec<u8>) -> Result<Vec<Secret>, FetchError> {
    if value.is_empty() {
        return Err(invalid("the value is empty"));
    }
    Ok(vec![Secret::new(value)])
}

/// The version's `SecretString`, or the string at `json_key` in it. Error
/// details are fixed text: a parser's message could quote the value.
fn secret_value(
    output: GetSecretValueOutput,
    json_key: Option<&str>,
) -> Result<Secret, FetchError> {
    let Some(text) = output.secret_string else {
        return Err(invalid(if output.secret_binary.is_some() {
            "the secret is binary (SecretBinary); a SecretString is needed"
        } else {
            "the secret has no SecretString"
        }));
    };
    let value = match json_key {
        None => text.into_bytes(),
        Some(key) => select_key(&text, key)?,
    };
    non_empty(value).map(|mut values| values.remove(0))
}

fn select_key(text: &str, key: &str) -> Result<Vec<u8>, FetchError> {
    let Ok(serde_json::Value::Object(mut fields)) = serde_json::from_str(text) else {
        return Err(invalid(
            "the secret is not a JSON object, so #key cannot apply",
        ));
    };
    match fields.remove(key) {
        Some(serde_json::Value::String(value)) => Ok(value.into_bytes()),
        Some(_) => Err(invalid("the JSON key's value is not a string")),
        None => Err(invalid("the JSON key is not in the secret")),
    }
}

/// Maps an SDK error to a kind. The detail is the store's error code and
/// message, or the transport's error; never a response body.
fn classify<E, R>(error: SdkError<E, R>) -> FetchError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let context = || aws_sdk_secretsmanager::error::DisplayErrorContext(&error).to_string();
    match &error {
        SdkError::TimeoutError(_) => FetchError::new(FetchErrorKind::Timeout, context()),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            FetchError::new(FetchErrorKind::Timeout, context())
        }
        SdkError::DispatchFailure(failure) if failure.is_io() => {
            FetchError::new(FetchErrorKind::Unreachable, context())
        }
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or_default();
            let message = service.err().message().unwrap_or_default();
            let kind = if code.contains("Throttl") || code == "TooManyUpdates" {
                FetchErrorKind::Throttled
            } else if code.contains("AccessDenied")
                || code.contains("InvalidClientTokenId")
                || code.contains("UnrecognizedClient")
                || code.contains("SignatureDoesNotMatch")
                || code.contains("ExpiredToken")
                || code == "DecryptionFailure"
                || code == "InvalidKeyId"
            {
                FetchErrorKind::AccessDenied
            } else if code == "ResourceNotFoundException"
                || code == "ParameterNotFound"
                || code == "ParameterVersionNotFound"
            {
                FetchErrorKind::NotFound
            } else {
                FetchErrorKind::Other
            };
            FetchError::new(kind, format!("{code}: {message}"))
        }
        // A 2xx answer that did not parse: its body may hold the value.
        SdkError::ResponseError(_) => {
            FetchError::new(FetchErrorKind::Other, "the store's answer was unreadable")
        }
        _ => FetchError::new(FetchErrorKind::Other, context()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_secretsmanager::primitives::Blob;

    fn output(text: Option<&str>) -> GetSecretValueOutput {
        GetSecretValueOutput::builder()
            .set_secret_string(text.map(str::to_owned))
            .build()
    }

    #[test]
    fn json_key_takes_one_string_field() {
        let got = secret_value(output(Some(r#"{"a":"hunter2","b":1}"#)), Some("a")).unwrap();
        assert_eq!(got.expose(), b"hunter2");
        let got = secret_value(output(Some("plain")), None).unwrap();
        assert_eq!(got.expose(), b"plain");
    }

    #[test]
    fn unusable_values_are_invalid_and_never_quoted() {
        let cases = [
            (output(Some(r#"{"a":"hunter2"}"#)), Some("b")),
            (output(Some(r#"{"a":"hunter2","b":7}"#)), Some("b")),
            (output(Some(r#""hunter2""#)), Some("a")),
            (output(Some("hunter2 not json")), Some("a")),
            (output(Some(r#"{"a":""}"#)), Some("a")),
            (output(Some("")), None),
            (output(None), None),
            (
                GetSecretValueOutput::builder()
                    .secret_binary(Blob::new("hunter2"))
                    .build(),
                None,
            ),
        ];
        for (output, key) in cases {
            let error = secret_value(output, key).unwrap_err();
            assert_eq!(error.kind(), FetchErrorKind::InvalidValue);
            assert!(!error.to_string().contains("hunter2"), "{error}");
        }
    }
}
