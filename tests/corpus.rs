//! The hostile-input corpus: every case in `tests/corpus/*.jsonl` is a request
//! built from a signed delivery and then broken; each must get its expected
//! status, enqueue nothing, not panic, and answer with a static body.
//!
//! A case (one JSON object per line):
//! - `name`, `scheme` (a scheme name, or `*` for every scheme), `status`;
//! - `shape` (default `http-v2`), `method` (default `POST`);
//! - the body: `body` (text), `body_b64` (bytes), or `body_repeat`
//!   (`{"prefix","unit","count","suffix"}`);
//! - `signed` (default true): start from the provider's headers for the body,
//!   signed with `secret` (`right` by default, `previous`, `other-scheme`, or a
//!   literal) over `signed_body` (default: the body), with `id` and
//!   `timestamp_offset` for Standard Webhooks;
//! - `remove`: header names to drop; `set`: `[name, value]` pairs replacing a
//!   header; `add`: pairs appended (repeats allowed). Values may use
//!   `{sig}` (the bare signature or credential), `{sig_short}`, `{sig_long}`,
//!   `{sig_nopad}`, `{sig_urlsafe}`, `{sig_upper}`, `{sig_lower}`, `{ts}`;
//! - `event`: fields merged into the Lambda event after it is built;
//! - `routed` (default false): the receiver serves every scheme as a source
//!   of its name (`HOOKLINE_SOURCES`) rather than one source on every path;
//!   `path` (default `/webhooks/<scheme>`); `networks`: the source's
//!   `allowed_networks`; `sender`: the address AWS records for the
//!   connection (where the event's shape keeps it; an ALB's appended
//!   `X-Forwarded-For` entry);
//! - `oauth2` cases (scheme `oauth2`, one source on `/webhooks/oauth2` with
//!   its keys on a loopback JWKS server): `token` names the bearer token
//!   sent as `Authorization: Bearer …` (see [`oauth2_token`]; default a
//!   valid RS256 token; `signed: false` sends no `Authorization`), `{sig}`
//!   is that token and `{sig_h}`, `{sig_p}`, `{sig_s}` its three segments,
//!   in header values and in `event` values;
//! - `enqueued`: for the few cases that are accepted (a captured signature
//!   over a respelled body), the one message body that must be on the queue:
//!   the text that was signed, never the bytes sent.

mod common;
#[path = "oauth2/keys.rs"]
mod keys;

use std::path::PathBuf;
use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use common::{FakeQueue, config, invoke, now_secs, secret_for};
use hmac::{Hmac, Mac};
use hookline::sample_event::{HttpRequest, Shape, event};
use hookline::sign::{Delivery, sign};
use hookline::{Receiver, Scheme};
use jsonwebtoken::Algorithm;
use serde_json::Value;

/// Every body the receiver may answer with; anything else would be an echo.
const STATIC_BODIES: [&str; 11] = [
    r#"{"error":"invalid_request"}"#,
    r#"{"error":"not_found"}"#,
    r#"{"error":"forbidden"}"#,
    r#"{"error":"temporarily_unavailable"}"#,
    r#"{"error":"method_not_allowed"}"#,
    r#"{"error":"invalid_body_encoding"}"#,
    r#"{"error":"payload_too_large"}"#,
    r#"{"error":"invalid_handshake"}"#,
    r#"{"error":"unauthorized"}"#,
    r#"{"error":"invalid_json"}"#,
    r#"{"validated":true}"#,
];

fn body_of(case: &Value) -> Vec<u8> {
    if let Some(text) = case["body"].as_str() {
        text.as_bytes().to_vec()
    } else if let Some(encoded) = case["body_b64"].as_str() {
        STANDARD.decode(encoded).expect("body_b64 is base64")
    } else if let Some(repeat) = case.get("body_repeat") {
        let unit = repeat["unit"].as_str().unwrap();
        let count = repeat["count"].as_u64().unwrap() as usize;
        let mut body = repeat["prefix"].as_str().unwrap_or_default().to_string();
        body.push_str(&unit.repeat(count));
        body.push_str(repeat["suffix"].as_str().unwrap_or_default());
        body.into_bytes()
    } else {
        br#"{"event":"corpus","n":1}"#.to_vec()
    }
}

/// The signing secret a case asks for.
fn secret(scheme: Scheme, which: Option<&str>) -> String {
    match which.unwrap_or("right") {
        "right" => secret_for(scheme).into(),
        "previous" => match scheme {
            Scheme::Basic => "actigraph:old password".into(),
            Scheme::StandardWebhooks => "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
            _ => "old-secret-no-longer-configured".into(),
        },
        "other-scheme" => {
            let other = if scheme == Scheme::OneCentre {
                Scheme::Bracken
            } else {
                Scheme::OneCentre
            };
            let s = secret_for(other);
            if scheme == Scheme::Basic {
                format!("x:{s}")
            } else {
                s.into()
            }
        }
        literal => literal.into(),
    }
}

