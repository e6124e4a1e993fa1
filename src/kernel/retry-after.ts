// Retry-After, read the same way for every service that sends it (SolusIO, Stripe).

/**
 * The longest wait a Retry-After header is taken at: a SolusIO, Stripe or a proxy asking for an hour does
 * not hold a customer's sync or a card refund's job that long; it is asked again after this.
 */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/**
 * Retry-After (RFC 9110 §10.2.3) in milliseconds from now: delay-seconds or an HTTP date, at most
 * MAX_RETRY_AFTER_MS; undefined when missing or unreadable.
 */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (!Number.isFinite(at)) return undefined;
    ms = at - now;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}
