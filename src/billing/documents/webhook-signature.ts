import { Webhook } from "standardwebhooks";
import { ServiceError } from "../../kernel/errors.ts";

// Outgoing webhooks are signed as Standard Webhooks (https://www.standardwebhooks.com, docs/webhooks.md),
// with the reference library, so a receiver verifies them with an off-the-shelf verifier in any language:
//   webhook-id         the notification's id, the same on every retry
//   webhook-timestamp  unix seconds of this attempt
//   webhook-signature  "v1,<base64 HMAC-SHA256 of `<id>.<timestamp>.<body>`>"
// This module is the only place that knows how a notification is signed.

const PREFIX = "whsec_";
// Standard base64 with its padding: what Standard Webhooks secrets hold after "whsec_".
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The HMAC key of WEBHOOK_SECRET. A Standard Webhooks secret ("whsec_" + base64) is the base64-decoded
 * bytes, as every Standard Webhooks library reads it. Anything else — a plain secret from before this
 * scheme, e.g. "s3cret" or "whsec_made_up_text" — is its own UTF-8 bytes, so existing configurations keep
 * working; the receiver is then given `receiverSecret(secret)`.
 */
export function webhookSigningKey(secret: string): Uint8Array {
  if (secret === "") throw ServiceError.validation("WEBHOOK_SECRET", "must not be empty");
  const encoded = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : null;
  if (encoded !== null && encoded !== "" && BASE64.test(encoded)) {
    return new Uint8Array(Buffer.from(encoded, "base64"));
  }
  return new Uint8Array(Buffer.from(secret, "utf8"));
}

/**
 * What a receiver configures in its Standard Webhooks verifier: "whsec_" + base64 of the key. For a
 * Standard Webhooks secret this is the secret itself.
 */
export function receiverSecret(secret: string): string {
  return PREFIX + Buffer.from(webhookSigningKey(secret)).toString("base64");
}

/**
 * The headers of one delivery attempt. Sign again on every retry: the id stays, the timestamp is fresh,
 * so a receiver's age check (5 minutes in the libraries) passes on a late retry too.
 */
export function webhookHeaders(input: {
  secret: string;
  /** Stable per event and endpoint (the delivery job's id): receivers de-duplicate on it. */
  webhookId: string;
  /** Unix seconds. */
  timestamp: number;
  body: string;
}): Record<string, string> {
  if (!Number.isSafeInteger(input.timestamp) || input.timestamp < 0) {
    throw ServiceError.validation(
      "timestamp",
      `must be whole seconds since 1970 (got ${String(input.timestamp)})`,
    );
  }
  // The id is part of the signed text: a character that cannot be in a header would break verification.
  if (!/^[A-Za-z0-9_.:-]{1,200}$/.test(input.webhookId)) {
    throw ServiceError.validation("webhookId", "must be 1–200 letters, digits or _ . : -");
  }
  const signer = new Webhook(webhookSigningKey(input.secret), { format: "raw" });
  return {
    "content-type": "application/json",
    "webhook-id": input.webhookId,
    "webhook-timestamp": String(input.timestamp),
    "webhook-signature": signer.sign(input.webhookId, new Date(input.timestamp * 1000), input.body),
  };
}
