import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceError, UpstreamError } from "../../kernel/errors.ts";
import { StripeProvider } from "./stripe-provider.ts";
import { type FakeStripe, parseStripeForm, signedWebhook, startFakeStripe } from "./testing/fake-stripe.ts";

// The Stripe adapter through the real SDK, against the fake API at the network edge.

const KEY = "sk_test_unit_0123456789";
const WHSEC = "whsec_unit_0123456789";

let fake: FakeStripe;
let provider: StripeProvider;

beforeAll(async () => {
  fake = await startFakeStripe({ secretKey: KEY });
  provider = new StripeProvider({
    secretKey: KEY,
    webhookSecret: WHSEC,
    apiUrl: fake.url,
    successUrl: "https://billing.example/paid",
  });
});
afterAll(() => fake.close());

const USD = { code: "USD", exponent: 2 };

const invoice = {
  id: "inv_0a1b",
  number: "INV-2026-000007",
  customerId: 42n,
  customerEmail: "ada@example.com",
};

function delivered(event: unknown, secret = WHSEC) {
  const { body, headers } = signedWebhook(event, secret);
  return provider.parseWebhook(Buffer.from(body), headers);
}

describe("StripeProvider", () => {
  it("creates a Checkout Session for the amount in the invoice's currency, naming the invoice", async () => {
    const session = await provider.createCheckout({ invoice, amount: 1020n, currency: "USD", exponent: 2 });
    expect(session.url).toBe(`https://checkout.stripe.com/c/pay/${session.id}`);
    const stored = fake.sessions.get(session.id)!;
    expect(stored).toMatchObject({
      mode: "payment",
      amount_total: 1020,
      currency: "usd",
      client_reference_id: "inv_0a1b",
      customer_email: "ada@example.com",
      metadata: { invoice_id: "inv_0a1b", customer_id: "42" },
      success_url: "https://billing.example/paid",
    });
    const sent = fake.requests.at(-1)!.form;
    expect(sent["line_items"]).toEqual({
      "0": {
        quantity: "1",
        price_data: {
          currency: "usd",
          unit_amount: "1020",
          product_data: { name: "Invoice INV-2026-000007" },
        },
      },
    });
  });

  it("refuses an amount Stripe cannot take before calling it", async () => {
    const before = fake.requests.length;
    await expect(
      provider.createCheckout({ invoice, amount: 0n, currency: "USD", exponent: 2 }),
    ).rejects.toThrow(ServiceError);
    await expect(
      provider.createCheckout({ invoice, amount: 2n ** 53n, currency: "USD", exponent: 2 }),
    ).rejects.toMatchObject({ code: "VALIDATION" });
    expect(fake.requests.length).toBe(before);
  });

  it("does not ask Stripe for a session below its minimum charge, and says what it would charge above it", async () => {
    expect(provider.checkoutQuote(49n, USD)).toEqual({ charge: 49n, minimum: 50n, belowMinimum: true });
    expect(provider.checkoutQuote(50n, USD)).toEqual({ charge: 50n, minimum: 50n, belowMinimum: false });
    expect(provider.checkoutQuote(1581n, { code: "KWD", exponent: 3 })).toEqual({
      charge: 1590n,
      minimum: null,
      belowMinimum: false,
    });
    const before = fake.requests.length;
    await expect(
      provider.createCheckout({ invoice, amount: 49n, currency: "USD", exponent: 2 }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    expect(fake.requests.length).toBe(before);
  });

  it("has the fake refuse a session below Stripe's minimum as Stripe does (amount_too_small)", async () => {
    const sdk = new Stripe(KEY, {
      host: new URL(fake.url).hostname,
      port: Number(new URL(fake.url).port),
      protocol: "http",
    });
    const create = (currency: string, unit_amount: number) =>
      sdk.checkout.sessions.create({
        mode: "payment",
        line_items: [{ quantity: 1, price_data: { currency, unit_amount, product_data: { name: "x" } } }],
      });
    await expect(create("usd", 49)).rejects.toMatchObject({
      type: "StripeInvalidRequestError",
      code: "amount_too_small",
      statusCode: 400,
    });
    await expect(create("gbp", 29)).rejects.toMatchObject({ code: "amount_too_small" });
    expect((await create("usd", 50)).amount_total).toBe(50);
    expect((await create("gbp", 30)).amount_total).toBe(30);
  });

  it("reports a wrong secret key as Stripe being unavailable, not retryable", async () => {
    const wrong = new StripeProvider({ secretKey: "sk_test_wrong", webhookSecret: WHSEC, apiUrl: fake.url });
    const error = await wrong
      .createCheckout({ invoice, amount: 100n, currency: "USD", exponent: 2 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ upstream: "Stripe", status: 401, retryable: false });
  });

  it("verifies a signed webhook with the SDK and turns a paid session into a payment", async () => {
    const session = await provider.createCheckout({ invoice, amount: 620n, currency: "USD", exponent: 2 });
    const event = fake.completeSession(session.id);
    const verified = delivered(event);
    expect(verified).toMatchObject({ id: event.id, type: "checkout.session.completed" });
    expect(provider.interpret(verified)).toEqual([
      {
        kind: "payment_succeeded",
        paymentRef: fake.sessions.get(session.id)!.payment_intent,
        checkoutId: session.id,
        invoiceId: "inv_0a1b",
        amount: 620n,
        currency: "USD",
        paidAt: new Date(event.created * 1000),
      },
    ]);
  });

  it("ignores a completed session that is not paid yet (a delayed payment method)", async () => {
    const session = await provider.createCheckout({ invoice, amount: 620n, currency: "USD", exponent: 2 });
    const event = fake.event("checkout.session.completed", fake.sessions.get(session.id));
    expect(provider.interpret(delivered(event))).toEqual([]);
  });

  it("refuses a wrong signature, another secret, an old timestamp and a missing header", async () => {
    const event = fake.event("checkout.session.completed", {});
    const good = signedWebhook(event, WHSEC);
    const tampered = good.body.replace('"pending_webhooks": 1', '"pending_webhooks": 2');
    expect(() => provider.parseWebhook(Buffer.from(tampered), good.headers)).toThrow(/signature/i);
    expect(() => delivered(event, "whsec_other")).toThrow(ServiceError);
    const old = signedWebhook(event, WHSEC, Math.floor(Date.now() / 1000) - 3600);
    expect(() => provider.parseWebhook(Buffer.from(old.body), old.headers)).toThrow(/tolerance/i);
    expect(() => provider.parseWebhook(Buffer.from(good.body), {})).toThrow(
      /Stripe-Signature header is missing/,
    );
  });

  it("refunds a payment intent, marking the refund as tokenbill's, and reads Stripe's later answer", async () => {
    const session = await provider.createCheckout({ invoice, amount: 1020n, currency: "USD", exponent: 2 });
    fake.completeSession(session.id);
    const intent = fake.sessions.get(session.id)!.payment_intent!;
    const request = {
      paymentRef: intent,
      amount: 500n,
      currency: USD,
      reason: "goodwill",
      paymentId: "pay_1",
      refundId: "ref_0a",
    };
    const refund = await provider.refund(request);
    expect(refund.status).toBe("pending");
    expect(fake.refunds.get(refund.id)).toMatchObject({
      amount: 500,
      payment_intent: intent,
      metadata: { tokenbill_payment_id: "pay_1", tokenbill_refund_id: "ref_0a", reason: "goodwill" },
    });
    expect(fake.requests.at(-1)).toMatchObject({ path: "/v1/refunds", idempotencyKey: "tokenbill-ref_0a" });
    // The same reservation asked again (a retry after a lost answer) is the same refund in Stripe, not a second.
    expect((await provider.refund(request)).id).toBe(refund.id);
    expect(fake.refunds.size).toBe(1);
    await expect(
      provider.refund({
        paymentRef: intent,
        amount: 521n,
        currency: USD,
        reason: undefined,
        paymentId: "pay_1",
        refundId: "ref_0b",
      }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("greater than unrefunded"),
    });

    const facts = provider.interpret(delivered(fake.settleRefund(refund.id, "succeeded")));
    expect(facts).toEqual([
      {
        kind: "refund_changed",
        refundRef: refund.id,
        paymentRef: intent,
        amount: 500n,
        status: "succeeded",
        reason: "goodwill",
        tokenbillRefundId: "ref_0a",
      },
    ]);
    const failed = provider.interpret(
      delivered(fake.event("refund.failed", { ...fake.refunds.get(refund.id), status: "canceled" })),
    );
    expect(failed[0]).toMatchObject({ status: "failed" });
  });

  it("reads Stripe's 409 for a key still in flight and its idempotency_error as no word on the refund, not a refusal", async () => {
    const session = await provider.createCheckout({ invoice, amount: 800n, currency: "USD", exponent: 2 });
    fake.completeSession(session.id);
    const request = {
      paymentRef: fake.sessions.get(session.id)!.payment_intent!,
      amount: 300n,
      currency: USD,
      reason: undefined,
      paymentId: "pay_2",
      refundId: "ref_1a",
    };
    const sent = fake.requests.length;
    const refunds = fake.refunds.size;
    fake.refundKeyInFlight = true;
    const inFlight = await provider.refund(request).catch((e) => e);
    fake.refundKeyInFlight = false;
    // Another request with the key is still running: it may make the refund. The SDK retried it twice.
    expect(inFlight).not.toBeInstanceOf(ServiceError);
    expect(inFlight).toMatchObject({
      name: "ProviderOutcomeUnknownError",
      upstream: "Stripe",
      status: 409,
      retryable: true,
    });
    expect(fake.requests.length - sent).toBe(3);
    expect(fake.refunds.size).toBe(refunds);

    const made = await provider.refund(request);
    // The key again with another amount: Stripe ran the first request under it, so a refund exists.
    const reused = await provider.refund({ ...request, amount: 200n }).catch((e) => e);
    expect(reused).not.toBeInstanceOf(ServiceError);
    expect(reused).toMatchObject({ name: "ProviderOutcomeUnknownError", status: 400 });
    expect([...fake.refunds.values()].filter((r) => r.metadata["tokenbill_refund_id"] === "ref_1a")).toEqual([
      expect.objectContaining({ id: made.id, amount: 300 }),
    ]);
  });

  it("reads a rate limit (with its Retry-After) and a refused or too weak key as a refund not carried out", async () => {
    const request = {
      paymentRef: "pi_never_asked",
      amount: 300n,
      currency: USD,
      reason: undefined,
      paymentId: "pay_3",
      refundId: "ref_2a",
    };
    const sent = fake.requests.length;
    const refunds = fake.refunds.size;
    try {
      fake.refundsRefusedWith = 429;
      fake.refundRetryAfter = "7";
      expect(await provider.refund(request).catch((e) => e)).toMatchObject({
        name: "ProviderNotCarriedOutError",
        why: "rate_limited",
        status: 429,
        retryable: true,
        retryAfterMs: 7000,
      });
      for (const status of [401, 403] as const) {
        fake.refundsRefusedWith = status;
        expect(await provider.refund(request).catch((e) => e)).toMatchObject({
          name: "ProviderNotCarriedOutError",
          why: "key_refused",
          status,
          retryable: false,
          message: expect.stringContaining("STRIPE_SECRET_KEY"),
        });
      }
    } finally {
      fake.refundsRefusedWith = null;
      fake.refundRetryAfter = null;
    }
    // The SDK retries none of them: one request each, and nothing made.
    expect(fake.requests.length - sent).toBe(3);
    expect(fake.refunds.size).toBe(refunds);
  });

  it("finds the reservation's own refund among several naming it: the amount reserved, not failed, oldest first", async () => {
    const pi = "pi_find_several";
    const naming = (id: string, amount: number, status: "succeeded" | "canceled" | "pending") =>
      fake.addRefund({ id, amount, payment_intent: pi, status, metadata: { tokenbill_refund_id: "ref_0f" } });
    const find = (amount: bigint) =>
      provider.findRefund({
        paymentRef: pi,
        refundId: "ref_0f",
        providerRefundId: null,
        reserved: { amount, currency: USD },
      });
    expect(await find(250n)).toBeNull();
    // Oldest first: a canceled one for the amount, the request's own, a second under a forgotten key, and a
    // Dashboard refund of another amount made last (Stripe lists it first: until 2026-12-07 it was the one found).
    naming("re_find_canceled", 250, "canceled");
    naming("re_find_own", 250, "succeeded");
    naming("re_find_again", 250, "pending");
    naming("re_find_by_hand", 200, "succeeded");
    fake.addRefund({ id: "re_find_other", amount: 250, payment_intent: pi, status: "succeeded" });
    expect(await find(250n)).toMatchObject({ refundRef: "re_find_own", amount: 250n, status: "succeeded" });
    // The others naming it come with it, to be recorded as refunds of the payment; the one naming nothing not.
    expect((await find(250n))?.others.map((o) => o.refundRef)).toEqual([
      "re_find_again",
      "re_find_canceled",
      "re_find_by_hand",
    ]);
    // None for the amount reserved: the one that did not fail of those naming it.
    expect(await find(300n)).toMatchObject({ refundRef: "re_find_own" });
    expect(await find(200n)).toMatchObject({ refundRef: "re_find_by_hand", amount: 200n });
  });

  it("reads the refunds a charge.refunded event embeds, and none when it embeds none", () => {
    const refund = { id: "re_1", amount: 300, status: "succeeded", payment_intent: null, metadata: {} };
    const charge = { payment_intent: "pi_9", refunds: { data: [refund] } };
    expect(provider.interpret(delivered(fake.event("charge.refunded", charge)))).toEqual([
      {
        kind: "refund_changed",
        refundRef: "re_1",
        paymentRef: "pi_9",
        amount: 300n,
        status: "succeeded",
        reason: "refunded in Stripe",
      },
    ]);
    expect(provider.interpret(delivered(fake.event("charge.refunded", { payment_intent: "pi_9" })))).toEqual(
      [],
    );
    expect(provider.interpret(delivered(fake.event("customer.created", { id: "cus_1" })))).toEqual([]);
  });
});

describe("parseStripeForm", () => {
  it("nests bracketed keys the way the SDK writes them", () => {
    expect(parseStripeForm("a=1&b[c]=2&d[0][e][f]=x%20y&d[1][e][f]=z")).toEqual({
      a: "1",
      b: { c: "2" },
      d: { "0": { e: { f: "x y" } }, "1": { e: { f: "z" } } },
    });
  });
});
