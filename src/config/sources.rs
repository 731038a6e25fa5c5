//! The sources document (`HOOKLINE_SOURCES`): every provider of a
//! deployment, each with its route, scheme, secret references, sender
//! networks and queue. JSON, because SAM writes it from YAML with
//! `Fn::ToJsonString` and the receiver already links `serde_json`.

use std::collections::HashSet;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer};

use super::{
    ConfigError, GROUP_ID_RULE, GroupBy, QUEUE_URL_SHAPE, QueueConfig, SourceConfig,
    local_verifier, parse_group_by, queue_fifo, resolve, valid_sqs_id, warn_ignored,
};
use crate::message::MAX_MESSAGE_BYTES;
use crate::network::AllowList;
use crate::secret::SecretRef;
use crate::secret_store::Owner;
use crate::secret_store::shared::{between, name_pairs};
use crate::verify::oauth2::OAuth2Settings;
use crate::verify::standard_webhooks::key_text;
use crate::verify::{DEFAULT_TOLERANCE, Scheme};

/// More sources than any team has providers; bounds init work.
pub const MAX_SOURCES: usize = 256;

/// References one source may list. A forged request is checked against
/// every key, so this bounds what it costs (a Secrets Manager reference
/// brings up to two versions), and it bounds the shared-secret checks.
pub const MAX_SECRETS: usize = 8;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    sources: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceSpec {
    name: String,
    scheme: String,
    #[serde(default, deserialize_with = "one_or_many")]
    secrets: Vec<String>,
    /// `None` when absent (any sender); present, it must name a network.
    #[serde(default, deserialize_with = "present")]
    allowed_networks: Option<Vec<String>>,
    queue_url: Option<String>,
    group_id: Option<String>,
    group_by: Option<String>,
    #[serde(default, deserialize_with = "number")]
    tolerance_seconds: Option<u64>,
    #[serde(default, deserialize_with = "number")]
    max_body_bytes: Option<u64>,
    // The oauth2 scheme's issuer and what its tokens must carry.
    issuer: Option<String>,
    jwks_url: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    audiences: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    client_ids: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    scopes: Vec<String>,
    #[serde(default, deserialize_with = "number")]
    clock_skew_seconds: Option<u64>,
    #[serde(default)]
    allow_http: bool,
}

/// A list, or one string standing for a list of one (what a CloudFormation
/// parameter holding a single value becomes).
fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    // The untagged error would not say which; this one never shows a value.
    match OneOrMany::deserialize(deserializer)
        .map_err(|_| de::Error::custom("expected a list of strings"))?
    {
        OneOrMany::One(one) if one.is_empty() => Ok(Vec::new()),
        OneOrMany::One(one) => Ok(one.split(',').map(|s| s.trim().to_owned()).collect()),
        // An empty CommaDelimitedList parameter becomes [""]: no entries.
        OneOrMany::Many(many) if many.len() == 1 && many[0].is_empty() => Ok(Vec::new()),
        OneOrMany::Many(many) => Ok(many),
    }
}

/// [`one_or_many`] for a field whose absence means something else than an
/// empty list.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<String>>, D::Error> {
    one_or_many(deserializer).map(Some)
}

/// A whole number, or a string of one (`Fn::ToJsonString` of a parameter).
fn number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Number(u64),
        Text(String),
    }
    match Option::<Number>::deserialize(deserializer)
        .map_err(|_| de::Error::custom("expected a whole number"))?
    {
        None => Ok(None),
        Some(Number::Number(n)) => Ok(Some(n)),
        Some(Number::Text(text)) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| de::Error::custom("expected a whole number")),
    }
}

/// What a name may be: it is a path segment, an SQS attribute and a metrics
/// dimension, so lower-case letters, digits, `-` and `_`, at most 64.
pub fn valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=64).contains(&bytes.len())
        && matches!(bytes[0], b'a'..=b'z' | b'0'..=b'9')
        && bytes
            .iter()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_'))
}

