use http::{HeaderMap, Method};
use lambda_http::request::RequestOrigin;
use serde_json::{Value, json};

use super::{HttpEvent, UndecodableBody, into_request};
use crate::request::Body;
use crate::request::Request;

/// As `lambda_runtime` reads an event.
fn read(event: &Value) -> HttpEvent {
    let body = serde_json::to_vec(event).unwrap();
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(&body)).unwrap()
}

fn request(event: &Value) -> Option<Request> {
    into_request(read(event), "lambda-id".into())
}

fn values(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

fn http_api() -> Value {
    json!({
        "version": "2.0",
        "routeKey": "POST /webhook",
        "rawPath": "/webhook",
        "rawQueryString": "a=b",
        "cookies": ["c=1"],
        "headers": {"content-type": "application/json", "x-hook-signature": "abc"},
        "queryStringParameters": {"a": "b"},
        "requestContext": {
            "accountId": "123456789012",
            "requestId": "gw-id",
            "http": {"method": "POST", "path": "/webhook", "sourceIp": "1.2.3.4"},
            "stage": "$default"
        },
        "body": "{\"a\":1}",
        "isBase64Encoded": false
    })
}

fn rest_api() -> Value {
    json!({
        "resource": "/webhook",
        "path": "/webhook",
        "httpMethod": "POST",
        "headers": {"X-Hook-Signature": "last"},
        "multiValueHeaders": {"X-Hook-Signature": ["first", "last"], "Accept": ["*/*"]},
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "requestContext": {"requestId": "gw-id", "httpMethod": "POST", "stage": "prod"},
        "body": "{}",
        "isBase64Encoded": false
    })
}

#[test]
fn each_shape_is_told_apart() {
    let origin = |event: Value| read(&event).origin();
    assert!(matches!(origin(http_api()), RequestOrigin::ApiGatewayV2));
    assert!(matches!(origin(rest_api()), RequestOrigin::ApiGatewayV1));
    let mut v1_from_http_api = rest_api();
    v1_from_http_api["version"] = json!("1.0");
    assert!(matches!(
        origin(v1_from_http_api),
        RequestOrigin::ApiGatewayV1
    ));
    let alb = json!({"httpMethod": "POST", "requestContext": {"elb": {"targetGroupArn": "arn"}}});
    assert!(matches!(origin(alb), RequestOrigin::Alb));
    let lattice = json!({"version": "2.0", "method": "POST", "headers": {"a": ["1"]}});
    assert!(matches!(origin(lattice), RequestOrigin::VpcLatticeV2));
    let websocket = json!({"requestContext": {"connectionId": "c", "eventType": "MESSAGE"}});
    assert!(matches!(origin(websocket), RequestOrigin::WebSocket));
}

#[test]
fn http_api_request_reads_method_headers_body_and_gateway_id() {
    let request = request(&http_api()).unwrap();
    assert_eq!(request.method, Method::POST);
    assert_eq!(values(&request.headers, "x-hook-signature"), ["abc"]);
    assert_eq!(request.body.as_deref(), Ok(&b"{\"a\":1}"[..]));
    assert_eq!(request.request_id.as_deref(), Some("gw-id"));
    assert_eq!(request.path.as_deref(), Some("/webhook"));
    assert_eq!(request.sender, Some("1.2.3.4".parse().unwrap()));
}

#[test]
fn rest_api_keeps_every_copy_of_a_header() {
    let request = request(&rest_api()).unwrap();
    assert_eq!(
        values(&request.headers, "x-hook-signature"),
        ["first", "last"]
    );
    assert_eq!(values(&request.headers, "accept"), ["*/*"]);
    // A header only in the single-valued map (multi-value headers disabled on an ALB).
    let mut event = rest_api();
    event["headers"]["X-Only-Here"] = json!("1");
    let request = super::into_request(read(&event), String::new()).unwrap();
    assert_eq!(values(&request.headers, "x-only-here"), ["1"]);
    assert_eq!(
        values(&request.headers, "x-hook-signature"),
        ["first", "last"]
    );
}

#[test]
fn alb_without_a_gateway_id_uses_lambdas() {
    let event = json!({
        "httpMethod": "POST",
        "headers": {"a": "1"},
        "requestContext": {"elb": {"targetGroupArn": "arn"}},
        "body": "e30=",
        "isBase64Encoded": true
    });
    let request = request(&event).unwrap();
    assert_eq!(request.request_id.as_deref(), Some("lambda-id"));
    assert_eq!(request.body.as_deref(), Ok(&b"{}"[..]));
}

#[test]
fn escaped_names_and_values_are_read() {
    let text = r#"{"version":"2.0","requestContext":{"http":{"method":"P\u004fST"}},
        "headers":{"x-\u0061":"\"quoted\""},"body":"\u00e9"}"#;
    let event: HttpEvent = serde_json::from_str(text).unwrap();
    let request = into_request(event, String::new()).unwrap();
    assert_eq!(request.method, Method::POST);
    assert_eq!(values(&request.headers, "x-a"), ["\"quoted\""]);
    assert_eq!(request.body.as_deref(), Ok("é".as_bytes()));
}

#[test]
fn nulls_read_as_absent() {
    let mut event = http_api();
    for field in ["headers", "body", "isBase64Encoded", "cookies"] {
        event[field] = Value::Null;
    }
    let request = request(&event).unwrap();
    assert!(&request.headers.is_empty());
    assert_eq!(request.body.as_deref(), Ok(&b""[..]));
}

