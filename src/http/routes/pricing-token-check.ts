import { createHash, timingSafeEqual } from "node:crypto";

// The GetTokenPricing token is checked on every price SolusIO shows. A SHA-256 per request was once the
// largest single cost of the endpoint, then timingSafeEqual over a 256-byte buffer the value was first
// encoded into was still about 3,800 instructions an answer (callgrind, 2026-12-01). Now a token shorter
// than PADDED code units is compared in place: over the presented value's length, each code unit is XORed
// with the configured token's (padded to PADDED) and ORed into one number, with no branch on what is
// compared; the lengths are folded in the same way. The work depends only on the presented value's length
// (which the caller knows), never on the configured token's content or length. A longer configured token
// (allowed, but unusual) is compared by digest.

const PADDED = 256;

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** Returns a check that answers whether `presented` is exactly `token`, in time independent of `token`. */
export function tokenCheck(token: string): (presented: unknown) => boolean {
  if (token.length >= PADDED) {
    const expected = digest(token);
    return (presented) => typeof presented === "string" && timingSafeEqual(digest(presented), expected);
  }
  const padded = token.padEnd(PADDED, "\0");
  const length = token.length;
  return (presented) => {
    // Longer than any token compared here; its length is the caller's own knowledge.
    if (typeof presented !== "string" || presented.length > PADDED) return false;
    let difference = presented.length ^ length;
    for (let i = 0; i < presented.length; i++) difference |= presented.charCodeAt(i) ^ padded.charCodeAt(i);
    return difference === 0;
  };
}
