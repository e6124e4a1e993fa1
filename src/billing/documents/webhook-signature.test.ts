import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhook, WEBHOOK_HEADERS, webhookHeaders } from "./webhook-signature.ts";

const SECRET = "whsec_test_0123456789";
const T = 1_793_491_200; // 2026-11-01T00:00:00Z
const BODY = '{"type":"invoice.finalized","data":{"number":"INV-2026-000001","total":"10.20"}}';

describe("webhook signatures", () => {
  it("signs t.body with HMAC-SHA256 in the documented header format", () => {
    const expected = createHmac("sha256", SECRET).update(`${T}.${BODY}`).digest("hex");
    expect(signWebhook(SECRET, T, BODY)).toBe(`t=${T},v1=${expected}`);
  });

  it("matches the example in docs/webhooks.md", () => {
    expect(signWebhook("whsec_example", T, "{}")).toBe(
      "t=1793491200,v1=5bb6283ca86389285a4529c271f027d0f720ea8de23f2c4b069aefc08b135351",
    );
  });

  it("verifies its own signature, also a little late or early", () => {
    const header = signWebhook(SECRET, T, BODY);
    expect(verifyWebhook(SECRET, header, BODY, T)).toBe(true);
    expect(verifyWebhook(SECRET, header, BODY, T + 300)).toBe(true);
    expect(verifyWebhook(SECRET, header, BODY, T - 300)).toBe(true);
  });

  it("rejects a tampered body and a wrong secret", () => {
    const header = signWebhook(SECRET, T, BODY);
    expect(verifyWebhook(SECRET, header, BODY.replace("10.20", "0.01"), T)).toBe(false);
    expect(verifyWebhook(SECRET, header, `${BODY} `, T)).toBe(false);
    expect(verifyWebhook("whsec_other", header, BODY, T)).toBe(false);
    expect(verifyWebhook("", header, BODY, T)).toBe(false);
  });

  it("rejects a stale or future timestamp, and a timestamp changed after signing", () => {
    const header = signWebhook(SECRET, T, BODY);
    expect(verifyWebhook(SECRET, header, BODY, T + 301)).toBe(false);
    expect(verifyWebhook(SECRET, header, BODY, T - 301)).toBe(false);
    expect(verifyWebhook(SECRET, header, BODY, T + 3600, 3600)).toBe(true);
    expect(verifyWebhook(SECRET, header.replace(`t=${T}`, `t=${T + 1000}`), BODY, T + 1000)).toBe(false);
  });

  it("rejects malformed headers without throwing", () => {
    const v1 = signWebhook(SECRET, T, BODY).split(",v1=")[1]!;
    for (const header of [
      "",
      "garbage",
      `v1=${v1}`,
      `t=${T}`,
      `t=${T},v1=`,
      `t=${T},v1=${v1.slice(2)}`,
      `t=${T},v1=${v1}zz`,
      `t=${T},v1=${"g".repeat(64)}`,
      `t=-${T},v1=${v1}`,
      `t=${T}.5,v1=${v1}`,
      `t=${T},t=${T},v1=${v1}`,
      `t=${T},v1=${v1},`,
      `t=${T};v1=${v1}`,
      `t=${T},v1=${v1},${"x=1,".repeat(300)}`,
    ]) {
      expect(verifyWebhook(SECRET, header, BODY, T), header).toBe(false);
    }
  });

  it("accepts any one of several v1 signatures (secret rotation) and ignores unknown schemes", () => {
    const v1 = (secret: string) => signWebhook(secret, T, BODY).split(",v1=")[1]!;
    const header = `t=${T},v1=${v1("whsec_old")},v1=${v1(SECRET)},v0=whatever`;
    expect(verifyWebhook(SECRET, header, BODY, T)).toBe(true);
    expect(verifyWebhook("whsec_old", header, BODY, T)).toBe(true);
    expect(verifyWebhook("whsec_third", header, BODY, T)).toBe(false);
    expect(verifyWebhook(SECRET, ` t=${T} , v1=${v1(SECRET).toUpperCase()} `, BODY, T)).toBe(true);
  });

  it("refuses to sign with an empty secret or a bad timestamp", () => {
    expect(() => signWebhook("", T, BODY)).toThrow(/secret/);
    expect(() => signWebhook(SECRET, 1.5, BODY)).toThrow(/timestamp/);
    expect(() => signWebhook(SECRET, -1, BODY)).toThrow(/timestamp/);
  });

  it("builds the three delivery headers", () => {
    expect(
      webhookHeaders({
        secret: SECRET,
        event: "invoice.paid",
        deliveryId: "dlv_1",
        timestamp: T,
        body: BODY,
      }),
    ).toEqual({
      "Content-Type": "application/json",
      [WEBHOOK_HEADERS.event]: "invoice.paid",
      [WEBHOOK_HEADERS.delivery]: "dlv_1",
      [WEBHOOK_HEADERS.signature]: signWebhook(SECRET, T, BODY),
    });
  });

  it("round-trips, and any change to the body breaks it (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.integer({ min: 0, max: 4_102_444_800 }),
        fc.string({ unit: "grapheme" }),
        fc.integer({ min: -300, max: 300 }),
        fc.string({ unit: "grapheme", minLength: 1 }),
        (secret, t, body, skew, extra) => {
          const header = signWebhook(secret, t, body);
          expect(verifyWebhook(secret, header, body, t + skew)).toBe(true);
          expect(verifyWebhook(secret, header, body + extra, t + skew)).toBe(false);
          expect(verifyWebhook(`${secret}x`, header, body, t + skew)).toBe(false);
        },
      ),
    );
  });
});
