//! Fixed test signing keys for the `oauth2` scheme (RSA 2048 as PKCS#1 and
//! P-256 as PKCS#8, made with `openssl genpkey`, test-only), their JWKS, and tokens signed
//! with `jsonwebtoken`: for the hostile corpus and benches/verify, which
//! run without Python (tests/oauth2.rs mints with PyJWT instead).
//! Included with `#[path]`.
#![allow(dead_code)]

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

pub const ISSUER: &str = "https://issuer.example/pool";
pub const AUDIENCE: &str = "https://hookline.example/webhooks";
pub const CLIENT_ID: &str = "centrepoint-client";
pub const SCOPE: &str = "hookline/webhooks";
pub const RSA_KID: &str = "rsa-1";
pub const EC_KID: &str = "ec-256";

pub const RSA_PEM: &[u8] = include_bytes!("test-rsa-2048.pem");
pub const EC_PEM: &[u8] = include_bytes!("test-ec-p256.pem");

// DER through the `pem` crate hookline already uses: jsonwebtoken's own PEM
// reader is a feature (`use_pem`) the Lambda binary does not need.
pub fn rsa() -> EncodingKey {
    EncodingKey::from_rsa_der(pem::parse(RSA_PEM).unwrap().contents())
}

pub fn ec() -> EncodingKey {
    EncodingKey::from_ec_der(pem::parse(EC_PEM).unwrap().contents())
}

/// The public half of both keys, as an issuer publishes them.
pub fn jwks() -> String {
    let entry = |key: &EncodingKey, alg, kid: &str| {
        let mut jwk = Jwk::from_encoding_key(key, alg).unwrap();
        jwk.common.key_id = Some(kid.into());
        jwk
    };
    let set = JwkSet {
        keys: vec![
            entry(&rsa(), Algorithm::RS256, RSA_KID),
            entry(&ec(), Algorithm::ES256, EC_KID),
        ],
    };
    serde_json::to_string(&set).unwrap()
}

/// Claims every policy in these tests accepts at `now`.
pub fn claims(now: u64) -> Value {
    serde_json::json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "centrepoint",
        "client_id": CLIENT_ID,
        "scope": format!("openid {SCOPE}"),
        "exp": now + 3600,
        "iat": now - 10,
        "nbf": now - 10,
    })
}

/// `claims` signed with `alg` (RS256 or ES256) under `kid`.
pub fn token(alg: Algorithm, kid: Option<&str>, claims: &Value) -> String {
    let key = match alg {
        Algorithm::ES256 => ec(),
        _ => rsa(),
    };
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

/// The `sources` entry of an `oauth2` source whose keys are at `jwks_url`.
pub fn source(name: &str, jwks_url: &str) -> Value {
    serde_json::json!({
        "name": name,
        "scheme": "oauth2",
        "issuer": ISSUER,
        "jwks_url": jwks_url,
        "audiences": [AUDIENCE],
        "client_ids": [CLIENT_ID],
        "scopes": [SCOPE],
        "allow_http": true,
    })
}
