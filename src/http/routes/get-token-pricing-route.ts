import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { asServiceError, ServiceError } from "../../kernel/errors.ts";
import type { PricingIndex } from "../../services/pricing/pricing-index.ts";
import {
  errorBody,
  headersOfCode,
  logUpstreamFailure,
  ProtocolError,
  sendError,
  statusOf,
} from "../errors.ts";
import { hasTooManyFields, TOO_MANY_FIELDS } from "../form-field-limit.ts";
import { clientAddress, type ProxyTrust } from "../client-address.ts";
import { API_SECURITY_HEADERS } from "../protection.ts";
import type { CredentialFailureLog, CredentialFailureReason } from "../credential-failure-log.ts";
import type { SecretFailureLimiter } from "../secret-failure-limiter.ts";
import { parsePricingFields } from "./pricing-form.ts";
import { tokenCheck } from "./pricing-token-check.ts";

// The endpoint SolusIO calls to show prices (solusio-api.md §8, seed step 6):
//   POST <PRICING_PATH>  token=…&action=GetTokenPricing&userid=<billing_user_id>
// Form-urlencoded is what SolusIO sends; JSON bodies and `Authorization: Bearer` are accepted as well.
// Only `token`, `action` and `userid` are read, and validated; any other field is ignored, never refused:
// SolusIO may send more (the SolusVM docs mention "a number of tokens the feature costs", §8).

const USER_ID = /^[1-9][0-9]{0,18}$/;
/** 2^63 − 1 in decimal: ids of 19 digits compare as text, so the check needs no BigInt. */
const MAX_ID = "9223372036854775807";

function bearerOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header);
  return match?.[1]?.trim();
}

/** The customer id in decimal, without leading zeros (the index's key). */
function parseUserId(value: unknown): string {
  const raw = typeof value === "number" && Number.isSafeInteger(value) ? String(value) : value;
  if (raw === undefined || raw === null || raw === "") throw ServiceError.validation("userid", "is required");
  if (typeof raw !== "string" || !USER_ID.test(raw) || (raw.length === MAX_ID.length && raw > MAX_ID)) {
    throw ServiceError.validation(
      "userid",
      "must be a positive whole number (the customer id in the billing system)",
    );
  }
  return raw;
}

/** Told of every answer once it is written (metrics: GetTokenPricing latency by status). */
export type PricingObserver = (status: number, elapsedMs: number) => void;

/** The endpoint's checks and answer, shared by the Fastify route and the fast path below. */
export interface PricingEndpoint {
  path: string;
  observe: PricingObserver;
  /**
   * The JSON answer for these form fields, or a ServiceError / ProtocolError (thrown or rejected) to answer
   * instead. A string, not a promise, when the answer is ready at once (the in-memory index is fresh).
   */
  answer(
    fields: Record<string, unknown>,
    authorization: string | undefined,
    ip: () => string,
  ): string | Promise<string>;
}

export function pricingEndpoint(opts: {
  path: string;
  token: string | undefined;
  index: PricingIndex;
  limiter: SecretFailureLimiter;
  observe?: PricingObserver | undefined;
  /** Told of a wrong or missing token, and of one refused by the limit (credential-failure-log.ts). */
  credentialFailures?: CredentialFailureLog | undefined;
}): PricingEndpoint {
  const { index, limiter } = opts;
  const tokenMatches = opts.token === undefined ? undefined : tokenCheck(opts.token);
  const route = `POST ${opts.path}`;
  // Never the token presented: the route, the address and the reason.
  const logFailure = (address: string, reason: CredentialFailureReason) =>
    opts.credentialFailures?.record({ route, address, reason });
  return {
    path: opts.path,
    observe: opts.observe ?? (() => {}),
    answer(fields, authorization, ip) {
      if (tokenMatches) {
        const presented = fields["token"] ?? bearerOf(authorization);
        // Checked without a promise on the way through: a right token is the common case by far. The client's
        // address (a socket call) is looked up only while someone is blocked, or for a wrong token.
        if (limiter.blocking) {
          try {
            limiter.assertAllowed(`pricing-token:${ip()}`);
          } catch (error) {
            logFailure(ip(), "rate limited");
            throw error;
          }
        }
        if (!tokenMatches(presented)) {
          // Only here, off the right token's path: the log line is built for a failure alone.
          logFailure(ip(), presented === undefined || presented === "" ? "missing token" : "wrong token");
          return refuse(limiter, `pricing-token:${ip()}`);
        }
      }
      if (fields["action"] !== "GetTokenPricing") {
        throw ServiceError.validation("action", "must be GetTokenPricing");
      }
      const userId = parseUserId(fields["userid"]);
      return index.jsonIfFresh(userId) ?? index.json(BigInt(userId));
    },
  };
}