#[test]
fn only_a_text_body_is_known_to_be_utf8() {
    let mut event = http_api();
    event["body"] = json!("{}");
    assert_eq!(request(&event).unwrap().body, Ok(Body::Text("{}".into())));
    event["isBase64Encoded"] = json!(true);
    event["body"] = json!("/w==");
    let bytes = request(&event).unwrap().body.unwrap();
    assert_eq!(bytes, Body::Bytes(vec![0xff]));
    assert_eq!(bytes.into_text(), None);
}

#[test]
fn undecodable_base64_is_marked_not_dropped() {
    let mut event = http_api();
    event["isBase64Encoded"] = json!(true);
    event["body"] = json!("not base64!");
    let request = request(&event).unwrap();
    assert_eq!(request.body, Err(UndecodableBody));
}

#[test]
fn malformed_events_are_read_and_refused() {
    let with = |field: &str, value: Value| {
        let mut event = http_api();
        event[field] = value;
        event
    };
    let malformed = [
        with("headers", json!("x")),
        with("headers", json!({"a": 1})),
        with("headers", json!({"a": null})),
        with("headers", json!({"a": ["1", 2]})),
        with("headers", json!({"a": {"b": "c"}})),
        with("headers", json!({"bad name": "1"})),
        with("headers", json!({"a": "line\r\nbreak"})),
        with("headers", json!({"a": "nul\u{0}"})),
        with("body", json!({"a": 1})),
        with("body", json!(1)),
        with("isBase64Encoded", json!("true")),
        with("requestContext", json!("x")),
        with("requestContext", json!({"http": {"method": 1}})),
        with(
            "requestContext",
            json!({"http": {"method": "NOT A METHOD"}}),
        ),
        with("requestContext", json!({"http": {}})),
        with("rawPath", json!(1)),
        with(
            "requestContext",
            json!({"http": {"method": "POST", "sourceIp": 1}}),
        ),
        json!({}),
        json!([]),
        json!("event"),
        json!(null),
        json!(1),
    ];
    for event in malformed {
        assert!(request(&event).is_none(), "{event}");
    }
}

#[test]
fn a_field_given_twice_is_malformed() {
    let text = r#"{"httpMethod":"POST","body":"{}","body":"{}"}"#;
    let event: HttpEvent = serde_json::from_str(text).unwrap();
    assert!(into_request(event, String::new()).is_none());
    // Skipped fields may repeat: they are not read.
    let text = r#"{"httpMethod":"POST","resource":"/","resource":"/x"}"#;
    let event: HttpEvent = serde_json::from_str(text).unwrap();
    assert!(into_request(event, String::new()).is_some());
}

#[test]
fn debug_shows_no_header_value_and_no_body() {
    let shown = format!("{:?}", read(&http_api()));
    assert!(shown.contains("x-hook-signature"), "{shown}");
    assert!(
        !shown.contains("abc") && !shown.contains("\\\"a\\\""),
        "{shown}"
    );
}

#[test]
fn empty_method_reads_as_get() {
    let mut event = rest_api();
    event["httpMethod"] = json!("");
    assert_eq!(request(&event).unwrap().method, Method::GET);
}

#[test]
fn path_and_sender_as_aws_records_them() {
    // REST: `path` (no stage), the sender from the request context.
    let mut event = rest_api();
    event["path"] = json!("/webhooks/a");
    event["requestContext"]["identity"] = json!({"sourceIp": "203.0.113.9"});
    event["headers"]["X-Forwarded-For"] = json!("198.51.100.1");
    let got = request(&event).unwrap();
    assert_eq!(got.path.as_deref(), Some("/webhooks/a"));
    assert_eq!(got.sender, Some("203.0.113.9".parse().unwrap()));
    // HTTP API: `rawPath`, undecoded, with the stage.
    let mut event = http_api();
    event["rawPath"] = json!("/prod/webhooks/a%2Fb");
    event["requestContext"]["http"]["sourceIp"] = json!("2001:db8::1");
    let got = request(&event).unwrap();
    assert_eq!(got.path.as_deref(), Some("/prod/webhooks/a%2Fb"));
    assert_eq!(got.sender, Some("2001:db8::1".parse().unwrap()));
    // ALB: the last X-Forwarded-For entry, the one the ALB appended.
    let alb = |forwarded: serde_json::Value| {
        json!({
            "httpMethod": "POST",
            "path": "/webhooks/a",
            "multiValueHeaders": {"x-forwarded-for": forwarded},
            "requestContext": {"elb": {"targetGroupArn": "arn"}},
        })
    };
    let got = request(&alb(json!(["10.9.9.9, 1.1.1.1, 198.51.100.7"]))).unwrap();
    assert_eq!(got.sender, Some("198.51.100.7".parse().unwrap()));
    // Two copies: the client sent one of its own, and which one the ALB
    // appended to is not recorded. Unknown, never the client's pick.
    let got = request(&alb(json!(["10.9.9.9, 203.0.113.1", "198.51.100.7"]))).unwrap();
    assert_eq!(got.sender, None);
    // No address, or not an address: unknown.
    let mut event = http_api();
    event["requestContext"]["http"]["sourceIp"] = json!("not-an-ip");
    assert_eq!(request(&event).unwrap().sender, None);
    let alb = json!({"httpMethod": "POST", "requestContext": {"elb": {}}});
    assert_eq!(request(&alb).unwrap().sender, None);
}
