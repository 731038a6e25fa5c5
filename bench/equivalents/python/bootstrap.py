#!/usr/bin/env python3
"""The Python receiver a user would write from the seed documents' examples:
a Standard Webhooks check with hmac and an SQS send with boto3, in a minimal
Lambda custom-runtime loop (what awslambdaric does). Benchmarks only."""
import base64
import hashlib
import hmac
import json
import os
import time
import urllib.request

import boto3

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
SECRET = base64.b64decode(os.environ["WEBHOOK_SECRET"].removeprefix("whsec_"))
QUEUE_URL = os.environ["QUEUE_URL"]
sqs = boto3.client("sqs", region_name=os.environ.get("AWS_REGION", "us-east-1"))


def answer(status, body):
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def handler(event):
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    msg_id, timestamp = headers.get("webhook-id"), headers.get("webhook-timestamp")
    if not msg_id or not timestamp or abs(time.time() - int(timestamp)) > 300:
        return answer(401, {"error": "unauthorized"})
    signed = f"{msg_id}.{timestamp}.{body}".encode()
    expected = base64.b64encode(hmac.new(SECRET, signed, hashlib.sha256).digest()).decode()
    signatures = [s.split(",", 1)[1] for s in headers.get("webhook-signature", "").split(" ") if s.startswith("v1,")]
    if not any(hmac.compare_digest(s, expected) for s in signatures):
        return answer(401, {"error": "unauthorized"})
    json.loads(body)
    sent = sqs.send_message(QueueUrl=QUEUE_URL, MessageBody=body)
    return answer(200, {"id": sent["MessageId"]})


while True:
    with urllib.request.urlopen(f"http://{API}/2018-06-01/runtime/invocation/next") as response:
        request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(response.read())
    result = handler(event)
    urllib.request.urlopen(
        urllib.request.Request(
            f"http://{API}/2018-06-01/runtime/invocation/{request_id}/response",
            data=json.dumps(result).encode(),
            method="POST",
        )
    ).read()