/** A wrong or missing token: counted (so guessing is slowed to a crawl), then refused. */
async function refuse(limiter: SecretFailureLimiter, client: string): Promise<never> {
  await limiter.recordFailure(client);
  throw new ServiceError("UNAUTHORIZED", "invalid or missing token");
}

/**
 * The largest GetTokenPricing body taken, by either path. SolusIO sends three short fields
 * (solusio-api.md §8); anyone who reaches the path may send a body, parsed before the token in it is
 * checked, and a 1 MiB JSON body of 60,000 keys cost 1.2 s of the one thread (400,000 nested arrays 2.4 s),
 * answered 200 all the same (until 2026-12-06). 8 KiB holds any token and costs milliseconds.
 */
export const PRICING_BODY_LIMIT_BYTES = 8192;

/** The body limit of GetTokenPricing under a server-wide `bodyLimit` (HTTP_BODY_LIMIT_BYTES may be lower). */
export function pricingBodyLimit(serverLimit: number): number {
  return Math.min(serverLimit, PRICING_BODY_LIMIT_BYTES);
}

export function registerGetTokenPricing(app: FastifyInstance, endpoint: PricingEndpoint, bodyLimit: number) {
  // docs/billing.md promises 415 for any type but form-urlencoded or JSON. Fastify parses text/plain by
  // default, which made such a body a request without a token (401, counted as a wrong guess): in this
  // route's own scope that parser is removed, so text/plain gets Fastify's 415 as any other type does.
  void app.register(async (scope) => {
    scope.removeContentTypeParser("text/plain");
    registerPricingRoute(scope, endpoint, bodyLimit);
  });
}

function registerPricingRoute(app: FastifyInstance, endpoint: PricingEndpoint, bodyLimit: number) {
  // Public as far as admin keys go: SolusIO authenticates with the pricing token checked below.
  // A JSON answer for SolusIO's server: the API header set (protection.ts), not helmet's document headers.
  app.post(
    endpoint.path,
    // A POST that only reads (the index in memory): answered by an instance older than its database too.
    { config: { access: "public", securityHeaders: "api", writes: false }, bodyLimit },
    async (request, reply) => {
      reply.headers(API_SECURITY_HEADERS);
      try {
        const body = request.body;
        const fields: Record<string, unknown> =
          typeof body === "object" && body !== null && !Array.isArray(body)
            ? (body as Record<string, unknown>)
            : {};
        const json = await endpoint.answer(fields, request.headers.authorization, () => request.ip);
        reply.status(200).type("application/json; charset=utf-8").send(json);
      } catch (error) {
        sendError(reply, request, error);
      }
      // A string body is written by send() itself, so the time now is the time to the answer.
      endpoint.observe(reply.statusCode, reply.elapsedTime);
      return reply;
    },
  );
}

// The fast path. SolusIO asks for prices on every page that shows one, and Fastify's routing, hooks and
// body parsing cost more than the answer itself (an in-memory lookup). So the one request SolusIO sends —
// POST to exactly PRICING_PATH, form-urlencoded, with a Content-Length within the body limit — is answered
// here, in front of Fastify (serverFactory), with the same checks (PricingEndpoint), headers and error
// envelope. Anything else (other spellings, JSON, chunked bodies, other methods) goes to Fastify, whose route
// above answers it the same way. The node:http server's limits (timeouts, connections) apply to both.

const JSON_TYPE = "application/json; charset=utf-8";
const FORM_TYPE = "application/x-www-form-urlencoded";
/** The answer's headers but its length, as writeHead takes them: [name, value, name, value, …]. */
const HEADERS: readonly string[] = Object.entries({
  ...API_SECURITY_HEADERS,
  "content-type": JSON_TYPE,
}).flat();

function isForm(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  // SolusIO's spelling, compared first: lower-casing every request's header cost more than the comparison.
  if (contentType === FORM_TYPE) return true;
  const type = contentType.length === FORM_TYPE.length ? contentType : contentType.split(";")[0]!.trim();
  return type.toLowerCase() === FORM_TYPE;
}

function send(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  const headers = [...HEADERS, "content-length", String(Buffer.byteLength(body))];
  for (const [name, value] of Object.entries(extra)) headers.push(name, value);
  res.writeHead(status, headers).end(body);
}

