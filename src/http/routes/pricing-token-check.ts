import { createHash, timingSafeEqual } from "node:crypto";

// The GetTokenPricing token is checked on every price SolusIO shows, and a SHA-256 per request was the
// largest single cost of the endpoint. A token of up to PADDED bytes is compared without hashing: the
// presented value is written into a zeroed buffer of PADDED bytes and all PADDED bytes are compared with
// timingSafeEqual, then the lengths (one integer comparison). The work depends only on the presented value
// (which the caller knows), never on the configured token's content or length. A longer configured token
// (allowed, but unusual) is compared by digest, as before.

const PADDED = 256;

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** Returns a check that answers whether `presented` is exactly `token`, in time independent of `token`. */
export function tokenCheck(token: string): (presented: unknown) => boolean {
  const length = Buffer.byteLength(token);
  if (length >= PADDED) {
    const expected = digest(token);
    return (presented) => typeof presented === "string" && timingSafeEqual(digest(presented), expected);
  }
  const expected = Buffer.alloc(PADDED);
  expected.write(token, "utf8");
  // Room for a presented value of PADDED UTF-16 units in UTF-8 (at most 3 bytes each).
  const scratch = Buffer.alloc(PADDED * 3);
  const window = scratch.subarray(0, PADDED);
  return (presented) => {
    // Longer than any token compared here; its length is the caller's own knowledge.
    if (typeof presented !== "string" || presented.length > PADDED) return false;
    const written = scratch.write(presented, "utf8");
    if (written < PADDED) scratch.fill(0, written, PADDED);
    // Both checks run, so a right prefix answers as fast as a wrong first byte.
    const same = timingSafeEqual(window, expected);
    return same && written === length;
  };
}
