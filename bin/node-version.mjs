// The oldest Node.js tokenbill runs on. Node 20 is supported from 20.19: cookie 2 (through @fastify/cookie, and
// Fastify's light-my-request) is an ES module loaded with require(), which Node 20 does without a flag only
// from 20.19.0. Older versions would fail at start-up with ERR_REQUIRE_ESM, far from the cause; this says it.
// cookie declares Node 22 in its engines, so npm warns EBADENGINE on Node 20; it runs (CI: Node 20.20).

const MINIMUM = [20, 19, 0];

/** Why this Node version cannot run tokenbill, or undefined when it can. */
export function unsupportedNode(version) {
  const parts = String(version).replace(/^v/, "").split(".").map(Number);
  if (parts.length < 3 || parts.some((n) => !Number.isInteger(n))) return undefined; // an unknown form: try
  for (let i = 0; i < MINIMUM.length; i++) {
    if (parts[i] > MINIMUM[i]) return undefined;
    if (parts[i] < MINIMUM[i]) {
      return `tokenbill needs Node.js ${MINIMUM.join(".")} or later; this is ${version}. Please upgrade Node.js.`;
    }
  }
  return undefined;
}
