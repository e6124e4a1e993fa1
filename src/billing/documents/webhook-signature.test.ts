import { createHmac } from "node:crypto";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { receiverSecret, webhookHeaders, webhookSigningKey } from "./webhook-signature.ts";

// Signed by tokenbill, verified by the Standard Webhooks reference library as any receiver would.

const STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"; // the format the spec's examples use
const T = 1_793_491_200; // 2026-11-01T00:00:00Z
const BODY = '{"id":"dlv_1","type":"invoice.finalized","data":{"invoice":{"total":"10.20"}}}';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date(T * 1000));
});
afterEach(() => {
  vi.useRealTimers();
});

function verify(secret: string, headers: Record<string, string>, body = BODY): unknown {
  return new Webhook(secret).verify(body, headers);
}

describe("Standard Webhooks signatures", () => {
  it("signs `<id>.<timestamp>.<body>` with HMAC-SHA256 of the decoded whsec_ key, base64, after v1,", () => {
    const headers = webhookHeaders({ secret: STANDARD_SECRET, webhookId: "dlv_1", timestamp: T, body: BODY });
    const key = Buffer.from("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "base64");
    const mac = createHmac("sha256", key).update(`dlv_1.${T}.${BODY}`).digest("base64");
    expect(headers).toEqual({
      "content-type": "application/json",
      "webhook-id": "dlv_1",
      "webhook-timestamp": String(T),
      "webhook-signature": `v1,${mac}`,
    });
  });

  it("matches the example in docs/webhooks.md", () => {
    const headers = webhookHeaders({ secret: "s3cret", webhookId: "dlv_42", timestamp: T, body: "{}" });
    expect(receiverSecret("s3cret")).toBe("whsec_czNjcmV0");
    expect(headers["webhook-signature"]).toBe("v1,QoGklGh2XjrfFjim4h48NrKsBD78IM68Piax1GdUHfM=");
  });

  it("is verified by the library's Webhook.verify with a Standard Webhooks secret as configured", () => {
    const headers = webhookHeaders({ secret: STANDARD_SECRET, webhookId: "dlv_1", timestamp: T, body: BODY });
    expect(receiverSecret(STANDARD_SECRET)).toBe(STANDARD_SECRET);
    expect(verify(STANDARD_SECRET, headers)).toEqual(JSON.parse(BODY));
  });

  it("is verified with the derived whsec_ secret when WEBHOOK_SECRET is a plain one", () => {
    for (const plain of ["s3cret", "whsec_delivery_test_secret", "pässwörd with spaces", "whsec_"]) {
      const headers = webhookHeaders({ secret: plain, webhookId: "dlv_7", timestamp: T, body: BODY });
      const derived = receiverSecret(plain);
      expect(derived).toBe(`whsec_${Buffer.from(plain, "utf8").toString("base64")}`);
      expect(verify(derived, headers)).toEqual(JSON.parse(BODY));
    }
  });

  it("fails verification for a tampered body, id or timestamp, or another secret", () => {
    const headers = webhookHeaders({ secret: STANDARD_SECRET, webhookId: "dlv_1", timestamp: T, body: BODY });
    const fails = (secret: string, h: Record<string, string>, body = BODY) =>
      expect(() => verify(secret, h, body)).toThrow(WebhookVerificationError);
    fails(STANDARD_SECRET, headers, BODY.replace("10.20", "0.01"));
    fails(STANDARD_SECRET, headers, `${BODY} `);
    fails(STANDARD_SECRET, { ...headers, "webhook-id": "dlv_2" });
    fails(STANDARD_SECRET, { ...headers, "webhook-timestamp": String(T + 1) });
    fails("whsec_b3RoZXItc2VjcmV0", headers);
  });

  it("is refused by the verifier more than five minutes late, so a retry is signed afresh", () => {
    const headers = webhookHeaders({ secret: STANDARD_SECRET, webhookId: "dlv_1", timestamp: T, body: BODY });
    vi.setSystemTime(new Date((T + 300) * 1000));
    expect(verify(STANDARD_SECRET, headers)).toEqual(JSON.parse(BODY));
    vi.setSystemTime(new Date((T + 301) * 1000));
    expect(() => verify(STANDARD_SECRET, headers)).toThrow("Message timestamp too old");
  });

  it("reads only a whsec_ prefix with valid base64 as a Standard Webhooks secret", () => {
    expect(Buffer.from(webhookSigningKey("whsec_AAEC")).toString("hex")).toBe("000102");
    expect(Buffer.from(webhookSigningKey("whsec_AAE")).toString("utf8")).toBe("whsec_AAE");
    expect(Buffer.from(webhookSigningKey("AAEC")).toString("utf8")).toBe("AAEC");
  });

  it("refuses an empty secret, a bad timestamp and an id that cannot be a header", () => {
    const ok = { secret: "s", webhookId: "dlv_1", timestamp: T, body: "{}" };
    expect(() => webhookHeaders({ ...ok, secret: "" })).toThrow("must not be empty");
    expect(() => webhookHeaders({ ...ok, timestamp: -1 })).toThrow("whole seconds");
    expect(() => webhookHeaders({ ...ok, timestamp: 1.5 })).toThrow("whole seconds");
    expect(() => webhookHeaders({ ...ok, webhookId: "a\nb" })).toThrow("webhookId");
    expect(() => webhookHeaders({ ...ok, webhookId: "" })).toThrow("webhookId");
  });
});
