import { request } from "node:http";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../../test/helpers/test-server.ts";
import { recordPayment } from "../../billing/payments/record-payment.ts";
import { issueInvoices } from "../../billing/payments/testing/invoice-fixtures.ts";
import { createCustomers } from "../../billing/testing/billing-fixtures.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import { pino } from "pino";

// Idempotency-Key on the money-moving POSTs without a natural key (credit notes, refunds made by hand): a
// retry with the same key and request is answered as the first time and does nothing; another request under
// the key is a 409 naming the header; two at once do the work once; a bad key is a 400 naming the header.

let handle: DatabaseHandle;
let server: TestServer;
let customer: bigint;

beforeAll(async () => {
  handle = await createTestDatabase();
  [customer] = (await createCustomers(handle, [{ email: "idem@example.com" }])) as [bigint];
  server = await startTestServer(handle.db);
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

interface Answer {
  status: number;
  text: string;
  body: any;
  replayed: string | null;
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(server.url + path, {
    method: "POST",
    headers: {
      authorization: `Bearer ${TEST_ADMIN_KEY}`,
      "content-type": "application/json",
      ...headers,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    body: JSON.parse(text),
    replayed: response.headers.get("idempotent-replayed"),
  };
}

const count = async (table: "credit_note" | "refund" | "ledger_entry" | "idempotency_key" | "audit_log") =>
  Number(
    (await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(handle.db)).rows[0]!.n,
  );
const counts = async () => ({
  notes: await count("credit_note"),
  refunds: await count("refund"),
  entries: await count("ledger_entry"),
  audit: await count("audit_log"),
});

const newInvoice = async (total = 1000n) =>
  ((await issueInvoices(handle.db, [{ customerId: customer, total }])) as [string])[0];

async function paidByHand(amount: bigint): Promise<string> {
  const invoice = await newInvoice(amount);
  const ctx = {
    db: handle.db,
    config: parseConfig({ LOG_LEVEL: "silent" }),
    logger: pino({ level: "silent" }),
    actor: actors.system("test"),
    now: () => new Date(),
  };
  const { payment } = await recordPayment({
    ctx,
    input: { invoice_id: invoice, amount, method: "bank_transfer", reference: `bt-${invoice}` },
  });
  return payment.id;
}

describe("Idempotency-Key", () => {
  it("answers a repeated credit note with the first answer, byte for byte, and issues it once", async () => {
    const invoice = await newInvoice();
    const path = `/api/v1/invoices/${invoice}/credit-notes`;
    const body = { amount: 100, reason: "outage" };
    const key = { "idempotency-key": "cn-retry-1" };
    const first = await post(path, body, key);
    expect([first.status, first.replayed]).toEqual([201, null]);
    const before = await counts();
    // The same fields in another order are the same request.
    const again = await post(path, { reason: "outage", amount: 100 }, key);
    expect([again.status, again.text, again.replayed]).toEqual([201, first.text, "true"]);
    expect(await counts()).toEqual(before);
    // Without a key, a retry is a second credit note (the natural behaviour of a POST).
    const unkeyed = await post(path, body);
    expect(unkeyed.body.data.number).not.toBe(first.body.data.number);
  });

  it("refuses the key with another request (409 naming the header), writing nothing", async () => {
    const invoice = await newInvoice();
    const path = `/api/v1/invoices/${invoice}/credit-notes`;
    const key = { "idempotency-key": "cn-reused" };
    expect((await post(path, { amount: 100, reason: "a" }, key)).status).toBe(201);
    const before = await counts();
    const payment = await paidByHand(300n);
    const afterPayment = await counts();
    for (const [p, b] of [
      [path, { amount: 101, reason: "a" }],
      [`/api/v1/invoices/${await newInvoice()}/credit-notes`, { amount: 100, reason: "a" }],
      [`/api/v1/payments/${payment}/refunds`, { amount: 100 }],
    ] as const) {
      const refused = await post(p, b, key);
      expect([refused.status, refused.body.error.issues[0].field], p).toEqual([
        409,
        "header.idempotency-key",
      ]);
      expect(refused.body.error.message).toContain("different request");
    }
    expect(before.notes).toBe(afterPayment.notes);
    expect(await count("credit_note")).toBe(afterPayment.notes);
    expect(await count("refund")).toBe(afterPayment.refunds);
  });

  it("answers a repeated refund made by hand with the first answer and refunds once", async () => {
    const payment = await paidByHand(500n);
    const path = `/api/v1/payments/${payment}/refunds`;
    const key = { "idempotency-key": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d" };
    const first = await post(path, { amount: 200, reason: "goodwill" }, key);
    expect(first.status).toBe(201);
    const before = await counts();
    const again = await post(path, { amount: 200, reason: "goodwill" }, key);
    expect([again.status, again.text, again.replayed]).toEqual([201, first.text, "true"]);
    expect(await counts()).toEqual(before);
    const payments = await server.api("GET", `/api/v1/payments/${payment}`);
    expect(payments.body.data.refunds.map((r: { id: string }) => r.id)).toEqual([first.body.data.id]);
  });

  it("does the work once when two requests with one key arrive at once", async () => {
    const invoice = await newInvoice();
    const path = `/api/v1/invoices/${invoice}/credit-notes`;
    const before = await count("credit_note");
    const answers = await Promise.all(
      [1, 2, 3].map(() => post(path, { amount: 50, reason: "at once" }, { "idempotency-key": "cn-race" })),
    );
    // The later ones wait on the key's row until the first commits, then are given its answer.
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(answers.filter((a) => a.replayed === "true")).toHaveLength(2);
    expect(await count("credit_note")).toBe(before + 1);
  });

  it("keeps no answer for a refused request: the same key may then carry the corrected one", async () => {
    const invoice = await newInvoice(1000n);
    const path = `/api/v1/invoices/${invoice}/credit-notes`;
    const key = { "idempotency-key": "cn-fix-then-retry" };
    const keys = await count("idempotency_key");
    const tooMuch = await post(path, { amount: 5000, reason: "typo" }, key);
    expect(tooMuch.status).toBe(400);
    expect(await count("idempotency_key")).toBe(keys);
    const fixed = await post(path, { amount: 500, reason: "typo" }, key);
    expect([fixed.status, fixed.replayed]).toEqual([201, null]);
  });

  it("keeps one client's keys apart from another's", async () => {
    const created = await server.api("POST", "/api/v1/api-keys", { name: "second client" });
    expect(created.status).toBe(201);
    const invoice = await newInvoice();
    const path = `/api/v1/invoices/${invoice}/credit-notes`;
    const mine = await post(path, { amount: 10, reason: "a" }, { "idempotency-key": "shared-key" });
    const theirs = await post(
      path,
      { amount: 10, reason: "a" },
      { "idempotency-key": "shared-key", authorization: `Bearer ${created.body.data.key}` },
    );
    expect([mine.status, theirs.status, theirs.replayed]).toEqual([201, 201, null]);
    expect(theirs.body.data.id).not.toBe(mine.body.data.id);
  });

  it("refuses a key that is empty, too long, not printable ASCII or given twice, naming the header", async () => {
    const invoice = await newInvoice();
    const path = `/api/v1/invoices/${invoice}/credit-notes`;
    const before = await counts();
    const bad: [string, string][] = [
      ["", "must be 1 to 255"],
      ["k".repeat(256), "must be 1 to 255"],
      ["caf\u00e9", "must be 1 to 255"],
    ];
    for (const [key, message] of bad) {
      const refused = await post(path, { amount: 10, reason: "a" }, { "idempotency-key": key });
      expect([refused.status, refused.body.error.issues[0]], key).toEqual([
        400,
        { field: "header.idempotency-key", message: expect.stringContaining(message) },
      ]);
    }
    // fetch joins repeated values into one header ("one, two", itself a valid key): node:http sends two.
    const twice = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const payload = JSON.stringify({ amount: 10, reason: "a" });
      const req = request(
        server.url + path,
        {
          method: "POST",
          // Given as a list, the headers are sent as they are: Host too has to be given.
          headers: [
            ["host", new URL(server.url).host],
            ["authorization", `Bearer ${TEST_ADMIN_KEY}`],
            ["content-type", "application/json"],
            ["content-length", String(Buffer.byteLength(payload))],
            ["idempotency-key", "one"],
            ["idempotency-key", "two"],
          ].flat(),
        },
        (res) => {
          let text = "";
          res.on("data", (chunk) => (text += chunk));
          res.on("end", () => {
            try {
              resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
            } catch (error) {
              reject(error);
            }
          });
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
    expect([twice.status, twice.body.error.issues[0].field]).toEqual([400, "header.idempotency-key"]);
    expect(await counts()).toEqual(before);
    // 255 characters of printable ASCII, spaces inside included, is a key.
    const longest = "k ".repeat(127) + "k";
    expect((await post(path, { amount: 10, reason: "a" }, { "idempotency-key": longest })).status).toBe(201);
  });

  it("describes the header on the two routes in the OpenAPI document", async () => {
    const doc = (await server.api("GET", "/api/v1/openapi.json")).body;
    for (const [path, method] of [
      ["/api/v1/invoices/{id}/credit-notes", "post"],
      ["/api/v1/payments/{id}/refunds", "post"],
    ] as const) {
      const header = doc.paths[path][method].parameters.find((p: { in: string }) => p.in === "header");
      expect(header).toMatchObject({ name: "Idempotency-Key", required: false, schema: { maxLength: 255 } });
    }
  });
});

describe("a payment or mark-paid with an Idempotency-Key", () => {
  // A payment is idempotent by its (method, reference) without a key. Until 2026-12-05 the header was passed
  // over on these routes, so a client that retried with the key but a reference made anew for the retry
  // recorded the money twice.
  const payments = async () =>
    Number((await sql<{ n: string }>`SELECT count(*) AS n FROM payment`.execute(handle.db)).rows[0]!.n);

  it("answers a retry of an invoice's payment as the first, and refuses another reference under the key", async () => {
    const invoice = await newInvoice();
    const path = `/api/v1/invoices/${invoice}/payments`;
    const key = { "idempotency-key": "pay-retry-1" };
    const first = await post(path, { amount: 400, reference: "PAY-A1" }, key);
    expect([first.status, first.replayed]).toEqual([201, null]);
    const before = [await payments(), await counts()];
    const again = await post(path, { reference: "PAY-A1", amount: 400 }, key);
    expect([again.status, again.text, again.replayed]).toEqual([201, first.text, "true"]);
    const renamed = await post(path, { amount: 400, reference: "PAY-A1-retry" }, key);
    expect([renamed.status, renamed.body.error?.issues?.[0]?.field]).toEqual([409, "header.idempotency-key"]);
    expect([await payments(), await counts()]).toEqual(before);
  });

  it("answers a retry of a customer's payment as the first, once", async () => {
    await newInvoice(700n);
    const path = `/api/v1/customers/${customer}/payments`;
    const key = { "idempotency-key": "cust-pay-1" };
    const first = await post(path, { amount: 250, reference: "CUST-PAY-1" }, key);
    expect(first.status).toBe(201);
    const before = [await payments(), await counts()];
    const again = await post(path, { amount: 250, reference: "CUST-PAY-1" }, key);
    expect([again.status, again.text, again.replayed]).toEqual([201, first.text, "true"]);
    expect([await payments(), await counts()]).toEqual(before);
  });

  it("keeps a repeat by reference's own answer (200) under a new key", async () => {
    const invoice = await newInvoice();
    const path = `/api/v1/invoices/${invoice}/payments`;
    expect((await post(path, { amount: 100, reference: "REPEAT-1" })).status).toBe(201);
    const key = { "idempotency-key": "pay-repeat-1" };
    const repeat = await post(path, { amount: 100, reference: "REPEAT-1" }, key);
    expect([repeat.status, repeat.replayed]).toEqual([200, null]);
    const again = await post(path, { amount: 100, reference: "REPEAT-1" }, key);
    expect([again.status, again.text, again.replayed]).toEqual([200, repeat.text, "true"]);
  });

  it("answers a retry of mark-paid as the first, and refuses another reference under the key", async () => {
    const invoice = await newInvoice(900n);
    const path = `/api/v1/invoices/${invoice}/mark-paid`;
    const key = { "idempotency-key": "mark-paid-1" };
    const body = { amount: 900, date: new Date().toISOString().slice(0, 10), reference: "MP-1" };
    const first = await post(path, body, key);
    expect([first.status, first.body.data?.status]).toEqual([200, "paid"]);
    const before = [await payments(), await counts()];
    const again = await post(path, body, key);
    expect([again.status, again.text, again.replayed]).toEqual([200, first.text, "true"]);
    const renamed = await post(path, { ...body, reference: "MP-1-retry" }, key);
    expect([renamed.status, renamed.body.error?.issues?.[0]?.field]).toEqual([409, "header.idempotency-key"]);
    expect([await payments(), await counts()]).toEqual(before);
  });

  it("describes the header on the payment routes and mark-paid in the OpenAPI document", async () => {
    const doc = (await server.api("GET", "/api/v1/openapi.json")).body;
    for (const path of [
      "/api/v1/invoices/{id}/payments",
      "/api/v1/customers/{id}/payments",
      "/api/v1/invoices/{id}/mark-paid",
    ]) {
      const header = doc.paths[path].post.parameters.find((p: { in: string }) => p.in === "header");
      expect(header, path).toMatchObject({ name: "Idempotency-Key", required: false });
    }
  });
});

describe("a customer's creation with an Idempotency-Key", () => {
  // A signup flow that retries POST /customers after a timeout: until 2026-12-05 the retry was a 409 on the
  // e-mail its own first request had taken, and the client could not tell it from someone else's.
  const customersNamed = async (email: string) =>
    Number(
      (await sql<{ n: string }>`SELECT count(*) AS n FROM customer WHERE email = ${email}`.execute(handle.db))
        .rows[0]!.n,
    );
  const signup = { email: "signup@example.com", name: "Signup", country: "DE", currency: "USD" };

  it("answers a retry with the customer the first request made, once, and refuses another body under the key", async () => {
    const key = { "idempotency-key": "signup-7f3a" };
    const first = await post("/api/v1/customers", signup, key);
    expect(first.status).toBe(201);
    expect(first.replayed).toBeNull();
    const retry = await post("/api/v1/customers", signup, key);
    expect(retry).toMatchObject({ status: 201, replayed: "true" });
    expect(retry.text).toBe(first.text);
    expect(await customersNamed("signup@example.com")).toBe(1);
    const other = await post("/api/v1/customers", { ...signup, name: "Someone else" }, key);
    expect(other.status).toBe(409);
    expect(other.body.error.issues).toEqual([expect.objectContaining({ field: "header.idempotency-key" })]);
    // Without a key a repeat is still refused on its e-mail, as before.
    expect((await post("/api/v1/customers", signup)).status).toBe(409);
  });

  it("makes one customer from two requests sent at once", async () => {
    const key = { "idempotency-key": "signup-both" };
    const body = { ...signup, email: "both@example.com" };
    const answers = await Promise.all([
      post("/api/v1/customers", body, key),
      post("/api/v1/customers", body, key),
    ]);
    expect(answers.map((a) => a.status)).toEqual([201, 201]);
    expect(answers[0]!.body.data.id).toBe(answers[1]!.body.data.id);
    expect(await customersNamed("both@example.com")).toBe(1);
  });
});

describe("an Idempotency-Key sent to a write that does not take one", () => {
  it("is refused with a 400 naming the header, and nothing is made", async () => {
    const keys = async () =>
      Number((await sql<{ n: string }>`select count(*) as n from api_key`.execute(handle.db)).rows[0]!.n);
    const before = await keys();
    const answer = await post("/api/v1/api-keys", { name: "idem-less" }, { "idempotency-key": "k-1" });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/^header\.idempotency-key: this operation does not take one/);
    expect(await keys()).toBe(before);
    // Without the header the same request is taken, as before.
    expect((await post("/api/v1/api-keys", { name: "idem-less" })).status).toBe(201);
  });
});