/// Splits a signed header value into (prefix, bare signature).
fn bare(scheme: Scheme, value: &str) -> (String, String) {
    let prefix = match scheme {
        Scheme::Bracken => "HMACSHA256 ",
        Scheme::StandardWebhooks => "v1,",
        Scheme::Basic => "Basic ",
        Scheme::Bearer | Scheme::OAuth2 => "Bearer ",
        Scheme::OneCentre | Scheme::ActiGraph => "",
    };
    (
        prefix.into(),
        value.strip_prefix(prefix).unwrap_or(value).into(),
    )
}

/// Re-encodes the decoded signature after `change`, in the scheme's encoding.
fn variant(scheme: Scheme, token: &str, kind: &str) -> String {
    if scheme == Scheme::OneCentre {
        let mut raw = hex::decode(token).unwrap();
        return match kind {
            "short" => hex::encode(&raw[..raw.len() - 1]),
            "long" => {
                raw.push(0);
                hex::encode(raw)
            }
            "upper" => token.to_uppercase(),
            "lower" => token.to_lowercase(),
            _ => token.into(),
        };
    }
    if scheme == Scheme::Bearer {
        return match kind {
            "short" => token[..token.len() - 1].into(),
            "long" => format!("{token}x"),
            "upper" => token.to_uppercase(),
            _ => token.into(),
        };
    }
    let mut raw = STANDARD.decode(token).unwrap();
    match kind {
        "short" => STANDARD.encode(&raw[..raw.len() - 1]),
        "long" => {
            raw.push(0);
            STANDARD.encode(raw)
        }
        "nopad" => STANDARD_NO_PAD.encode(raw),
        "urlsafe" => URL_SAFE.encode(raw),
        "upper" => token.to_uppercase(),
        "lower" => token.to_lowercase(),
        _ => token.into(),
    }
}

fn expand(template: &str, scheme: Scheme, token: Option<&str>, now: i64) -> String {
    let mut out = template.replace("{ts}", &now.to_string());
    if let (Scheme::OAuth2, Some(token)) = (scheme, token) {
        let parts: Vec<&str> = token.splitn(3, '.').collect();
        for (name, part) in ["{sig_h}", "{sig_p}", "{sig_s}"].iter().zip(&parts) {
            out = out.replace(name, part);
        }
        out = out.replace("{sig}", token);
    } else if let Some(token) = token {
        for kind in ["short", "long", "nopad", "urlsafe", "upper", "lower"] {
            out = out.replace(&format!("{{sig_{kind}}}"), &variant(scheme, token, kind));
        }
        out = out.replace("{sig}", token);
    }
    out
}

