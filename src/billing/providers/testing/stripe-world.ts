import type { Kysely, Selectable } from "kysely";
import { type Logger, pino } from "pino";
import { createTestDatabase, type TestDatabase } from "../../../../test/helpers/test-database.ts";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../../../test/helpers/test-server.ts";
import { type ConfigInput, parseConfig } from "../../../config.ts";
import type { DatabaseHandle } from "../../../db/open-database.ts";
import type { Database, PaymentTable } from "../../../db/schema.ts";
import { actors } from "../../../kernel/actor.ts";
import type { ServiceContext } from "../../../kernel/context.ts";
import { type FixtureInvoice, issueInvoices } from "../../payments/testing/invoice-fixtures.ts";
import { type FakeStripe, signedWebhook, startFakeStripe } from "./fake-stripe.ts";

// The "fake Stripe world" the card-payment tests share: the fake Stripe API, tokenbill's settings that point
// the real SDK at it, and (startStripeWorld) a fresh database, or one the test already holds, with tokenbill's
// HTTP server over it. A test file starts one in beforeAll and closes it in afterAll; its customers and
// invoices stay the file's own.

/** The secrets tokenbill and the fake share. Each world has its own fake, so one pair serves every file. */
const SECRET_KEY = "sk_test_stripe_world_0123456789";
const WEBHOOK_SECRET = "whsec_stripe_world_0123456789";

/** What tokenbill answered to a webhook or an admin call: its status and its JSON. */
export interface JsonAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: a test reads whatever JSON came back, as TestServer.api does.
  body: any;
}

/** A fake Stripe account: the fake, its secrets, and tokenbill's settings for it. */
export interface FakeStripeAccount {
  fake: FakeStripe;
  secretKey: string;
  webhookSecret: string;
  /** STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and STRIPE_API_URL for tokenbill's configuration. */
  settings: { STRIPE_SECRET_KEY: string; STRIPE_WEBHOOK_SECRET: string; STRIPE_API_URL: string };
  /** Posts `event` to `target`'s /webhooks/stripe, signed as Stripe signs it (with `secret`, else rightly). */
  deliverTo(target: { url: string }, event: unknown, secret?: string): Promise<JsonAnswer>;
  /** How many refunds tokenbill has asked Stripe for so far (POST /v1/refunds, repeated keys included). */
  refundCalls(): number;
  close(): Promise<void>;
}

/** `now` is the fake's clock (by which it forgets idempotency keys after 24 hours); the real one unless given. */
export async function startFakeStripeAccount(now?: () => Date): Promise<FakeStripeAccount> {
  const fake = await startFakeStripe({ secretKey: SECRET_KEY, ...(now ? { now } : {}) });
  return {
    fake,
    secretKey: SECRET_KEY,
    webhookSecret: WEBHOOK_SECRET,
    settings: {
      STRIPE_SECRET_KEY: SECRET_KEY,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_API_URL: fake.url,
    },
    deliverTo: async (target, event, secret = WEBHOOK_SECRET) => {
      const { body, headers } = signedWebhook(event, secret);
      const response = await fetch(`${target.url}/webhooks/stripe`, { method: "POST", headers, body });
      return { status: response.status, body: await response.json() };
    },
    refundCalls: () => fake.requests.filter((r) => r.method === "POST" && r.path === "/v1/refunds").length,
    close: () => fake.close(),
  };
}

/** An admin API answer with the headers the Idempotency-Key tests read, and its raw text. */
export interface AdminAnswer extends JsonAnswer {
  text: string;
  replayed: string | null;
  retryAfter: string | null;
}

export interface StripeWorld extends FakeStripeAccount {
  /** The database the world made, or the one given it (startStripeWorld's `database`). */
  handle: TestDatabase;
  db: Kysely<Database>;
  /** tokenbill's HTTP server over `handle`, with online payments through the fake. */
  server: TestServer;
  /** deliverTo this world's server. */
  deliver(event: unknown, secret?: string): Promise<JsonAnswer>;
  /** A service context with the server's configuration: a system actor and the real clock unless given. */
  context(overrides?: Partial<Pick<ServiceContext, "actor" | "now">>): ServiceContext;
  /** Pays an issued invoice's amount due through Checkout and Stripe's signed webhook: the payment recorded. */
  payByCard(invoiceId: string): Promise<Selectable<PaymentTable>>;
  /** Issues a fixture invoice (issueInvoices) and pays it by card. */
  paidByCard(invoice: FixtureInvoice): Promise<{ invoice: string; payment: Selectable<PaymentTable> }>;
  /** POSTs to the admin API with the admin key and, when given, an Idempotency-Key. */
  post(path: string, body?: unknown, idempotencyKey?: string): Promise<AdminAnswer>;
}

/**
 * A fresh database, the fake Stripe, and tokenbill's server wired to it. `settings` adds to the server's
 * configuration (STRIPE_SUCCESS_URL, say); `now` is the server's clock and the fake Stripe's; `logger` the
 * server's (silent unless given). `database` is one the test already holds (the one its `tokenbill` commands
 * share, say), used instead of a fresh one and left open. close() stops what the world opened.
 */
export async function startStripeWorld(
  options: {
    settings?: Partial<ConfigInput>;
    now?: () => Date;
    logger?: Logger;
    database?: DatabaseHandle;
  } = {},
): Promise<StripeWorld> {
  // Closed in reverse order of opening, also when a later step of the start fails.
  const opened: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closeOne of opened.splice(0).reverse()) await closeOne();
  };
  try {
    const handle = options.database ?? (await createTestDatabase());
    // A database given is its owner's to close.
    if (!options.database) opened.push(() => handle.close());
    const account = await startFakeStripeAccount(options.now);
    opened.push(() => account.close());
    const configInput = { ...account.settings, ...options.settings };
    const server = await startTestServer(handle.db, configInput, {
      ...(options.now ? { now: options.now } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    opened.push(() => server.close());
    const config = parseConfig({ LOG_LEVEL: "silent", ...configInput });

    const payByCard = async (invoiceId: string) => {
      const checkout = await server.api("POST", `/api/v1/invoices/${invoiceId}/checkout`);
      const paid = await account.deliverTo(server, account.fake.completeSession(checkout.body.data.id));
      if (paid.status !== 200)
        throw new Error(
          `Stripe's webhook for ${invoiceId} answered ${paid.status}: ${JSON.stringify(paid.body)}`,
        );
      return handle.db
        .selectFrom("payment")
        .selectAll()
        .where("invoice_id", "=", invoiceId)
        .executeTakeFirstOrThrow();
    };

    return {
      ...account,
      handle,
      db: handle.db,
      server,
      deliver: (event, secret) => account.deliverTo(server, event, secret),
      context: (overrides = {}) => ({
        db: handle.db,
        config,
        logger: pino({ level: "silent" }),
        actor: actors.system("test"),
        now: () => new Date(),
        ...overrides,
      }),
      payByCard,
      paidByCard: async (spec) => {
        const [invoice] = (await issueInvoices(handle.db, [spec])) as [string];
        return { invoice, payment: await payByCard(invoice) };
      },
      post: async (path, body, idempotencyKey) => {
        const response = await fetch(server.url + path, {
          method: "POST",
          headers: {
            authorization: `Bearer ${TEST_ADMIN_KEY}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
            ...(idempotencyKey === undefined ? {} : { "idempotency-key": idempotencyKey }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await response.text();
        return {
          status: response.status,
          text,
          body: JSON.parse(text),
          replayed: response.headers.get("idempotent-replayed"),
          retryAfter: response.headers.get("retry-after"),
        };
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
