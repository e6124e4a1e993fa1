import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { stripeMinimumOf } from "../stripe-amounts.ts";

// A local fake of the Stripe API at the network edge, for tests: the real SDK talks to it over HTTP (SDK
// options host/port/protocol, which STRIPE_API_URL sets). It answers the endpoints tokenbill calls, reads
// the form-encoded bodies the SDK sends (`line_items[0][price_data][currency]=usd`), checks the secret key,
// and answers JSON shaped like Stripe's objects and errors. What a customer does on Stripe's page (paying)
// and what Stripe does later (settling a refund) are methods that return the event Stripe would send, which
// the test signs with the SDK (signedWebhook) and posts to tokenbill.

type Form = { [key: string]: string | Form };

export interface FakeSession {
  id: string;
  object: "checkout.session";
  mode: string;
  status: "open" | "complete";
  payment_status: "unpaid" | "paid";
  amount_total: number;
  currency: string;
  client_reference_id: string | null;
  customer_email: string | null;
  metadata: Record<string, string>;
  payment_intent: string | null;
  success_url: string | null;
  cancel_url: string | null;
  url: string;
  livemode: false;
  created: number;
}

export interface FakeRefund {
  id: string;
  object: "refund";
  amount: number;
  currency: string;
  payment_intent: string;
  status: "pending" | "succeeded" | "failed" | "canceled";
  reason: string | null;
  metadata: Record<string, string>;
  created: number;
}

export interface FakeStripeEvent {
  id: string;
  object: "event";
  type: string;
  created: number;
  api_version: string;
  livemode: false;
  pending_webhooks: number;
  request: { id: null; idempotency_key: null };
  data: { object: unknown };
}

export interface FakeStripe {
  /** http://127.0.0.1:<port>: STRIPE_API_URL. */
  url: string;
  sessions: Map<string, FakeSession>;
  refunds: Map<string, FakeRefund>;
  /** Every request as the SDK sent it, oldest first, with its Idempotency-Key header. */
  requests: { method: string; path: string; form: Form; idempotencyKey: string | undefined }[];
  /** The status a new refund has in Stripe's answer (cards: often succeeded at once; here pending by default). */
  refundStatusOnCreate: FakeRefund["status"];
  /**
   * While set, every refund request is answered with this 5xx, an `api_error` as Stripe's own trouble is, and
   * `Stripe-Should-Retry: false`, so the SDK gives up at once instead of retrying with its backoff.
   */
  refundsFailWith: number | null;
  /**
   * While set, a refund request is carried out (or replayed by its Idempotency-Key, as Stripe does) and its
   * connection then dropped without an answer: the SDK retries, and gives up with a connection error.
   */
  refundAnswersLost: boolean;
  /**
   * While set, every refund request is answered 409 `idempotency_key_in_use`, as Stripe answers while another
   * request with the same Idempotency-Key is still running: nothing is done. The SDK retries a 409 itself.
   */
  refundKeyInFlight: boolean;
  /**
   * While set, every refund request is answered with this status and nothing is done or kept under its
   * Idempotency-Key, as Stripe answers a rate-limited request (429 `rate_limit`) or a secret key it refuses
   * (401) or that lacks the permission (403). A 429 is not retried by the SDK.
   */
  refundsRefusedWith: 401 | 403 | 429 | null;
  /** The Retry-After header (seconds) sent with a 429 of refundsRefusedWith; none while null. */
  refundRetryAfter: string | null;
  /**
   * While set, every look-up of refunds (GET /v1/refunds, GET /v1/refunds/{id}) is answered with this status,
   * as refundsRefusedWith answers a refund request; a 429 carries refundRetryAfter when that is set.
   */
  lookupsRefusedWith: 401 | 403 | 429 | null;
  /**
   * While set, tokenbill's secret key is refused on every request (401), as Stripe refuses a key revoked in
   * the Dashboard: refunds and the look-ups a release makes alike, not only refund requests.
   */
  keyRevoked: boolean;
  /**
   * While set, every request (refunds and look-ups alike) is answered with this 5xx, an `api_error` with
   * `Stripe-Should-Retry: false`: Stripe unreachable for a while, nothing done.
   */
  allRequestsFailWith: number | null;
  /**
   * Run once, before the next look-up of refunds (GET /v1/refunds…) is answered, then cleared: what it does (a
   * webhook delivered) happens while tokenbill waits on Stripe's answer, as a webhook may at any moment.
   */
  beforeNextLookup: (() => Promise<void>) | null;
  /**
   * The most refunds a page of GET /v1/refunds holds, whatever `limit` asks (Stripe's own cap is 100; 10 when
   * no limit is asked): a test sets it low so that a list runs over several pages (`starting_after`).
   */
  refundsPerPage: number;
  /**
   * Run once, after the next refund request is carried out and before it is answered, then cleared: what it
   * does (a webhook delivered) happens between Stripe making the refund and tokenbill hearing of it.
   */
  beforeNextRefundAnswer: ((made: FakeRefund) => Promise<void>) | null;
  /** The customer pays the session on Stripe's page: its checkout.session.completed event. */
  completeSession(sessionId: string): FakeStripeEvent;
  /** Stripe settles a refund: a refund.updated event. */
  settleRefund(refundId: string, status: "succeeded" | "failed"): FakeStripeEvent;
  event(type: string, object: unknown): FakeStripeEvent;
  /**
   * A refund Stripe holds that tokenbill was never told of (made in the Dashboard, or its answer lost with the
   * process that asked): in USD, made now, with no reason or metadata unless the test says otherwise.
   */
  addRefund(
    refund: Pick<FakeRefund, "id" | "amount" | "payment_intent" | "status"> & Partial<FakeRefund>,
  ): FakeRefund;
  close(): Promise<void>;
}