fn pairs(case: &Value, key: &str) -> Vec<(String, String)> {
    case[key]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|pair| {
                    (
                        pair[0].as_str().unwrap().to_owned(),
                        pair[1].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn merge(target: &mut Value, patch: &Value) {
    if let (Some(target), Some(patch)) = (target.as_object_mut(), patch.as_object()) {
        for (key, value) in patch {
            target.insert(key.clone(), value.clone());
        }
    }
}

async fn run_case(scheme: Scheme, case: &Value) -> Result<(), String> {
    let name = case["name"].as_str().unwrap_or("?");
    let body = body_of(case);
    let now = now_secs();
    let signed_body = case["signed_body"]
        .as_str()
        .map(|s| s.as_bytes().to_vec())
        .unwrap_or_else(|| body.clone());
    let secret = secret(scheme, case["secret"].as_str());
    let id = case["id"].as_str().unwrap_or("msg_corpus_1");

    let mut headers: Vec<(String, String)> = Vec::new();
    let mut token = None;
    if scheme == Scheme::OAuth2 {
        let bearer = oauth2_token(case["token"].as_str().unwrap_or("rs256"), now as u64)?;
        if case["signed"].as_bool().unwrap_or(true) {
            headers.push(("authorization".into(), format!("Bearer {bearer}")));
        }
        token = Some(bearer);
    } else if case["signed"].as_bool().unwrap_or(true) {
        let delivery = Delivery {
            id: Some(id),
            timestamp: now + case["timestamp_offset"].as_i64().unwrap_or(0),
        };
        for (name, value) in
            sign(scheme, secret.as_bytes(), &signed_body, &delivery).map_err(|e| e.to_string())?
        {
            if matches!(
                name,
                "x-hook-signature"
                    | "x-actigraph-signature"
                    | "authorization"
                    | "webhook-signature"
            ) {
                token = Some(bare(scheme, &value).1);
            }
            headers.push((name.to_owned(), value));
        }
    }
    for name in case["remove"].as_array().into_iter().flatten() {
        let name = name.as_str().unwrap();
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }
    for (name, value) in pairs(case, "set") {
        let value = expand(&value, scheme, token.as_deref(), now);
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        headers.push((name, value));
    }
    for (name, value) in pairs(case, "add") {
        headers.push((name, expand(&value, scheme, token.as_deref(), now)));
    }

    let shape: Shape = case["shape"].as_str().unwrap_or("http-v2").parse()?;
    let path = case["path"]
        .as_str()
        .unwrap_or("/webhooks/{scheme}")
        .replace("{scheme}", scheme.name());
    let request = HttpRequest {
        method: case["method"].as_str().unwrap_or("POST"),
        path: &path,
        headers,
        body: &body,
        base64: case["base64"]
            .as_bool()
            .unwrap_or(std::str::from_utf8(&body).is_err()),
        request_id: "corpus-req",
    };
    let mut payload = event(shape, &request);
    if let Some(sender) = case.get("sender") {
        match shape {
            Shape::RestV1 => payload["requestContext"]["identity"]["sourceIp"] = sender.clone(),
            Shape::HttpV2 | Shape::FunctionUrl => {
                payload["requestContext"]["http"]["sourceIp"] = sender.clone()
            }
            Shape::Alb => {
                let header = &mut payload["multiValueHeaders"]["X-Forwarded-For"];
                match header.as_array_mut() {
                    // The ALB appends the connection's address to the last copy.
                    Some(copies) => {
                        let last = copies.pop().unwrap_or_default();
                        let last = last.as_str().unwrap_or_default();
                        let joined = format!("{last}, {}", sender.as_str().unwrap());
                        copies.push(Value::from(joined.trim_start_matches(", ")));
                    }
                    None => *header = Value::Array(vec![sender.clone()]),
                }
            }
        }
    }
    if let Some(patch) = case.get("event") {
        let patch = expand(&patch.to_string(), scheme, token.as_deref(), now);
        merge(&mut payload, &serde_json::from_str(&patch).unwrap());
    }

    let config = if scheme == Scheme::OAuth2 {
        oauth2_config()
    } else if case["routed"].as_bool().unwrap_or(false) {
        every_scheme_as_a_source(scheme, case.get("networks"))
    } else {
        config(scheme, "http://127.0.0.1:1/123456789012/q", &[])
    };
    let receiver = Receiver::new(config, FakeQueue::default());
    let answer = invoke(&receiver, &payload).await;
    let want = case["status"].as_u64().ok_or("case without status")? as u16;
    let mut problems = Vec::new();
    if answer.status != want {
        problems.push(format!("status {} (want {want})", answer.status));
    }
    let sent: Vec<String> = receiver
        .publisher()
        .sent
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.body.clone())
        .collect();
    match case["enqueued"].as_str() {
        Some(expected) if sent != [expected] => {
            problems.push(format!("enqueued {sent:?}, want [{expected:?}]"));
        }
        Some(_) => {}
        None if !sent.is_empty() => problems.push("enqueued".into()),
        None if !STATIC_BODIES.contains(&answer.body.as_str()) => {
            problems.push(format!("non-static body {:?}", answer.body));
        }
        None => {}
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} [{name}]: {}",
            scheme.name(),
            problems.join(", ")
        ))
    }
}