/// What went wrong in serde's terms, never its message: serde quotes the
/// offending value or key, and a misplaced secret must not reach the init
/// log that way.
fn without_values(error: &serde_json::Error) -> String {
    let text = error.to_string();
    if text.starts_with("unknown field") {
        match closest_field(&text) {
            Some(field) => format!("an unknown field; did you mean `{field}`?"),
            None => "an unknown field (see the README's sources table)".to_owned(),
        }
    } else if missing_field(&text).is_some() {
        "required but missing".to_owned()
    } else {
        match error.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                "not valid JSON".to_owned()
            }
            _ => "a field has the wrong type".to_owned(),
        }
    }
}

/// For serde's "unknown field `x`, …": the field of ours within two edits of
/// `x`. Only our own names are ever returned, never text from the message:
/// `x` may be a misplaced secret, and a key holding backticks would make
/// serde's list of expected fields unreadable.
fn closest_field(serde_message: &str) -> Option<&'static str> {
    let (unknown, _) = serde_message
        .strip_prefix("unknown field `")?
        .split_once('`')?;
    // No field name is this long: nothing to compare (a long key would
    // cost its length times each field's).
    if unknown.len() > 64 {
        return None;
    }
    FIELDS
        .iter()
        .map(|&field| (strsim::levenshtein(unknown, field), field))
        .filter(|&(edits, _)| edits <= 2)
        .min()
        .map(|(_, field)| field)
}

/// The document's and [`SourceSpec`]'s fields (a test checks serde agrees).
const FIELDS: [&str; 17] = [
    "sources",
    "name",
    "scheme",
    "secrets",
    "allowed_networks",
    "queue_url",
    "group_id",
    "group_by",
    "tolerance_seconds",
    "max_body_bytes",
    "issuer",
    "jwks_url",
    "audiences",
    "client_ids",
    "scopes",
    "clock_skew_seconds",
    "allow_http",
];

/// The required field serde found missing: always one of [`SourceSpec`]'s
/// names, never input.
fn missing_field(serde_message: &str) -> Option<&str> {
    serde_message
        .strip_prefix("missing field `")?
        .split('`')
        .next()
}

/// The field a source's type error is in (`allowed_networks`,
/// `secrets[2]`), the required field that is missing (`scheme`), or `-`
/// for an unknown field, whose name is not echoed (it may be a misplaced
/// secret).
fn field_of(error: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let text = error.inner().to_string();
    let path = error.path().to_string();
    if let Some(field) = missing_field(&text) {
        field.to_owned()
    } else if path == "." || text.starts_with("unknown field") {
        "-".to_owned()
    } else {
        path
    }
}

/// Parses and validates the document; `default_queue` is `QUEUE_URL`.
pub(super) fn parse(
    var: &'static str,
    text: &str,
    default_queue: Option<&str>,
    timeout: Duration,
    env: impl Fn(&str) -> Option<Vec<u8>>,
) -> Result<Vec<SourceConfig>, ConfigError> {
    let document: Document = serde_json::from_str(text).map_err(|error| ConfigError::Invalid {
        var,
        reason: format!(
            "expected {{\"sources\": [...]}} (line {}, column {}): {}",
            error.line(),
            error.column(),
            without_values(&error)
        ),
    })?;
    if document.sources.is_empty() || document.sources.len() > MAX_SOURCES {
        return Err(ConfigError::Invalid {
            var,
            reason: format!("expected 1 to {MAX_SOURCES} sources"),
        });
    }
    let mut names = HashSet::new();
    let mut sources = Vec::with_capacity(document.sources.len());
    for (index, value) in document.sources.into_iter().enumerate() {
        let label = match value.get("name").and_then(|name| name.as_str()) {
            Some(name) if valid_name(name) => format!("sources[{index}] \"{name}\""),
            _ => format!("sources[{index}]"),
        };
        let fail = |field: &str, reason: String| ConfigError::Source {
            var,
            at: label.clone(),
            field: field.to_owned(),
            reason,
        };
        let spec: SourceSpec = serde_path_to_error::deserialize(value).map_err(|error| {
            let reason = without_values(error.inner());
            fail(&field_of(&error), reason)
        })?;
        sources.push(source(spec, default_queue, timeout, &env, &fail)?);
        if !names.insert(sources[index].name.clone()) {
            return Err(fail("name", "another source has this name".into()));
        }
    }
    let mut shared = shared_secrets(&sources);
    shared.extend(shared_issuers(&sources));
    crate::secret_store::shared::warn(shared, &var);
    Ok(sources)
}

