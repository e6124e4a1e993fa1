import { createHmac, timingSafeEqual } from "node:crypto";
import { ServiceError } from "../../kernel/errors.ts";

// Webhook signatures (docs/webhooks.md): X-Tokenbill-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<body>">. The timestamp inside the MAC lets receivers reject replays older than a tolerance.
// Which events exist is billing's catalog (src/billing/invoices/invoice-events.ts); signing takes any name.

export const WEBHOOK_HEADERS = {
  event: "X-Tokenbill-Event",
  signature: "X-Tokenbill-Signature",
  delivery: "X-Tokenbill-Delivery",
} as const;

// Generous for a header holding a few signatures (secret rotation); bounds the work on hostile input.
const MAX_HEADER_LENGTH = 1024;

function mac(secret: string, timestamp: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`, "utf8").digest("hex");
}

function validTimestamp(timestamp: number): boolean {
  return Number.isSafeInteger(timestamp) && timestamp >= 0;
}

export function signWebhook(secret: string, timestamp: number, body: string): string {
  if (secret === "") throw ServiceError.validation("secret", "must not be empty");
  if (!validTimestamp(timestamp)) {
    throw ServiceError.validation("timestamp", `must be whole seconds since 1970 (got ${String(timestamp)})`);
  }
  return `t=${timestamp},v1=${mac(secret, timestamp, body)}`;
}

/**
 * True only for a well-formed header whose timestamp is within `toleranceSeconds` of `now` (unix
 * seconds, either direction) and one of whose v1 signatures matches. Never throws on bad input.
 */
export function verifyWebhook(
  secret: string,
  header: string,
  body: string,
  now: number,
  toleranceSeconds = 300,
): boolean {
  if (secret === "" || header.length > MAX_HEADER_LENGTH) return false;
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) return false;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t") {
      if (timestamp !== undefined || !/^\d{1,15}$/.test(value)) return false;
      timestamp = Number(value);
    } else if (key === "v1") {
      if (!/^[0-9a-fA-F]{64}$/.test(value)) return false;
      signatures.push(Buffer.from(value, "hex"));
    } // other schemes (v0, a future v2) are ignored, so senders can add one without breaking receivers
  }
  if (timestamp === undefined || signatures.length === 0) return false;
  if (!Number.isFinite(now) || Math.abs(now - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(mac(secret, timestamp, body), "hex");
  // Compare against every candidate, without stopping early, in constant time per candidate.
  let ok = false;
  for (const s of signatures) ok = timingSafeEqual(s, expected) || ok;
  return ok;
}

/** The three headers of one delivery attempt; sign again on every retry so the timestamp is fresh. */
export function webhookHeaders(input: {
  secret: string;
  /** The event name, e.g. `invoice.finalized`. */
  event: string;
  deliveryId: string;
  timestamp: number;
  body: string;
}): Record<string, string> {
  return {
    "Content-Type": "application/json",
    [WEBHOOK_HEADERS.event]: input.event,
    [WEBHOOK_HEADERS.delivery]: input.deliveryId,
    [WEBHOOK_HEADERS.signature]: signWebhook(input.secret, input.timestamp, input.body),
  };
}
