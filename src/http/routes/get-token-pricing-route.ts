import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { ServiceError } from "../../kernel/errors.ts";
import type { PricingIndex } from "../../services/pricing/pricing-index.ts";
import { sendError } from "../errors.ts";
import { STATIC_SECURITY_HEADERS } from "../protection.ts";
import type { SecretFailureLimiter } from "../secret-failure-limiter.ts";

// The endpoint SolusIO calls to show prices (solusio-api.md §8, seed step 6):
//   POST <PRICING_PATH>  token=…&action=GetTokenPricing&userid=<billing_user_id>
// Form-urlencoded is what SolusIO sends; JSON bodies and `Authorization: Bearer` are accepted as well.
// Only `token`, `action` and `userid` are read, and validated; any other field is ignored, never refused:
// SolusIO may send more (the SolusVM docs mention "a number of tokens the feature costs", §8).

const USER_ID = /^[1-9][0-9]{0,18}$/;
const MAX_ID = 2n ** 63n - 1n;

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** Compares digests, so neither the content nor the length of the configured token leaks through timing. */
function tokenMatches(presented: unknown, expected: Buffer): boolean {
  return typeof presented === "string" && timingSafeEqual(digest(presented), expected);
}

function bearerOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header);
  return match?.[1]?.trim();
}

function parseUserId(value: unknown): bigint {
  const raw = typeof value === "number" && Number.isSafeInteger(value) ? String(value) : value;
  if (raw === undefined || raw === null || raw === "") throw ServiceError.validation("userid", "is required");
  if (typeof raw !== "string" || !USER_ID.test(raw) || BigInt(raw) > MAX_ID) {
    throw ServiceError.validation(
      "userid",
      "must be a positive whole number (the customer id in the billing system)",
    );
  }
  return BigInt(raw);
}

export function registerGetTokenPricing(
  app: FastifyInstance,
  path: string,
  token: string | undefined,
  index: PricingIndex,
  limiter: SecretFailureLimiter,
) {
  const expected = token === undefined ? undefined : digest(token);

  // Public as far as admin keys go: SolusIO authenticates with the pricing token checked below.
  // Helmet's headers, precomputed (protection.ts): this is the hot path SolusIO calls on every price shown.
  app.post(path, { config: { access: "public" }, helmet: false }, async (request, reply) => {
    reply.headers(STATIC_SECURITY_HEADERS);
    try {
      const body = request.body;
      const fields: Record<string, unknown> =
        typeof body === "object" && body !== null && !Array.isArray(body)
          ? (body as Record<string, unknown>)
          : {};
      if (expected) {
        const presented = fields["token"] ?? bearerOf(request.headers.authorization);
        // Checked without a promise on the way through: a right token is the common case by far.
        const client = `pricing-token:${request.ip}`;
        limiter.assertAllowed(client);
        if (!tokenMatches(presented, expected)) {
          await limiter.recordFailure(client);
          throw new ServiceError("UNAUTHORIZED", "invalid or missing token");
        }
      }
      if (fields["action"] !== "GetTokenPricing") {
        throw ServiceError.validation("action", "must be GetTokenPricing");
      }
      const customerId = parseUserId(fields["userid"]);
      const json = await index.json(customerId);
      return reply.status(200).type("application/json; charset=utf-8").send(json);
    } catch (error) {
      return sendError(reply, request, error);
    }
  });
}