const hex = (bytes: number) => randomBytes(bytes).toString("hex");
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** `a[b][0]=v` pairs into nested objects (array indexes stay object keys: "0", "1", …). */
export function parseStripeForm(body: string): Form {
  const root: Form = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = [key.split("[")[0]!, ...[...key.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]!)];
    let node = root;
    path.forEach((part, i) => {
      if (i === path.length - 1) node[part] = value;
      else {
        const next = node[part];
        const child: Form = typeof next === "object" ? next : {};
        node[part] = child;
        node = child;
      }
    });
  }
  return root;
}

const text = (form: Form | string | undefined): string | undefined =>
  typeof form === "string" ? form : undefined;
const record = (form: Form | string | undefined): Record<string, string> =>
  typeof form === "object"
    ? Object.fromEntries(Object.entries(form).filter((e): e is [string, string] => typeof e[1] === "string"))
    : {};

class StripeFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param?: string,
    readonly type = "invalid_request_error",
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Stripe's answer to a request it did not carry out: rate-limited, or the secret key refused or too weak. */
function requestRefusal(status: 401 | 403 | 429, key: string | undefined): StripeFailure {
  if (status === 429)
    return new StripeFailure(
      429,
      `Request rate limit exceeded${key === undefined ? "" : ` (idempotency key ${key})`}: retry later.`,
      undefined,
      "invalid_request_error",
      "rate_limit",
    );
  if (status === 401) return new StripeFailure(401, "Invalid API Key provided: sk_****");
  return new StripeFailure(403, "The provided key does not have the required permissions for this endpoint.");
}

/** How long Stripe keeps an idempotency key and its answer: "at least 24 hours" (docs.stripe.com/api/idempotent_requests). */
export const IDEMPOTENCY_KEY_KEPT_MS = 24 * 3_600_000;

/**
 * `now` is Stripe's clock (the test's clock, so that a test moves both): a key first used more than
 * IDEMPOTENCY_KEY_KEPT_MS before it is forgotten, and a request with it runs as a new one, as at Stripe.
 */