/** A 200's complete header list by body length: answers have few distinct lengths, so none is built per request. */
const okHeaders: (readonly string[] | undefined)[] = [];
const MAX_REMEMBERED_LENGTH = 64 * 1024;

function sendOk(res: ServerResponse, body: string): void {
  // An answer is ASCII (the index keeps it so: asciiJson), so its length is its length in bytes.
  const length = body.length;
  let headers = okHeaders[length];
  if (headers === undefined) {
    headers = [...HEADERS, "content-length", String(length)];
    if (length < MAX_REMEMBERED_LENGTH) okHeaders[length] = headers;
  }
  // Written as latin1, which for ASCII is the same bytes: Node then copies the header block and the body
  // byte for byte, where as UTF-8 it encoded them character by character (about 3,000 instructions of
  // a request's 95,000, counted with callgrind).
  res.writeHead(200, headers as string[]).end(body, "latin1");
}

/** The error envelope, as src/http/errors.ts answers the errors this endpoint can raise. */
function sendFailure(res: ServerResponse, error: unknown, requestId: string, logger: Logger): void {
  if (error instanceof ProtocolError) {
    send(
      res,
      statusOf(error.code),
      JSON.stringify(errorBody(error.code, error.message, requestId)),
      error.headers,
    );
    return;
  }
  const known = asServiceError(error);
  if (known && known.code !== "INTERNAL") {
    if (known.code === "UPSTREAM_UNAVAILABLE") logUpstreamFailure(logger, error, requestId);
    const body = errorBody(known.code, known.message, requestId, known.issues);
    send(res, statusOf(known.code), JSON.stringify(body), headersOfCode(known.code));
    return;
  }
  logger.error({ err: error, requestId }, "unhandled error");
  const message = "internal error; the request id identifies it in the logs";
  send(res, 500, JSON.stringify(errorBody("INTERNAL", message, requestId)));
}

interface FastPathOptions {
  bodyLimit: number;
  /** TRUST_PROXY's trust (client-address.ts): the address is request.ip's, as Fastify has it. */
  trustProxy: ProxyTrust | false;
  requestId: (req: IncomingMessage) => string;
  logger: Logger;
}

function answerRequest(
  endpoint: PricingEndpoint,
  opts: FastPathOptions,
  req: IncomingMessage,
  res: ServerResponse,
  chunks: Buffer[],
  started: number,
): void {
  const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString("utf8");
  let answer: string | Promise<string>;
  try {
    if (hasTooManyFields(text)) throw new ProtocolError("PAYLOAD_TOO_LARGE", TOO_MANY_FIELDS);
    // The address as a thunk, inline and unnamed (a named closure per request costs a defineProperty under tsx).
    answer = endpoint.answer(parsePricingFields(text), req.headers.authorization, () =>
      clientAddress(req, opts.trustProxy),
    );
  } catch (error) {
    sendFailure(res, error, opts.requestId(req), opts.logger);
    endpoint.observe(res.statusCode, performance.now() - started);
    return;
  }
  // The common case: the index had the answer, so it is written in this same tick, with no promise.
  if (typeof answer === "string") {
    sendOk(res, answer);
    endpoint.observe(res.statusCode, performance.now() - started);
    return;
  }
  answer
    .then(
      (json) => sendOk(res, json),
      (error: unknown) => sendFailure(res, error, opts.requestId(req), opts.logger),
    )
    .then(() => endpoint.observe(res.statusCode, performance.now() - started));
}

/**
 * A request handler to call before Fastify's: true when it took the request (and answers it), false when
 * Fastify must. `requestId` is Fastify's genReqId, called only for an error answer (a 200 carries none).
 */
export function pricingFastPath(
  endpoint: PricingEndpoint,
  opts: FastPathOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== "POST" || req.url !== endpoint.path) return false;
    const headers = req.headers;
    if (!isForm(headers["content-type"]) || headers["transfer-encoding"] !== undefined) return false;
    const length = Number(headers["content-length"]);
    if (!(length >= 0 && length <= opts.bodyLimit)) return false;
    const started = performance.now();
    const chunks: Buffer[] = [];
    // No "error" listener: a client that goes away mid-body leaves nothing to answer, and Node emits an
    // IncomingMessage's error only to listeners (_http_incoming.js, onError), so none goes unhandled.
    // Inline and unnamed: a named closure per request costs a defineProperty under tsx (keepNames).
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => answerRequest(endpoint, opts, req, res, chunks, started));
    return true;
  };
}
