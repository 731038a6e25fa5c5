//! The tests' own Secrets Manager and SSM clients on moto, for creating and
//! rotating the secrets the receiver reads.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_secretsmanager::config::Credentials;
use aws_sdk_ssm::types::ParameterType;

use hookline::secret_store::StoreRef;

use super::moto::Moto;

pub async fn sdk(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// The test's own clients, for creating and rotating secrets.
pub struct Store {
    pub sm: aws_sdk_secretsmanager::Client,
    pub ssm: aws_sdk_ssm::Client,
}

impl Store {
    pub async fn new(moto: &Moto) -> Self {
        let sdk = sdk(&moto.endpoint()).await;
        let store = Self {
            sm: aws_sdk_secretsmanager::Client::new(&sdk),
            ssm: aws_sdk_ssm::Client::new(&sdk),
        };
        store.warm().await;
        store
    }

    /// moto loads a service's backend on its first request, which can take
    /// seconds on a loaded machine (SSM's most of all): longer than the
    /// receiver's own bounded calls. The test's clients (no operation
    /// timeout) pay it here, so what a test measures is the receiver.
    async fn warm(&self) {
        self.sm
            .list_secrets()
            .send()
            .await
            .expect("warm Secrets Manager");
        self.ssm
            .describe_parameters()
            .send()
            .await
            .expect("warm SSM");
    }

    /// Creates a secret and returns its ARN.
    pub async fn secret(&self, name: &str, value: &str) -> String {
        self.sm
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .expect("create secret")
            .arn
            .unwrap()
    }

    /// A new AWSCURRENT; the old one becomes AWSPREVIOUS.
    pub async fn rotate(&self, name: &str, value: &str) {
        self.sm
            .put_secret_value()
            .secret_id(name)
            .secret_string(value)
            .send()
            .await
            .expect("put secret value");
    }

    pub async fn parameter(&self, name: &str, value: &str) {
        self.ssm
            .put_parameter()
            .name(name)
            .value(value)
            .r#type(ParameterType::SecureString)
            .overwrite(true)
            .send()
            .await
            .expect("put parameter");
    }
}

/// A reference the test knows to be well formed.
pub fn parse(text: &str) -> StoreRef {
    StoreRef::parse(text).unwrap().unwrap()
}