export async function startFakeStripe(options: { secretKey: string; now?: () => Date }): Promise<FakeStripe> {
  const now = options.now ?? (() => new Date());
  const sessions = new Map<string, FakeSession>();
  const refunds = new Map<string, FakeRefund>();
  const requests: FakeStripe["requests"] = [];
  // Each key's first request and its answer: a key sent again with other parameters is refused, as Stripe
  // refuses it (idempotency_error), since the first request ran.
  const answered = new Map<string, { form: string; result: unknown; at: number }>();
  const answeredUnder = (key: string) => {
    const first = answered.get(key);
    if (first && now().getTime() - first.at > IDEMPOTENCY_KEY_KEPT_MS) answered.delete(key);
    return answered.get(key);
  };

  const event = (type: string, object: unknown): FakeStripeEvent => ({
    id: `evt_${hex(12)}`,
    object: "event",
    type,
    created: nowSeconds(),
    api_version: "2026-10-28.endive",
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object: structuredClone(object) },
  });

  const createSession = (form: Form): FakeSession => {
    if (text(form["mode"]) !== "payment") throw new StripeFailure(400, "Only mode=payment is faked", "mode");
    const items = typeof form["line_items"] === "object" ? Object.values(form["line_items"]) : [];
    if (items.length === 0) throw new StripeFailure(400, "Missing required param: line_items.", "line_items");
    let total = 0;
    let currency = "";
    for (const item of items) {
      if (typeof item !== "object" || typeof item["price_data"] !== "object")
        throw new StripeFailure(400, "line_items[].price_data is required here", "line_items");
      const unit = Number(text(item["price_data"]["unit_amount"]));
      const quantity = Number(text(item["quantity"]) ?? "1");
      if (!Number.isSafeInteger(unit) || unit < 0)
        throw new StripeFailure(
          400,
          "Invalid integer: unit_amount",
          "line_items[0][price_data][unit_amount]",
        );
      total += unit * quantity;
      currency = text(item["price_data"]["currency"]) ?? "";
    }
    if (!/^[a-z]{3}$/.test(currency)) throw new StripeFailure(400, "Invalid currency", "currency");
    // Stripe's minimum charge (docs.stripe.com/currencies, "Minimum and maximum charge amounts"): a session
    // below it is refused with amount_too_small, as Stripe does.
    const minimum = stripeMinimumOf(currency);
    if (minimum !== null && BigInt(total) < minimum)
      throw new StripeFailure(
        400,
        `The Checkout Session's total amount due must add up to at least ${minimum} (smallest units) ${currency}`,
        undefined,
        "invalid_request_error",
        "amount_too_small",
      );
    const id = `cs_test_${hex(16)}`;
    const session: FakeSession = {
      id,
      object: "checkout.session",
      mode: "payment",
      status: "open",
      payment_status: "unpaid",
      amount_total: total,
      currency,
      client_reference_id: text(form["client_reference_id"]) ?? null,
      customer_email: text(form["customer_email"]) ?? null,
      metadata: record(form["metadata"]),
      payment_intent: null,
      success_url: text(form["success_url"]) ?? null,
      cancel_url: text(form["cancel_url"]) ?? null,
      url: `https://checkout.stripe.com/c/pay/${id}`,
      livemode: false,
      created: nowSeconds(),
    };
    sessions.set(id, session);
    return session;
  };

  const createRefund = (form: Form): FakeRefund => {
    const intent = text(form["payment_intent"]);
    const session = [...sessions.values()].find((s) => intent && s.payment_intent === intent);
    if (!session) throw new StripeFailure(404, `No such payment_intent: '${intent}'`, "payment_intent");
    const refunded = [...refunds.values()]
      .filter((r) => r.payment_intent === intent && r.status !== "failed" && r.status !== "canceled")
      .reduce((sum, r) => sum + r.amount, 0);
    const amount = Number(text(form["amount"]) ?? session.amount_total - refunded);
    if (!Number.isSafeInteger(amount) || amount <= 0)
      throw new StripeFailure(400, "Invalid positive integer", "amount");
    if (refunded + amount > session.amount_total)
      throw new StripeFailure(
        400,
        `Refund amount (${amount}) is greater than unrefunded amount on charge (${session.amount_total - refunded})`,
        "amount",
      );
    const refund: FakeRefund = {
      id: `re_${hex(12)}`,
      object: "refund",
      amount,
      currency: session.currency,
      payment_intent: session.payment_intent!,
      status: fake.refundStatusOnCreate,
      reason: null,
      metadata: record(form["metadata"]),
      created: nowSeconds(),
    };
    refunds.set(refund.id, refund);
    return refund;
  };

  const route = (method: string, path: string, form: Form): unknown => {
    if (method === "POST" && path === "/v1/checkout/sessions") return createSession(form);
    const session = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path);
    if (method === "GET" && session) {
      const found = sessions.get(decodeURIComponent(session[1]!));
      if (!found) throw new StripeFailure(404, `No such checkout.session: '${session[1]}'`, "id");
      return found;
    }
    if (method === "POST" && path === "/v1/refunds") {
      if (fake.refundsFailWith !== null)
        throw new StripeFailure(fake.refundsFailWith, "An unknown error occurred", undefined, "api_error");
      return createRefund(form);
    }
    if (method === "GET" && path === "/v1/refunds") {
      // A payment's refunds (or all), newest first, a page at a time as Stripe lists them: `limit` (default
      // 10, at most 100 and refundsPerPage), after the refund `starting_after` names.
      const intent = text(form["payment_intent"]);
      const all = [...refunds.values()]
        .filter((r) => intent === undefined || r.payment_intent === intent)
        .reverse();
      const after = text(form["starting_after"]);
      const from = after === undefined ? 0 : all.findIndex((r) => r.id === after) + 1;
      if (after !== undefined && from === 0)
        throw new StripeFailure(400, `No such refund: '${after}'`, "starting_after");
      const limit = Math.min(Number(text(form["limit"]) ?? "10"), 100, fake.refundsPerPage);
      if (!Number.isSafeInteger(limit) || limit < 1)
        throw new StripeFailure(400, "Invalid integer: limit", "limit");
      const data = all.slice(from, from + limit);
      return { object: "list", data, has_more: from + limit < all.length, url: "/v1/refunds" };
    }
    const refund = /^\/v1\/refunds\/([^/]+)$/.exec(path);
    if (method === "GET" && refund) {
      const found = refunds.get(decodeURIComponent(refund[1]!));
      if (!found) throw new StripeFailure(404, `No such refund: '${refund[1]}'`, "id");
      return found;
    }
    throw new StripeFailure(404, `Unrecognized request URL (${method}: ${path}).`);
  };

  const answer = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, {
      "content-type": "application/json",
      "request-id": `req_${hex(7)}`,
      ...(status >= 500 ? { "stripe-should-retry": "false" } : {}),
      ...headers,
    });
    res.end(JSON.stringify(body));
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const form = parseStripeForm(req.method === "GET" ? url.search.slice(1) : raw);
    const idempotencyKey = req.headers["idempotency-key"];
    const key = typeof idempotencyKey === "string" ? idempotencyKey : undefined;
    requests.push({ method: req.method ?? "", path: url.pathname, form, idempotencyKey: key });
    if (fake.keyRevoked || req.headers.authorization !== `Bearer ${options.secretKey}`) {
      answer(res, 401, {
        error: { type: "invalid_request_error", message: "Invalid API Key provided: sk_****" },
      });
      return;
    }
    if (fake.allRequestsFailWith !== null) {
      failWith(
        res,
        new StripeFailure(fake.allRequestsFailWith, "An unknown error occurred", undefined, "api_error"),
      );
      return;
    }
    const refundPost = req.method === "POST" && url.pathname === "/v1/refunds";
    if (fake.refundKeyInFlight && refundPost) {
      failWith(
        res,
        new StripeFailure(
          409,
          `Another request with idempotency key ${key} is still being processed; try again later.`,
          undefined,
          "invalid_request_error",
          "idempotency_key_in_use",
        ),
      );
      return;
    }
    if (fake.refundsRefusedWith !== null && refundPost) {
      failWith(res, requestRefusal(fake.refundsRefusedWith, key), {
        ...(fake.refundsRefusedWith === 429 && fake.refundRetryAfter !== null
          ? { "retry-after": fake.refundRetryAfter }
          : {}),
      });
      return;
    }
    const lookup = req.method === "GET" && url.pathname.startsWith("/v1/refunds");
    if (fake.lookupsRefusedWith !== null && lookup) {
      failWith(res, requestRefusal(fake.lookupsRefusedWith, key), {
        ...(fake.lookupsRefusedWith === 429 && fake.refundRetryAfter !== null
          ? { "retry-after": fake.refundRetryAfter }
          : {}),
      });
      return;
    }
    // Stripe answers a POST repeated with the same key as it answered the first (its idempotent requests).
    const replayed = key === undefined || req.method !== "POST" ? undefined : answeredUnder(key);
    if (replayed && replayed.form !== JSON.stringify(form)) {
      failWith(
        res,
        new StripeFailure(
          400,
          `Idempotency key ${key} was used before with other parameters.`,
          undefined,
          "idempotency_error",
        ),
      );
      return;
    }
    const loseAnswer = fake.refundAnswersLost && refundPost;
    if (replayed && loseAnswer) {
      res.destroy();
      return;
    }
    if (replayed) {
      answer(res, 200, replayed.result);
      return;
    }
    try {
      const result = route(req.method ?? "", url.pathname, form);
      if (key !== undefined && req.method === "POST")
        answered.set(key, { form: JSON.stringify(form), result, at: now().getTime() });
      const before = refundPost ? fake.beforeNextRefundAnswer : null;
      if (before === null) {
        if (loseAnswer) res.destroy();
        else answer(res, 200, result);
        return;
      }
      fake.beforeNextRefundAnswer = null;
      before(result as FakeRefund).then(
        () => (loseAnswer ? res.destroy() : answer(res, 200, result)),
        (error: unknown) =>
          failWith(
            res,
            new StripeFailure(500, `beforeNextRefundAnswer failed: ${error}`, undefined, "api_error"),
          ),
      );
    } catch (error) {
      if (!(error instanceof StripeFailure)) throw error;
      failWith(res, error);
    }
  };

  const failWith = (res: ServerResponse, error: StripeFailure, headers: Record<string, string> = {}) =>
    answer(
      res,
      error.status,
      {
        error: {
          type: error.type,
          message: error.message,
          param: error.param,
          ...(error.code ? { code: error.code } : {}),
        },
      },
      headers,
    );

  const server = createServer((req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      raw += chunk;
    });
    req.on("end", () => {
      const before = fake.beforeNextLookup;
      if (req.method !== "GET" || !req.url?.startsWith("/v1/refunds") || before === null)
        return handle(req, res, raw);
      fake.beforeNextLookup = null;
      before().then(
        () => handle(req, res, raw),
        (error: unknown) =>
          failWith(res, new StripeFailure(500, `beforeNextLookup failed: ${error}`, undefined, "api_error")),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const fake: FakeStripe = {
    url: `http://127.0.0.1:${port}`,
    sessions,
    refunds,
    requests,
    refundStatusOnCreate: "pending",
    refundsFailWith: null,
    refundAnswersLost: false,
    refundKeyInFlight: false,
    refundsRefusedWith: null,
    refundRetryAfter: null,
    lookupsRefusedWith: null,
    keyRevoked: false,
    allRequestsFailWith: null,
    beforeNextLookup: null,
    refundsPerPage: 100,
    beforeNextRefundAnswer: null,
    event,
    completeSession(sessionId) {
      const session = sessions.get(sessionId);
      if (!session) throw new Error(`no session ${sessionId}`);
      session.status = "complete";
      session.payment_status = "paid";
      session.payment_intent ??= `pi_${hex(12)}`;
      return event("checkout.session.completed", session);
    },
    addRefund(given) {
      const refund: FakeRefund = {
        object: "refund",
        currency: "usd",
        reason: null,
        metadata: {},
        created: nowSeconds(),
        ...given,
      };
      refunds.set(refund.id, refund);
      return refund;
    },
    settleRefund(refundId, status) {
      const refund = refunds.get(refundId);
      if (!refund) throw new Error(`no refund ${refundId}`);
      refund.status = status;
      return event("refund.updated", refund);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
  return fake;
}

/** A webhook delivery signed the way Stripe signs it (the SDK's own test helper): body and headers. */
export function signedWebhook(
  event: unknown,
  secret: string,
  timestamp?: number,
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(event, null, 2);
  const header = new Stripe("sk_test_signing_only").webhooks.generateTestHeaderString({
    payload: body,
    secret,
    ...(timestamp === undefined ? {} : { timestamp }),
  });
  return { body, headers: { "content-type": "application/json; charset=utf-8", "stripe-signature": header } };
}
