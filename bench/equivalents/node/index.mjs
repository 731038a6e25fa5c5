// The Node receiver a user would write from the seed documents' examples:
// a Standard Webhooks check with node:crypto and an SQS send with the AWS SDK
// v3, in a minimal Lambda custom-runtime loop. Benchmarks only.
import { createHmac, timingSafeEqual } from "node:crypto";
import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";

const api = process.env.AWS_LAMBDA_RUNTIME_API;
const secret = Buffer.from(process.env.WEBHOOK_SECRET.replace(/^whsec_/, ""), "base64");
const queueUrl = process.env.QUEUE_URL;
const sqs = new SQSClient({});

const answer = (statusCode, body) => ({ statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

async function handler(event) {
  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const body = event.isBase64Encoded ? Buffer.from(event.body, "base64").toString() : (event.body ?? "");
  const id = headers["webhook-id"], ts = headers["webhook-timestamp"];
  if (!id || !ts || Math.abs(Date.now() / 1000 - Number(ts)) > 300) return answer(401, { error: "unauthorized" });
  const expected = Buffer.from(createHmac("sha256", secret).update(`${id}.${ts}.${body}`).digest("base64"));
  const ok = (headers["webhook-signature"] ?? "").split(" ").filter((s) => s.startsWith("v1,"))
    .some((s) => { const got = Buffer.from(s.slice(3)); return got.length === expected.length && timingSafeEqual(got, expected); });
  if (!ok) return answer(401, { error: "unauthorized" });
  JSON.parse(body);
  const sent = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  return answer(200, { id: sent.MessageId });
}

for (;;) {
  const next = await fetch(`http://${api}/2018-06-01/runtime/invocation/next`);
  const requestId = next.headers.get("lambda-runtime-aws-request-id");
  const result = await handler(await next.json());
  await fetch(`http://${api}/2018-06-01/runtime/invocation/${requestId}/response`, { method: "POST", body: JSON.stringify(result) });
}
