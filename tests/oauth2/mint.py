#!/usr/bin/env python3
"""Mints the oauth2 tests' keys, key sets and tokens with PyJWT + cryptography.

An independent implementation: hookline's verifier (jsonwebtoken over
aws-lc-rs) must accept what PyJWT signs and refuse each broken variant.

Usage: mint.py ISSUER NOW  ->  one JSON document on stdout:
  jwks, jwks_rotated, jwks_single: key sets the loopback JWKS server serves;
  tokens: [{name, token, expect}] with expect "ok", "invalid" or "unknown_kid"
          (checked against jwks with the policy in tests/oauth2.rs);
  rotated: a token signed with the key only jwks_rotated holds;
  single_no_kid: a token without kid, valid against jwks_single only.
"""

import base64
import hashlib
import hmac
import json
import sys

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

AUDIENCE = "https://hookline.example/webhooks"
CLIENT_ID = "centrepoint-client"
SCOPE = "hookline/webhooks"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwk(algorithm, key, kid, alg=None):
    entry = json.loads(algorithm.to_jwk(key.public_key()))
    entry["kid"] = kid
    entry["use"] = "sig"
    if alg:
        entry["alg"] = alg
    return entry


def main() -> None:
    issuer, now = sys.argv[1], int(sys.argv[2])

    rsa1 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_rs256_only = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec256 = ec.generate_private_key(ec.SECP256R1())
    ec384 = ec.generate_private_key(ec.SECP384R1())
    ed = ed25519.Ed25519PrivateKey.generate()

    published = [
        jwk(RSAAlgorithm, rsa1, "rsa-1"),
        jwk(RSAAlgorithm, rsa_rs256_only, "rsa-rs256", alg="RS256"),
        jwk(ECAlgorithm, ec256, "ec-256"),
        jwk(ECAlgorithm, ec384, "ec-384"),
        jwk(OKPAlgorithm, ed, "ed-1"),
        # Keys a verifier must skip without failing the set: an encryption
        # key, a symmetric key, an unknown type.
        {**jwk(RSAAlgorithm, attacker, "enc-1"), "use": "enc", "alg": "RSA-OAEP"},
        {"kty": "oct", "kid": "oct-1", "k": b64url(b"shared secret")},
        {"kty": "XYZ", "kid": "odd-1", "x": "AAAA"},
    ]
    jwks = {"keys": published}
    jwks_rotated = {"keys": [jwk(RSAAlgorithm, rsa2, "rsa-2")] + published[1:]}
    jwks_single = {"keys": [{k: v for k, v in jwk(RSAAlgorithm, rsa1, "rsa-1").items() if k != "kid"}]}

    good = {
        "iss": issuer,
        "aud": AUDIENCE,
        "sub": "centrepoint",
        "client_id": CLIENT_ID,
        "scope": f"openid {SCOPE}",
        "exp": now + 3600,
        "iat": now - 10,
        "nbf": now - 10,
        "jti": "b1f0c1",
    }
    cognito = {
        "sub": CLIENT_ID,
        "token_use": "access",
        "scope": f"{SCOPE} hookline/other",
        "auth_time": now - 5,
        "iss": issuer,
        "exp": now + 3600,
        "iat": now - 5,
        "version": 2,
        "jti": "5b0f4a2e",
        "client_id": CLIENT_ID,
    }

    tokens = []

    def add(name, expect, claims, key, alg, kid="rsa-1", headers=None, drop=()):
        claims = {k: v for k, v in claims.items() if k not in drop}
        extra = dict(headers or {})
        if kid is not None:
            extra["kid"] = kid
        tokens.append({"name": name, "expect": expect, "token": jwt.encode(claims, key, algorithm=alg, headers=extra)})

    def jws_add(name, claims):
        """Claims PyJWT's encode would refuse to write: signed as raw JWS payloads."""
        token = jwt.PyJWS().encode(json.dumps(claims).encode(), rsa1, algorithm="RS256", headers={"kid": "rsa-1"})
        tokens.append({"name": name, "expect": "invalid", "token": token})

    def raw(name, expect, header, claims, sign):
        """A token PyJWT refuses to make (HMAC with a public key, alg none)."""
        signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        tokens.append({"name": name, "expect": expect, "token": signing_input + "." + sign(signing_input.encode())})

    # Accepted: every allowed algorithm, and the claim shapes of real issuers.
    for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]:
        add(f"valid {alg}", "ok", good, rsa1, alg)
    add("valid ES256", "ok", good, ec256, "ES256", kid="ec-256")
    add("valid ES384", "ok", good, ec384, "ES384", kid="ec-384")
    add("valid EdDSA", "ok", good, ed, "EdDSA", kid="ed-1")
    add("valid RS256 on a key whose JWK says RS256", "ok", good, rsa_rs256_only, "RS256", kid="rsa-rs256")
    add("valid cognito access token (no aud, client_id + scope)", "ok", cognito, rsa1, "RS256")
    add("valid okta-style scp array", "ok", {**good, "scp": [SCOPE]}, rsa1, "RS256", drop=("scope",))
    add("valid scp as a string", "ok", {**good, "scp": SCOPE}, rsa1, "RS256", drop=("scope",))
    add("valid aud array", "ok", {**good, "aud": ["other", AUDIENCE]}, rsa1, "RS256")
    add("valid aud without client_id", "ok", good, rsa1, "RS256", drop=("client_id",))
    add("valid typ at+jwt", "ok", good, rsa1, "RS256", headers={"typ": "at+jwt"})
    add("valid exp passed within skew", "ok", {**good, "exp": now - 30}, rsa1, "RS256")
    add("valid nbf ahead within skew", "ok", {**good, "nbf": now + 30, "iat": now + 30}, rsa1, "RS256")
    add("valid fractional exp", "ok", {**good, "exp": now + 3600.5}, rsa1, "RS256")
    add("valid without nbf and iat", "ok", good, rsa1, "RS256", drop=("nbf", "iat"))

    # Refused: time.
    add("expired", "invalid", {**good, "exp": now - 120}, rsa1, "RS256")
    add("exp missing", "invalid", good, rsa1, "RS256", drop=("exp",))
    jws_add("exp a string", {**good, "exp": str(now + 3600)})
    add("nbf future", "invalid", {**good, "nbf": now + 600}, rsa1, "RS256")
    add("iat future", "invalid", {**good, "iat": now + 600}, rsa1, "RS256")
    # Refused: issuer.
    add("wrong iss", "invalid", {**good, "iss": "https://evil.example"}, rsa1, "RS256")
    add("iss with a trailing slash", "invalid", {**good, "iss": issuer + "/"}, rsa1, "RS256")
    add("iss missing", "invalid", good, rsa1, "RS256", drop=("iss",))
    jws_add("iss an array", {**good, "iss": [issuer]})
    # Refused: audience and client.
    add("wrong aud", "invalid", {**good, "aud": "https://other.example"}, rsa1, "RS256")
    add("empty aud array", "invalid", {**good, "aud": []}, rsa1, "RS256", drop=("client_id",))
    add("aud right, client_id not accepted", "invalid", {**good, "client_id": "someone-else"}, rsa1, "RS256")
    add("cognito wrong client_id", "invalid", {**cognito, "client_id": "someone-else"}, rsa1, "RS256")
    add("cognito no client_id", "invalid", cognito, rsa1, "RS256", drop=("client_id",))
    add("token_use id", "invalid", {**cognito, "token_use": "id", "aud": CLIENT_ID}, rsa1, "RS256")
    add("token_use refresh", "invalid", {**cognito, "token_use": "refresh"}, rsa1, "RS256")
    # Refused: scope.
    add("missing scope", "invalid", {**good, "scope": "openid"}, rsa1, "RS256")
    add("no scope claim", "invalid", good, rsa1, "RS256", drop=("scope",))
    add("scope prefix only", "invalid", {**good, "scope": "hookline/web"}, rsa1, "RS256")
    add("scope longer", "invalid", {**good, "scope": SCOPE + "-admin"}, rsa1, "RS256")
    add("scope comma-separated", "invalid", {**good, "scope": f"openid,{SCOPE}"}, rsa1, "RS256")
    # Refused: algorithms and keys.
    raw("alg none", "invalid", {"alg": "none", "kid": "rsa-1"}, good, lambda _: "")
    raw("alg none with a signature", "invalid", {"alg": "none", "kid": "rsa-1"}, good, lambda _: b64url(b"x" * 32))
    pem = rsa1.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    raw("HS256 keyed with the public key PEM", "invalid", {"alg": "HS256", "kid": "rsa-1"}, good,
        lambda m: b64url(hmac.new(pem, m, hashlib.sha256).digest()))
    raw("HS256 keyed with the JWKS entry", "invalid", {"alg": "HS256", "kid": "rsa-1"}, good,
        lambda m: b64url(hmac.new(json.dumps(published[0]).encode(), m, hashlib.sha256).digest()))
    raw("HS256 on the published oct key", "invalid", {"alg": "HS256", "kid": "oct-1"}, good,
        lambda m: b64url(hmac.new(b"shared secret", m, hashlib.sha256).digest()))
    add("ES256 under an RSA kid", "invalid", good, ec256, "ES256", kid="rsa-1")
    add("RS256 under an EC kid", "invalid", good, rsa1, "RS256", kid="ec-256")
    add("ES384 under a P-256 kid", "invalid", good, ec384, "ES384", kid="ec-256")
    add("ES256 under a P-384 kid", "invalid", good, ec256, "ES256", kid="ec-384")
    add("EdDSA under an RSA kid", "invalid", good, ed, "EdDSA", kid="rsa-1")
    add("PS256 on a key whose JWK says RS256", "invalid", good, rsa_rs256_only, "PS256", kid="rsa-rs256")
    # An encryption key is not a verification key: its kid is as unknown as any.
    add("RS256 under an encryption key", "unknown_kid", good, attacker, "RS256", kid="enc-1")
    add("ES512 (not allowed)", "invalid", good, ec.generate_private_key(ec.SECP521R1()), "ES512", kid="ec-256")
    add("another key under a known kid", "invalid", good, attacker, "RS256")
    add("embedded jwk header", "invalid", good, attacker, "RS256",
        headers={"jwk": json.loads(RSAAlgorithm.to_jwk(attacker.public_key()))})
    add("embedded jwk header, no kid", "invalid", good, attacker, "RS256", kid=None,
        headers={"jwk": json.loads(RSAAlgorithm.to_jwk(attacker.public_key()))})
    add("jku header", "invalid", good, rsa1, "RS256", headers={"jku": "https://evil.example/jwks.json"})
    add("x5u header", "invalid", good, rsa1, "RS256", headers={"x5u": "https://evil.example/cert.pem"})
    add("x5c header", "invalid", good, rsa1, "RS256", headers={"x5c": ["MIIB"]})
    add("crit header", "invalid", good, rsa1, "RS256", headers={"crit": ["exp"], "exp": now})
    add("b64 false header", "invalid", good, rsa1, "RS256", headers={"b64": False, "crit": ["b64"]})
    add("no kid, several keys published", "invalid", good, rsa1, "RS256", kid=None)
    add("kid unknown", "unknown_kid", good, rsa1, "RS256", kid="nope")
    # Refused: tampering and size.
    valid = jwt.encode(good, rsa1, algorithm="RS256", headers={"kid": "rsa-1"})
    h, p, s = valid.split(".")
    tampered = b64url(json.dumps({**good, "scope": SCOPE + " admin"}).encode())
    tokens.append({"name": "payload swapped after signing", "expect": "invalid", "token": f"{h}.{tampered}.{s}"})
    tokens.append({"name": "signature truncated", "expect": "invalid", "token": f"{h}.{p}.{s[:-4]}"})
    tokens.append({"name": "signature of another token", "expect": "invalid",
                   "token": f"{h}.{p}." + jwt.encode({**good, "jti": "x"}, rsa1, algorithm="RS256", headers={"kid": "rsa-1"}).split(".")[2]})
    tokens.append({"name": "padded base64url", "expect": "invalid", "token": f"{h}==.{p}.{s}"})
    tokens.append({"name": "JWS JSON serialisation", "expect": "invalid",
                   "token": json.dumps({"protected": h, "payload": p, "signature": s})})
    add("claims over the size bound", "invalid", {**good, "pad": "x" * 9000}, rsa1, "RS256")
    add("header over the size bound", "invalid", good, rsa1, "RS256", headers={"pad": "x" * 2000})
    jws = jwt.PyJWS()
    for name, payload in [
        ("claims a JSON array", json.dumps([good])),
        ("claims not JSON", "iss=" + issuer),
        ("claims with iss twice", json.dumps(good)[:-1] + ', "iss": "https://evil.example"}'),
    ]:
        token = jws.encode(payload.encode(), rsa1, algorithm="RS256", headers={"kid": "rsa-1"})
        tokens.append({"name": name, "expect": "invalid", "token": token})

    rotated = jwt.encode(good, rsa2, algorithm="RS256", headers={"kid": "rsa-2"})
    single_no_kid = jwt.encode(good, rsa1, algorithm="RS256")

    json.dump({
        "jwks": jwks,
        "jwks_rotated": jwks_rotated,
        "jwks_single": jwks_single,
        "tokens": tokens,
        "rotated": rotated,
        "single_no_kid": single_no_kid,
    }, sys.stdout)


if __name__ == "__main__":
    main()