/// Each pair of sources holding one secret, as `"<name>" secrets[<i>, …]`
/// labels (never the value). The key is all that binds a request to its
/// source: with a shared one, a captured request lands again through the
/// other source's route. Store references are compared as written (their
/// values arrive after init, and the secret cache compares those); `env:`
/// ones by value.
fn shared_secrets(sources: &[SourceConfig]) -> Vec<[String; 2]> {
    #[derive(PartialEq, Eq, Hash)]
    enum Key<'a> {
        Value(&'a [u8]),
        Store(&'a crate::secret_store::StoreRef),
    }
    let mut holders = std::collections::HashMap::<Key, Vec<Owner>>::new();
    for source in sources {
        for (field, secret) in source.secrets.iter().enumerate() {
            let key = match secret {
                SecretRef::Value(value) => Key::Value(key_text(value.expose())),
                SecretRef::Store(reference) => Key::Store(reference),
                // Resolved at parse time; nothing to compare.
                SecretRef::Env(_) => continue,
            };
            holders.entry(key).or_default().push(Owner {
                source: source.name.clone(),
                field,
            });
        }
    }
    // A source naming one value twice is rotation, not sharing: `between`
    // pairs only fields of different sources.
    name_pairs(holders.values().flat_map(|owners| between(owners, owners)))
}

/// Each pair of `oauth2` sources that one token can open: the same issuer,
/// and an audience or a client id in common (scopes do not tell them apart:
/// one token may carry every scope). Labelled as the secrets pairs are.
fn shared_issuers(sources: &[SourceConfig]) -> Vec<[String; 2]> {
    let overlap = |a: &[String], b: &[String]| a.iter().any(|x| b.contains(x));
    let oauth2: Vec<(&str, &OAuth2Settings)> = (sources.iter())
        .filter_map(|source| Some((source.name.as_str(), source.oauth2.as_ref()?)))
        .collect();
    let mut pairs = Vec::new();
    for (i, (a, first)) in oauth2.iter().enumerate() {
        for (b, second) in &oauth2[i + 1..] {
            if first.issuer == second.issuer
                && (overlap(&first.audiences, &second.audiences)
                    || overlap(&first.client_ids, &second.client_ids))
            {
                pairs.push([format!("\"{a}\" issuer"), format!("\"{b}\" issuer")]);
            }
        }
    }
    pairs
}

fn source(
    spec: SourceSpec,
    default_queue: Option<&str>,
    timeout: Duration,
    env: &impl Fn(&str) -> Option<Vec<u8>>,
    fail: &impl Fn(&str, String) -> ConfigError,
) -> Result<SourceConfig, ConfigError> {
    if !valid_name(&spec.name) {
        return Err(fail(
            "name",
            "1 to 64 of a-z, 0-9, '-' and '_', starting with a letter or digit".into(),
        ));
    }
    let scheme: Scheme = spec
        .scheme
        .parse()
        .map_err(|e: crate::verify::UnknownScheme| fail("scheme", e.to_string()))?;
    let tolerance = match spec.tolerance_seconds {
        None => DEFAULT_TOLERANCE,
        Some(0) => return Err(fail("tolerance_seconds", "at least 1".into())),
        Some(seconds) => Duration::from_secs(seconds),
    };
    let oauth2 = match (scheme, spec.issuer) {
        (Scheme::OAuth2, Some(issuer)) => {
            if !spec.secrets.is_empty() {
                return Err(fail(
                    "secrets",
                    "oauth2 checks tokens against the issuer's keys: no secrets".into(),
                ));
            }
            let mut settings = OAuth2Settings::new(issuer);
            settings.jwks_url = spec.jwks_url;
            settings.audiences = spec.audiences;
            settings.client_ids = spec.client_ids;
            settings.scopes = spec.scopes;
            if let Some(skew) = spec.clock_skew_seconds {
                settings.clock_skew_seconds = skew;
            }
            settings.allow_http = spec.allow_http;
            settings
                .validate()
                .map_err(|(field, reason)| fail(field, reason))?;
            Some(settings)
        }
        (Scheme::OAuth2, None) => return Err(fail("issuer", "oauth2 needs its issuer".into())),
        (_, Some(_)) => {
            return Err(fail(
                "issuer",
                "only the oauth2 scheme takes an issuer".into(),
            ));
        }
        (_, None) => None,
    };
    if spec.secrets.is_empty() && oauth2.is_none() {
        return Err(fail("secrets", "at least one secret reference".into()));
    }
    if spec.secrets.len() > MAX_SECRETS {
        return Err(fail(
            "secrets",
            format!("at most {MAX_SECRETS} references (a rotation needs two)"),
        ));
    }
    let mut secrets = Vec::with_capacity(spec.secrets.len());
    for (at, text) in spec.secrets.iter().enumerate() {
        let field = format!("secrets[{at}]");
        let secret = SecretRef::parse(text.as_bytes()).map_err(|reason| fail(&field, reason))?;
        if !secret.is_reference() {
            return Err(fail(
                &field,
                "the sources document holds references, not secrets: env:NAME, \
                 secretsmanager:<name or ARN>[#key] or ssm:<parameter>"
                    .into(),
            ));
        }
        secrets
            .push(resolve(secret, scheme, tolerance, env).map_err(|reason| fail(&field, reason))?);
    }
    let verifier = match oauth2 {
        Some(_) => None,
        None => local_verifier(scheme, &secrets, tolerance)
            .map_err(|e| fail("secrets", e.to_string()))?,
    };
    // An empty list would read as "no network" but mean "any sender".
    let networks = match spec.allowed_networks {
        None => AllowList::default(),
        Some(list) if list.is_empty() => {
            return Err(fail(
                "allowed_networks",
                "no networks: leave the field out to accept any sender, \
                 or list 0.0.0.0/0 and ::/0"
                    .into(),
            ));
        }
        Some(list) => AllowList::parse(list.iter().map(String::as_str))
            .map_err(|(at, reason)| fail(&format!("allowed_networks[{at}]"), reason))?,
    };
    let url = match (spec.queue_url, default_queue) {
        (Some(url), _) => url,
        (None, Some(url)) => url.to_owned(),
        (None, None) => {
            return Err(fail(
                "queue_url",
                "must be set when QUEUE_URL is not".into(),
            ));
        }
    };
    let fifo = queue_fifo(&url).ok_or_else(|| fail("queue_url", QUEUE_URL_SHAPE.into()))?;
    warn_ignored(
        &spec.name,
        fifo,
        scheme,
        [
            spec.group_id.is_some(),
            spec.group_by.is_some(),
            spec.tolerance_seconds.is_some(),
        ],
        ["group_id", "group_by", "tolerance_seconds"],
    );
    let group_id = match spec.group_id {
        None => spec.name.clone(),
        Some(id) if valid_sqs_id(&id) => id,
        Some(_) => return Err(fail("group_id", GROUP_ID_RULE.into())),
    };
    let group_by = match spec.group_by {
        None => GroupBy::Fixed,
        Some(text) => parse_group_by(&text).map_err(|reason| fail("group_by", reason))?,
    };
    let max_body_bytes = match spec.max_body_bytes {
        None => MAX_MESSAGE_BYTES,
        Some(n) if (1..=MAX_MESSAGE_BYTES as u64).contains(&n) => n as usize,
        Some(_) => {
            return Err(fail(
                "max_body_bytes",
                format!("1 to {MAX_MESSAGE_BYTES} (SQS's message limit)"),
            ));
        }
    };
    Ok(SourceConfig {
        name: spec.name,
        scheme,
        secrets,
        verifier,
        tolerance,
        networks,
        queue: QueueConfig {
            url: url.into(),
            fifo,
            group_id,
            group_by,
            timeout,
        },
        max_body_bytes,
        oauth2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUEUE: &str = "https://sqs.eu-west-1.amazonaws.com/123456789012/hooks";

    fn env(name: &str) -> Option<Vec<u8>> {
        match name {
            "A_SECRET" | "A_COPY" => Some(b"a-signing-secret-of-some-length".to_vec()),
            "WHSEC" => Some(b"whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD".to_vec()),
            "BLANK" => Some(b"  \t".to_vec()),
            "PADDED" => Some(b"whsec_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=".to_vec()),
            "UNPADDED" => Some(b"whsec_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4".to_vec()),
            _ => None,
        }
    }

    fn load(text: &str) -> Result<Vec<SourceConfig>, ConfigError> {
        parse(
            "HOOKLINE_SOURCES",
            text,
            Some(QUEUE),
            Duration::from_secs(5),
            env,
        )
    }

    #[test]
    fn three_sources() {
        let sources = load(
            r#"{"sources": [
              {"name": "actigraph", "scheme": "actigraph", "secrets": ["env:A_SECRET"],
               "allowed_networks": ["203.0.113.0/24"]},
              {"name": "bracken", "scheme": "bracken", "secrets": ["ssm:/hookline/bracken"],
               "queue_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/other.fifo",
               "group_by": "/customer/id"},
              {"name": "billing", "scheme": "standard-webhooks", "secrets": ["env:WHSEC"],
               "tolerance_seconds": "600", "max_body_bytes": 65536}
            ]}"#,
        )
        .unwrap();
        assert_eq!(sources.len(), 3);
        assert!(sources[0].verifier.is_some());
        assert!(!sources[0].networks.is_open());
        assert_eq!(&*sources[0].queue.url, QUEUE);
        assert!(sources[1].verifier.is_none(), "waits for its store");
        assert!(sources[1].queue.fifo);
        assert_eq!(sources[1].queue.group_id, "bracken");
        assert_eq!(
            sources[1].queue.group_by,
            GroupBy::Pointer("/customer/id".into())
        );
        assert_eq!(sources[2].tolerance, Duration::from_secs(600));
        assert_eq!(sources[2].max_body_bytes, 65536);
    }

    #[test]
    fn every_error_names_the_source_and_field() {
        let one = |fields: &str| {
            format!(
                r#"{{"sources":[{{"name":"src","scheme":"bracken","secrets":["env:A_SECRET"]{fields}}}]}}"#
            )
        };
        for (text, field) in [
            (one(r#","colour":"red""#), "-"),
            (one(r#","allowed_network":["10.0.0.0/8"]"#), "-"),
            (r#"{"sources":[{"name":"src","secrets":["env:A_SECRET"]}]}"#.into(), "scheme"),
            (r#"{"sources":[{"scheme":"bracken","secrets":["env:A_SECRET"]}]}"#.into(), "name"),
            (one(r#","allowed_networks":["10.0.0.0/8","10.1.2.3/8"]"#), "allowed_networks[1]"),
            (one(r#","allowed_networks":["not-a-network"]"#), "allowed_networks[0]"),
            (one(r#","allowed_networks":[]"#), "allowed_networks"),
            (one(r#","allowed_networks":[""]"#), "allowed_networks"),
            (one(r#","allowed_networks":"""#), "allowed_networks"),
            (one(r#","allowed_networks":null"#), "allowed_networks"),
            (one(r#","allowed_networks":["10.0.0.0/8",7]"#), "allowed_networks"),
            (one(r#","audiences":["a",{"k":"whsec_x"}]"#), "audiences"),
            (one(r#","tolerance_seconds":"soon""#), "tolerance_seconds"),
            (one(r#","allow_http":"yes""#), "allow_http"),
            (one(r#","queue_url":"https://example.com/q""#), "queue_url"),
            (one(r#","group_id":"has space""#), "group_id"),
            (one(r#","group_by":"customer""#), "group_by"),
            (one(r#","max_body_bytes":2000000"#), "max_body_bytes"),
            (one(r#","tolerance_seconds":0"#), "tolerance_seconds"),
            (
                r#"{"sources":[{"name":"src","scheme":"bracken","secrets":["env:BLANK"]}]}"#.into(),
                "secrets[0]",
            ),
            (
                r#"{"sources":[{"name":"src","scheme":"bracken","secrets":["env:UNSET"]}]}"#.into(),
                "secrets[0]",
            ),
            (
                r#"{"sources":[{"name":"src","scheme":"bracken","secrets":["hunter2-literal"]}]}"#.into(),
                "secrets[0]",
            ),
            (
                r#"{"sources":[{"name":"src","scheme":"bracken","secrets":[]}]}"#.into(),
                "secrets",
            ),
            (
                format!(
                    r#"{{"sources":[{{"name":"src","scheme":"bracken","secrets":[{}]}}]}}"#,
                    [r#""env:A_SECRET""#; MAX_SECRETS + 1].join(",")
                ),
                "secrets",
            ),
            (
                r#"{"sources":[{"name":"src","scheme":"basic","secrets":["env:A_SECRET"]}]}"#.into(),
                "secrets[0]",
            ),
            (
                r#"{"sources":[{"name":"Src","scheme":"bracken","secrets":["env:A_SECRET"]}]}"#.into(),
                "name",
            ),
            (
                r#"{"sources":[{"name":"src","scheme":"github","secrets":["env:A_SECRET"]}]}"#.into(),
                "scheme",
            ),
            (
                r#"{"sources":[{"name":"a","scheme":"bracken","secrets":["env:A_SECRET"]},{"name":"a","scheme":"bracken","secrets":["env:A_SECRET"]}]}"#.into(),
                "name",
            ),
        ] {
            match load(&text) {
                Err(ConfigError::Source {
                    field: got, reason, ..
                }) => {
                    assert_eq!(got, field, "{text}: {reason}");
                    assert!(!reason.contains("hunter2"), "{reason}");
                    assert!(!reason.contains("whsec"), "{reason}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn document_errors_never_echo_values() {
        for text in [
            "",
            "[]",
            r#"{"sources":[]}"#,
            r#"{"sources":"hunter2"}"#,
            r#"{"source":[]}"#,
            r#"{"sources":[{"name":"a","scheme":"bracken","secrets":"hunter2"}]}"#,
            r#"{"sources":[{"name":"a","scheme":"bracken","secrets":[{"v":"hunter2"}]}]}"#,
            r#"{"sources":[{"name":"a","scheme":"bracken","secrets":["env:A_SECRET"],"queue_url":"hunter2"}]}"#,
            r#"{"sources":[{"name":"a","scheme":"bracken","secrets":["env:A_SECRET"],"allow_http":"x\"hunter2-tail"}]}"#,
            r#"{"sources":"x\"hunter2-tail"}"#,
            r#"{"sources":[{"name":"a","scheme":"bracken","secrets":["env:A_SECRET"],"whsec_hunter2":1}]}"#,
        ] {
            let error = load(text).expect_err(text).to_string();
            assert!(!error.contains("hunter2"), "{error}");
            assert!(error.contains("HOOKLINE_SOURCES"), "{error}");
        }
    }

    #[test]
    fn fields_are_the_ones_serde_knows() {
        // serde lists the fields it expects after an unknown one.
        let listed = |error: serde_json::Error| {
            let message = error.to_string();
            let (_, expected) = message.split_once("expected").unwrap();
            expected
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let mut fields = listed(
            serde_json::from_str::<Document>(r#"{"-":0}"#)
                .err()
                .unwrap(),
        );
        fields.extend(listed(
            serde_json::from_value::<SourceSpec>(serde_json::json!({"-": 0}))
                .err()
                .unwrap(),
        ));
        assert_eq!(fields, FIELDS);
    }

    #[test]
    fn a_misspelt_field_is_suggested_without_echoing_it() {
        let error = |field: &str| {
            load(&format!(
                r#"{{"sources":[{{"name":"a","scheme":"bracken","secrets":["env:A_SECRET"],"{field}":1}}]}}"#
            ))
            .unwrap_err()
            .to_string()
        };
        let misspelt = error("alowed_networks");
        assert!(
            misspelt.contains("did you mean `allowed_networks`?"),
            "{misspelt}"
        );
        assert!(!misspelt.contains("alowed"), "{misspelt}");
        assert!(error("client_id").contains("did you mean `client_ids`?"));
        // Pieces of a key holding backticks are not taken for field names.
        let ticked = error("Hunter2x`Hunter2y`Hunter2z");
        assert!(!ticked.contains("Hunter2"), "{ticked}");
        let far = error("whsec_hunter2");
        assert!(!far.contains("did you mean"), "{far}");
        assert!(!far.contains("hunter2"), "{far}");
    }

    #[test]
    fn sources_sharing_a_secret_are_named_never_the_value() {
        let shared = |text: &str| shared_secrets(&load(text).unwrap());
        // The same variable, two variables holding one value, one store
        // reference: every pair of sources, with every field they share.
        assert_eq!(
            shared(
                r#"{"sources":[
                  {"name":"a","scheme":"bracken","secrets":["env:A_SECRET"]},
                  {"name":"b","scheme":"actigraph","secrets":["env:WHSEC","env:A_SECRET"]},
                  {"name":"c","scheme":"bracken","secrets":["env:A_COPY"]},
                  {"name":"d","scheme":"bracken","secrets":["ssm:/x"]},
                  {"name":"e","scheme":"bracken","secrets":["ssm:/y","ssm:/x"]},
                  {"name":"f","scheme":"bracken","secrets":["ssm:/x","ssm:/y","ssm:/x"]}
                ]}"#
            ),
            [
                [r#""a" secrets[0]"#, r#""b" secrets[1]"#],
                [r#""a" secrets[0]"#, r#""c" secrets[0]"#],
                [r#""b" secrets[1]"#, r#""c" secrets[0]"#],
                [r#""d" secrets[0]"#, r#""e" secrets[1]"#],
                [r#""d" secrets[0]"#, r#""f" secrets[0, 2]"#],
                [r#""e" secrets[0, 1]"#, r#""f" secrets[0, 1, 2]"#],
            ]
        );
        // One Standard Webhooks key, with and without its padding.
        assert_eq!(
            shared(
                r#"{"sources":[
                  {"name":"a","scheme":"standard-webhooks","secrets":["env:PADDED"]},
                  {"name":"b","scheme":"standard-webhooks","secrets":["env:UNPADDED"]}
                ]}"#
            ),
            [[r#""a" secrets[0]"#, r#""b" secrets[0]"#]]
        );
        // Rotation within one source, and distinct secrets, are not sharing.
        assert!(
            shared(
                r#"{"sources":[
                  {"name":"a","scheme":"bracken","secrets":["env:A_SECRET","env:A_COPY"]},
                  {"name":"b","scheme":"standard-webhooks","secrets":["env:WHSEC","ssm:/x"]},
                  {"name":"c","scheme":"bracken","secrets":["ssm:/y"]},
                  {"name":"d","scheme":"oauth2","issuer":"https://idp.example.com","audiences":["api"]}
                ]}"#
            )
            .is_empty()
        );
    }

    #[test]
    fn oauth2_sources_one_token_can_open_are_named() {
        let shared = |text: &str| shared_issuers(&load(text).unwrap());
        assert_eq!(
            shared(
                r#"{"sources":[
                  {"name":"a","scheme":"oauth2","issuer":"https://idp.example.com","audiences":["api","ops"]},
                  {"name":"b","scheme":"oauth2","issuer":"https://idp.example.com","audiences":["ops"]},
                  {"name":"c","scheme":"oauth2","issuer":"https://idp.example.com","client_ids":["c1"]},
                  {"name":"d","scheme":"oauth2","issuer":"https://idp.example.com","client_ids":["c1","c2"],"scopes":["write"]},
                  {"name":"e","scheme":"oauth2","issuer":"https://other.example.com","audiences":["api"]},
                  {"name":"f","scheme":"oauth2","issuer":"https://idp.example.com","audiences":["billing"]}
                ]}"#
            ),
            [
                [r#""a" issuer"#, r#""b" issuer"#],
                [r#""c" issuer"#, r#""d" issuer"#],
            ]
        );
    }

    #[test]
    fn names() {
        for good in ["a", "actigraph", "stripe-eu_2", "0", &"a".repeat(64)] {
            assert!(valid_name(good), "{good}");
        }
        for bad in [
            "",
            "-a",
            "_a",
            "A",
            "a.b",
            "a/b",
            "a b",
            "é",
            &"a".repeat(65),
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
