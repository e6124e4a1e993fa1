// The routes the server answers besides the admin API's route specs (route.ts): those the OpenAPI document
// describes by hand here, and those it leaves out on purpose, each with its reason. openapi-routes.db.test.ts
// holds the live route table to both, so a route added to the server is described or left out by decision.

type JsonSchema = Record<string, unknown>;

const errorAnswer = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

const jsonAnswer = (description: string, schema: JsonSchema) => ({
  description,
  content: { "application/json": { schema } },
});

/** A probe's answer: `{"status": …}` and, when not ready, why. */
const statusObject = (status: string, reason?: boolean): JsonSchema => ({
  type: "object",
  required: ["status", ...(reason ? ["reason"] : [])],
  properties: { status: { const: status }, ...(reason ? { reason: { type: "string" } } : {}) },
  additionalProperties: false,
});

/** Answered without a key (src/http/access.ts, docs/security.md). */
const PUBLIC = { security: [] };

/** The service's own routes, in the document beside the admin API's (server.ts registers them). */
export const SERVICE_PATHS: Record<string, Record<string, JsonSchema>> = {
  "/healthz": {
    get: {
      tags: ["service"],
      summary: "Liveness: the process answers",
      operationId: "getHealthz",
      ...PUBLIC,
      responses: { "200": jsonAnswer("The process is up", statusObject("ok")) },
    },
  },
  "/readyz": {
    get: {
      tags: ["service"],
      summary: "Readiness: the database answers and the GetTokenPricing index is loaded",
      operationId: "getReadyz",
      ...PUBLIC,
      responses: {
        "200": jsonAnswer("Ready for traffic", statusObject("ready")),
        "503": jsonAnswer(
          "Not ready: `reason` says what is missing (the database, or `pricing index loading`)",
          statusObject("unavailable", true),
        ),
      },
    },
  },
  "/api/v1/openapi.json": {
    get: {
      tags: ["service"],
      summary: "This document",
      operationId: "getApiV1OpenapiJson",
      ...PUBLIC,
      responses: {
        "200": jsonAnswer("The OpenAPI 3.1 document", {
          type: "object",
          required: ["openapi", "info", "paths"],
        }),
      },
    },
  },
  "/metrics": {
    get: {
      tags: ["service"],
      summary: "Prometheus metrics (docs/metrics.md)",
      description:
        "The Prometheus text exposition. With METRICS_PORT set it is also served on 127.0.0.1:METRICS_PORT without a key.",
      operationId: "getMetrics",
      responses: {
        "200": { description: "The metrics", content: { "text/plain": { schema: { type: "string" } } } },
        "401": errorAnswer("Missing or invalid API key"),
        "429": errorAnswer("Too many wrong API keys from this address; `Retry-After` says when to retry"),
      },
    },
  },
};

/** Routes the document leaves out, and why: the router's pattern `url`, and with `below` every route under it. */
export interface LeftOutRoute {
  methods: readonly string[];
  url: string;
  below?: true;
  reason: string;
}

/** The routes answered that are not the API's to describe. PRICING_PATH is configured, so it is passed in. */
export function leftOutRoutes(pricingPath: string): LeftOutRoute[] {
  return [
    {
      methods: ["POST"],
      url: pricingPath,
      reason:
        "GetTokenPricing: SolusIO's own protocol (form-encoded, its token, solusio-api.md), called by SolusIO, not by clients of this API",
    },
    {
      methods: ["GET", "HEAD"],
      url: "/sso/solusio",
      reason:
        "the single sign-on link a customer's browser opens once, signed and made by POST /api/v1/customers/{id}/sso",
    },
    {
      methods: ["POST"],
      url: "/webhooks/stripe",
      reason: "Stripe's signed events (docs/payments-stripe.md), sent by Stripe alone",
    },
    {
      methods: ["GET", "HEAD", "POST"],
      url: "/console",
      below: true,
      reason: "the staff console's HTML pages and forms, for browsers with a session (docs/console.md)",
    },
    {
      methods: ["GET", "HEAD", "POST"],
      url: "/portal",
      below: true,
      reason: "the customer portal's HTML pages and forms, for browsers with a session (docs/portal.md)",
    },
  ];
}

/**
 * Why HEAD is left out: each is its GET without a body, and a generated client would get a method per GET
 * that returns nothing. The document's description says so instead; renderings and downloads answer HEAD 405.
 */
export const HEAD_LEFT_OUT =
  "HEAD of each GET described here that answers JSON is answered as that GET without its body (same status and headers); renderings and downloads (a PDF, a CSV, a backup) and the doctor (whose checks are calls to SolusIO) answer HEAD 405 naming GET in `Allow`";

/** Why `method url` (the router's pattern) is not in the document; undefined when it should be. */
export function leftOutReason(
  route: { method: string; url: string },
  documented: (method: string, url: string) => boolean,
  pricingPath: string,
): string | undefined {
  const entry = leftOutRoutes(pricingPath).find(
    (r) =>
      r.methods.includes(route.method) &&
      (route.url === r.url || (r.below === true && route.url.startsWith(`${r.url}/`))),
  );
  if (entry !== undefined) return entry.reason;
  if (route.method !== "HEAD") return undefined;
  const get = { method: "GET", url: route.url };
  return documented("GET", route.url) || leftOutReason(get, documented, pricingPath) !== undefined
    ? HEAD_LEFT_OUT
    : undefined;
}