/// The bearer token an `oauth2` case names, signed by the test keys of
/// `tests/oauth2/keys.rs` (published on the loopback JWKS) unless it says
/// otherwise.
fn oauth2_token(kind: &str, now: u64) -> Result<String, String> {
    let good = keys::claims(now);
    let with = |key: &str, value: serde_json::Value| {
        let mut claims = good.clone();
        claims[key] = value;
        claims
    };
    let encode = |json: &str| URL_SAFE_NO_PAD.encode(json);
    let rs256 = |claims: &Value| keys::token(Algorithm::RS256, Some(keys::RSA_KID), claims);
    Ok(match kind {
        "rs256" => rs256(&good),
        "es256" => keys::token(Algorithm::ES256, Some(keys::EC_KID), &good),
        "expired" => rs256(&with("exp", (now - 600).into())),
        "wrong-iss" => rs256(&with("iss", "https://evil.example/pool".into())),
        "wrong-aud" => rs256(&with("aud", "https://other.example".into())),
        "kid-unknown" => keys::token(Algorithm::RS256, Some("nope"), &good),
        // Signed by the RSA key, naming the P-256 key: no key of both.
        "kid-of-the-other-key" => keys::token(Algorithm::RS256, Some(keys::EC_KID), &good),
        "bad-signature" => {
            let valid = rs256(&good);
            let (h, p, _) = split3(&valid);
            format!("{h}.{p}.{}", encode("not a signature"))
        }
        "alg-none" => format!(
            "{}.{}.",
            encode(r#"{"alg":"none","kid":"rsa-1"}"#),
            encode(&good.to_string())
        ),
        "alg-none-signed" => format!(
            "{}.{}.{}",
            encode(r#"{"alg":"none","kid":"rsa-1"}"#),
            encode(&good.to_string()),
            encode("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
        ),
        // The classic confusion: the RSA public key (PEM) as an HMAC secret.
        "hs256-public-key" => {
            let input = format!(
                "{}.{}",
                encode(r#"{"alg":"HS256","typ":"JWT","kid":"rsa-1"}"#),
                encode(&good.to_string())
            );
            let public = include_bytes!("oauth2/test-rsa-2048.pub.pem");
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(public).unwrap();
            mac.update(input.as_bytes());
            format!(
                "{input}.{}",
                URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
            )
        }
        // Validly signed, with a header past the 1 KiB bound.
        "huge-header" => {
            let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
            header.kid = Some(keys::RSA_KID.into());
            header.cty = Some("x".repeat(2000));
            jsonwebtoken::encode(&header, &good, &keys::rsa()).unwrap()
        }
        other => return Err(format!("unknown token kind {other}")),
    })
}

fn split3(token: &str) -> (&str, &str, &str) {
    let mut parts = token.splitn(3, '.');
    (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    )
}

/// One `oauth2` source on every path's `/webhooks/oauth2`, its keys served
/// by a loopback JWKS server (started once).
fn oauth2_config() -> hookline::Config {
    static JWKS_URL: OnceLock<String> = OnceLock::new();
    let url = JWKS_URL.get_or_init(|| {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let url = format!("http://{}/jwks.json", server.server_addr().to_ip().unwrap());
        let jwks = keys::jwks();
        std::thread::spawn(move || {
            while let Ok(request) = server.recv() {
                let header =
                    tiny_http::Header::from_bytes("Content-Type", "application/json").unwrap();
                let _ = request
                    .respond(tiny_http::Response::from_string(jwks.clone()).with_header(header));
            }
        });
        url
    });
    let document = serde_json::json!({ "sources": [keys::source("oauth2", url)] }).to_string();
    hookline::Config::from_lookup(|name| match name {
        "HOOKLINE_SOURCES" => Some(document.clone().into()),
        "QUEUE_URL" => Some("http://127.0.0.1:1/123456789012/q".into()),
        _ => None,
    })
    .expect("the oauth2 source is valid")
}

/// Every scheme as a source of its own name; `networks` restricts the
/// case's own scheme.
fn every_scheme_as_a_source(scheme: Scheme, networks: Option<&Value>) -> hookline::Config {
    let var = |s: Scheme| format!("SECRET_{}", s.name().replace('-', "_").to_uppercase());
    let sources: Vec<Value> = Scheme::ALL
        .iter()
        .map(|&s| {
            let mut source = serde_json::json!({
                "name": s.name(), "scheme": s.name(), "secrets": [format!("env:{}", var(s))],
            });
            if let (true, Some(networks)) = (s == scheme, networks) {
                source["allowed_networks"] = networks.clone();
            }
            source
        })
        .collect();
    let document = serde_json::json!({ "sources": sources }).to_string();
    hookline::Config::from_lookup(|name| match name {
        "HOOKLINE_SOURCES" => Some(document.clone().into()),
        "QUEUE_URL" => Some("http://127.0.0.1:1/123456789012/q".into()),
        _ => Scheme::ALL
            .into_iter()
            .find(|&s| name == var(s))
            .map(|s| secret_for(s).into()),
    })
    .expect("the corpus's sources are valid")
}

#[tokio::test]
async fn hostile_corpus() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut ran = 0;
    let mut failures = Vec::new();
    for file in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "jsonl"))
    {
        for (line_no, line) in std::fs::read_to_string(file).unwrap().lines().enumerate() {
            if line.trim().is_empty() || line.trim_start().starts_with("//") {
                continue;
            }
            let case: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", file.display(), line_no + 1));
            let schemes: Vec<Scheme> = match case["scheme"].as_str().unwrap() {
                "*" => Scheme::ALL.to_vec(),
                name => vec![name.parse().unwrap()],
            };
            for scheme in schemes {
                ran += 1;
                if let Err(problem) = run_case(scheme, &case).await {
                    failures.push(format!(
                        "{}:{}: {problem}",
                        file.file_name().unwrap().to_string_lossy(),
                        line_no + 1
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(ran >= 300, "the corpus has only {ran} cases");
    println!("hostile corpus: {ran} cases");
}
