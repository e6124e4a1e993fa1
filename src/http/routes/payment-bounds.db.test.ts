import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import { issueInvoices } from "../../billing/payments/testing/invoice-fixtures.ts";
import { createCustomers } from "../../billing/testing/billing-fixtures.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";

// The limits of money input (docs/payments.md, "Limits"): a paid_at PostgreSQL cannot store or outside the
// window a payment can have arrived in, any other date PostgreSQL cannot store, and an amount above 10^15
// minor units, are 400s that write nothing.

const NOW = new Date("2026-11-20T10:00:00Z");
const LIMIT = 1_000_000_000_000_000; // 10^15, exact as a JSON number

let handle: DatabaseHandle;
let server: TestServer;
let customer: bigint;
let invoice = "";
beforeAll(async () => {
  handle = await createTestDatabase();
  [customer] = (await createCustomers(handle, [{ email: "bounds@example.com" }])) as [bigint];
  [invoice] = (await issueInvoices(handle.db, [{ customerId: customer, total: 1020n }])) as [string];
  server = await startTestServer(handle.db, {}, { now: () => NOW });
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

/** Row counts of every table a money event writes: a refused call leaves them all unchanged. */
async function counts() {
  const count = async (t: "payment" | "refund" | "credit_note" | "ledger_entry" | "job" | "audit_log") =>
    Number(
      (
        await handle.db
          .selectFrom(t)
          .select((eb) => eb.fn.countAll<bigint>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    payment: await count("payment"),
    refund: await count("refund"),
    credit_note: await count("credit_note"),
    ledger_entry: await count("ledger_entry"),
    job: await count("job"),
    audit_log: await count("audit_log"),
  };
}

let n = 0;
const reference = () => `BOUND-${n++}`;

describe("paid_at", () => {
  const refused: [string, string][] = [
    ["0000-01-01", "a year PostgreSQL has no room for (it has no year 0)"],
    ["0000-01-01T00:00:00Z", "the same as an instant"],
    ["0001-01-01T00:30:00+01:00", "an offset that moves it into year 0"],
    ["9999-12-31T23:00:00-02:00", "an offset that moves it into year 10000"],
    ["9999-12-31", "far in the future"],
    ["2026-11-22", "in the future beyond the day's tolerance"],
    ["2026-11-21T10:00:01Z", "a second beyond the tolerance"],
    ["1969-12-31", "decades old"],
    ["2016-11-19", "more than ten years before now"],
  ];
  for (const target of ["invoice", "customer"] as const) {
    it.each(refused)(
      `POST /${target}s/{id}/payments refuses paid_at %s (%s): 400 naming paid_at, nothing written`,
      async (paidAt) => {
        const before = await counts();
        const path =
          target === "invoice"
            ? `/api/v1/invoices/${invoice}/payments`
            : `/api/v1/customers/${customer}/payments`;
        const r = await server.api("POST", path, {
          amount: 1,
          currency: "USD",
          method: "bank_transfer",
          reference: reference(),
          paid_at: paidAt,
        });
        expect([r.status, r.body?.error?.code, r.body?.error?.issues?.[0]?.field]).toEqual([
          400,
          "VALIDATION",
          "paid_at",
        ]);
        expect(await counts()).toEqual(before);
      },
    );
  }

  it("accepts the edges of the window: a day ahead of the clock, and ten years back", async () => {
    for (const paidAt of ["2026-11-21T10:00:00Z", "2026-11-21", "2016-11-21", "2016-11-20T10:00:00Z"]) {
      const r = await server.api("POST", `/api/v1/customers/${customer}/payments`, {
        amount: 1,
        reference: reference(),
        paid_at: paidAt,
      });
      expect(r.status, paidAt).toBe(201);
    }
  });

  it("POST /invoices/{id}/mark-paid refuses a date PostgreSQL cannot store or in the future, naming date", async () => {
    const [own] = await issueInvoices(handle.db, [{ customerId: customer, total: 700n }], {
      applyCredit: false,
    });
    const before = await counts();
    for (const date of ["0000-01-01", "2026-11-25", "1969-12-31"]) {
      const r = await server.api("POST", `/api/v1/invoices/${own}/mark-paid`, {
        amount: 700,
        date,
        reference: reference(),
      });
      expect([r.status, r.body?.error?.issues?.[0]?.field], date).toEqual([400, "date"]);
    }
    expect(await counts()).toEqual(before);
  });

  it("POST /invoices/{id}/due-date-extension refuses year 0000 as a date and keeps a far date staff chose", async () => {
    const [own] = await issueInvoices(handle.db, [{ customerId: customer, total: 300n }], {
      applyCredit: false,
    });
    const zero = await server.api("POST", `/api/v1/invoices/${own}/due-date-extension`, {
      due_date: "0000-01-01",
      reason: "typo",
    });
    expect([zero.status, zero.body?.error?.issues?.[0]?.field]).toEqual([400, "due_date"]);
    expect(zero.body.error.issues[0].message).toMatch(/0001-01-01/);
    const far = await server.api("POST", `/api/v1/invoices/${own}/due-date-extension`, {
      due_date: "9999-12-31",
      reason: "never chase",
    });
    expect(far.status).toBe(200);
  });
});

describe("other date inputs", () => {
  it("POST /dunning/runs refuses an as_of PostgreSQL cannot store: 400 naming as_of", async () => {
    for (const asOf of ["0000-01-01T00:00:00Z", "0001-01-01T00:30:00+01:00"]) {
      const r = await server.api("POST", "/api/v1/dunning/runs", { as_of: asOf });
      expect([r.status, r.body?.error?.issues?.[0]?.field], asOf).toEqual([400, "as_of"]);
    }
  });
});

describe("amounts", () => {
  it("accepts a payment of exactly 10^15 minor units and answers it as a JSON number", async () => {
    const r = await server.api("POST", `/api/v1/customers/${customer}/payments`, {
      amount: LIMIT,
      reference: reference(),
    });
    expect(r.status).toBe(201);
    expect(r.body.data.amount).toBe(LIMIT);
    const asText = await server.api("POST", `/api/v1/customers/${customer}/payments`, {
      amount: String(LIMIT),
      reference: reference(),
    });
    expect([asText.status, asText.body.data.amount]).toEqual([201, LIMIT]);
  });

  it.each([
    ["10^15 + 1 as a number", LIMIT + 1],
    ["10^15 + 1 as a string", String(LIMIT + 1)],
    ["2^53 − 1", Number.MAX_SAFE_INTEGER],
    ["18 nines", "999999999999999999"],
    ["a string beyond int8", "99999999999999999999"],
  ])("refuses a payment of %s: 400 naming amount and the limit, nothing written", async (_label, amount) => {
    const before = await counts();
    for (const path of [`/api/v1/customers/${customer}/payments`, `/api/v1/invoices/${invoice}/payments`]) {
      const r = await server.api("POST", path, { amount, method: "bank_transfer", reference: reference() });
      expect([r.status, r.body?.error?.issues?.[0]?.field]).toEqual([400, "amount"]);
      expect(r.body.error.issues[0].message).toContain("1000000000000000");
    }
    expect(await counts()).toEqual(before);
  });
});

describe("an invoice beyond the limit (a billing run's, not an input)", () => {
  let big = "";
  beforeAll(async () => {
    const [a] = (await createCustomers(handle, [{ email: "big-a@example.com" }])) as [bigint];
    [big] = (await issueInvoices(handle.db, [
      {
        customerId: a,
        total: 5_000_000_000_000_000_000n,
        lines: [2_500_000_000_000_000_000n, 2_500_000_000_000_000_000n],
      },
    ])) as [string];
  });

  it("takes a credit note, a payment and mark-paid only up to the limit", async () => {
    const before = await counts();
    const note = await server.api("POST", `/api/v1/invoices/${big}/credit-notes`, {
      amount: LIMIT + 1,
      reason: "too much",
    });
    expect([note.status, note.body?.error?.issues?.[0]?.field]).toEqual([400, "amount"]);
    const lines = await server.api("POST", `/api/v1/invoices/${big}/credit-notes`, {
      lines: [{ position: 0, amount: String(LIMIT + 1) }],
      reason: "too much",
    });
    expect([lines.status, lines.body?.error?.issues?.[0]?.field]).toEqual([400, "lines.0.amount"]);
    const sum = await server.api("POST", `/api/v1/invoices/${big}/credit-notes`, {
      lines: [
        { position: 0, amount: LIMIT },
        { position: 1, amount: LIMIT },
      ],
      reason: "two lines within the limit, their sum beyond it",
    });
    expect([sum.status, sum.body?.error?.issues?.[0]?.field]).toEqual([400, "lines"]);
    const marked = await server.api("POST", `/api/v1/invoices/${big}/mark-paid`, {
      amount: "5000000000000000000",
      date: "2026-11-20",
      reference: reference(),
    });
    expect([marked.status, marked.body?.error?.issues?.[0]?.field]).toEqual([400, "amount"]);
    expect(await counts()).toEqual(before);
    const paid = await server.api("POST", `/api/v1/invoices/${big}/payments`, {
      amount: LIMIT,
      reference: reference(),
    });
    expect([paid.status, paid.body.data.allocations]).toEqual([201, [{ invoice_id: big, amount: LIMIT }]]);
  });
});
