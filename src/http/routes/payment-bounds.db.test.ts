import { beforeAll, describe, expect, it } from "vitest";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import { postLedgerEvent } from "../../billing/ledger/ledger.ts";
import { issueInvoices } from "../../billing/payments/testing/invoice-fixtures.ts";
import { moneyRowCounts } from "../../billing/payments/testing/money-row-counts.ts";
import { billingContext, createCustomers } from "../../billing/testing/billing-fixtures.ts";
import { timeOrderedId } from "../../kernel/time-ordered-id.ts";
import { overdueTotals } from "../../services/dashboard/overdue-totals.ts";

// The limits of money input (docs/payments.md, "Limits"): a paid_at PostgreSQL cannot store or outside the
// window a payment can have arrived in, and an amount above 10^15 minor units, are 400s that write nothing;
// and sums over rows the database already holds (written before the limit, whose sum passes int8) answer
// exactly instead of failing with PostgreSQL's "bigint out of range".

const NOW = new Date("2026-11-20T10:00:00Z");
const LIMIT = 1_000_000_000_000_000; // 10^15, exact as a JSON number

const file = serverPerFile({}, { now: () => NOW });
let customer: bigint;
let invoice = "";
beforeAll(async () => {
  [customer] = (await createCustomers(file.handle, [{ email: "bounds@example.com" }])) as [bigint];
  [invoice] = (await issueInvoices(file.handle.db, [{ customerId: customer, total: 1020n }])) as [string];
});

const counts = () => moneyRowCounts(file.handle.db);

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
        const r = await file.server.api("POST", path, {
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
      const r = await file.server.api("POST", `/api/v1/customers/${customer}/payments`, {
        amount: 1,
        reference: reference(),
        paid_at: paidAt,
      });
      expect(r.status, paidAt).toBe(201);
    }
  });

  it("POST /invoices/{id}/mark-paid refuses a date PostgreSQL cannot store or in the future, naming date", async () => {
    const [own] = await issueInvoices(file.handle.db, [{ customerId: customer, total: 700n }], {
      applyCredit: false,
    });
    const before = await counts();
    for (const date of ["0000-01-01", "2026-11-25", "1969-12-31"]) {
      const r = await file.server.api("POST", `/api/v1/invoices/${own}/mark-paid`, {
        amount: 700,
        date,
        reference: reference(),
      });
      expect([r.status, r.body?.error?.issues?.[0]?.field], date).toEqual([400, "date"]);
    }
    expect(await counts()).toEqual(before);
  });

  it("POST /invoices/{id}/due-date-extension refuses year 0000 as a date and keeps a far date staff chose", async () => {
    const [own] = await issueInvoices(file.handle.db, [{ customerId: customer, total: 300n }], {
      applyCredit: false,
    });
    const zero = await file.server.api("POST", `/api/v1/invoices/${own}/due-date-extension`, {
      due_date: "0000-01-01",
      reason: "typo",
    });
    expect([zero.status, zero.body?.error?.issues?.[0]?.field]).toEqual([400, "due_date"]);
    expect(zero.body.error.issues[0].message).toMatch(/0001-01-01/);
    const far = await file.server.api("POST", `/api/v1/invoices/${own}/due-date-extension`, {
      due_date: "9999-12-31",
      reason: "never chase",
    });
    expect(far.status).toBe(200);
  });
});

describe("other date inputs", () => {
  it("POST /dunning/runs refuses an as_of PostgreSQL cannot store: 400 naming as_of", async () => {
    for (const asOf of ["0000-01-01T00:00:00Z", "0001-01-01T00:30:00+01:00"]) {
      const r = await file.server.api("POST", "/api/v1/dunning/runs", { as_of: asOf });
      expect([r.status, r.body?.error?.issues?.[0]?.field], asOf).toEqual([400, "as_of"]);
    }
  });
});

describe("amounts", () => {
  it("accepts a payment of exactly 10^15 minor units and answers it as a JSON number", async () => {
    const r = await file.server.api("POST", `/api/v1/customers/${customer}/payments`, {
      amount: LIMIT,
      reference: reference(),
    });
    expect(r.status).toBe(201);
    expect(r.body.data.amount).toBe(LIMIT);
    const asText = await file.server.api("POST", `/api/v1/customers/${customer}/payments`, {
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
      const r = await file.server.api("POST", path, {
        amount,
        method: "bank_transfer",
        reference: reference(),
      });
      expect([r.status, r.body?.error?.issues?.[0]?.field]).toEqual([400, "amount"]);
      expect(r.body.error.issues[0].message).toContain("1000000000000000");
    }
    expect(await counts()).toEqual(before);
  });
});

/**
 * Rows written before the limit existed: payments of 9×10^18 minor units each, all credit. Two of them
 * sum beyond int8 (9.22×10^18). Written directly, as the API no longer takes them.
 */
async function legacyPayment(customerId: bigint, amount: bigint): Promise<string> {
  const id = timeOrderedId("pay");
  await file.handle.db.transaction().execute(async (trx) => {
    await trx
      .insertInto("payment")
      .values({
        id,
        customer_id: customerId,
        currency_code: "USD",
        amount,
        method: "bank_transfer",
        reference: `LEGACY-${id}`,
        invoice_id: null,
        paid_at: NOW,
        created_at: NOW,
      })
      .execute();
    await postLedgerEvent(trx, {
      id: `pay:${id}`,
      kind: "payment",
      customerId,
      currency: "USD",
      at: NOW,
      lines: [
        { account: "cash", amount, paymentId: id },
        { account: "credit", amount: -amount, paymentId: id },
      ],
    });
  });
  return id;
}

describe("sums beyond int8 over rows the database already holds", () => {
  const HUGE = 9_000_000_000_000_000_000n;
  let rich: bigint;
  let legacy = "";
  beforeAll(async () => {
    [rich] = (await createCustomers(file.handle, [{ email: "rich@example.com" }])) as [bigint];
    legacy = await legacyPayment(rich, HUGE);
    await legacyPayment(rich, HUGE);
  });

  it("GET /customers/{id}/statement answers exactly, the sums beyond 2^53 as digit strings", async () => {
    const r = await file.server.api("GET", `/api/v1/customers/${rich}/statement`);
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ balance: "-18000000000000000000", credit: "18000000000000000000" });
    expect(
      r.body.data.entries.map((e: { amount: string; balance: string }) => [e.amount, e.balance]),
    ).toEqual([
      ["-9000000000000000000", "-9000000000000000000"],
      ["-9000000000000000000", "-18000000000000000000"],
    ]);
  });

  it("GET /customers/{id}/statement.csv and .pdf answer too", async () => {
    const csv = await fetch(`${file.server.url}/api/v1/customers/${rich}/statement.csv`, {
      headers: { authorization: "Bearer test-admin-key-0123456789" },
    });
    expect(csv.status).toBe(200);
    expect(await csv.text()).toContain("-18000000000000000000");
    const pdf = await fetch(`${file.server.url}/api/v1/customers/${rich}/statement.pdf`, {
      headers: { authorization: "Bearer test-admin-key-0123456789" },
    });
    expect(pdf.status).toBe(200);
    expect((await pdf.arrayBuffer()).byteLength).toBeGreaterThan(0);
  });

  it("a refund of such a payment works within the limit and is refused above it", async () => {
    const before = await counts();
    const over = await file.server.api("POST", `/api/v1/payments/${legacy}/refunds`, {
      amount: String(LIMIT + 1),
    });
    expect([over.status, over.body?.error?.issues?.[0]?.field]).toEqual([400, "amount"]);
    expect(await counts()).toEqual(before);
    const ok = await file.server.api("POST", `/api/v1/payments/${legacy}/refunds`, { amount: 1000 });
    expect([ok.status, ok.body.data.amount]).toEqual([201, 1000]);
    const s = await file.server.api("GET", `/api/v1/customers/${rich}/statement`);
    expect(s.body.data.credit).toBe("17999999999999999000");
  });

  it("credit beyond int8 pays a new invoice at finalization", async () => {
    const [next] = await issueInvoices(file.handle.db, [{ customerId: rich, total: 5000n }], {
      applyCredit: true,
    });
    const inv = await file.server.api("GET", `/api/v1/invoices/${next}`);
    expect([inv.status, inv.body.data.status, inv.body.data.amount_due]).toEqual([200, "paid", 0]);
    const s = await file.server.api("GET", `/api/v1/customers/${rich}/statement`);
    expect(s.body.data.credit).toBe("17999999999999994000");
  });
});

describe("an invoice beyond the limit (a billing run's, not an input)", () => {
  let big = "";
  let other = "";
  beforeAll(async () => {
    const [a, b] = (await createCustomers(file.handle, [
      { email: "big-a@example.com" },
      { email: "big-b@example.com" },
    ])) as [bigint, bigint];
    [big] = (await issueInvoices(file.handle.db, [
      {
        customerId: a,
        total: 5_000_000_000_000_000_000n,
        lines: [2_500_000_000_000_000_000n, 2_500_000_000_000_000_000n],
      },
    ])) as [string];
    [other] = (await issueInvoices(file.handle.db, [
      { customerId: b, total: 5_000_000_000_000_000_000n },
    ])) as [string];
  });

  it("takes a credit note, a payment and mark-paid only up to the limit", async () => {
    const before = await counts();
    const note = await file.server.api("POST", `/api/v1/invoices/${big}/credit-notes`, {
      amount: LIMIT + 1,
      reason: "too much",
    });
    expect([note.status, note.body?.error?.issues?.[0]?.field]).toEqual([400, "amount"]);
    const lines = await file.server.api("POST", `/api/v1/invoices/${big}/credit-notes`, {
      lines: [{ position: 0, amount: String(LIMIT + 1) }],
      reason: "too much",
    });
    expect([lines.status, lines.body?.error?.issues?.[0]?.field]).toEqual([400, "lines.0.amount"]);
    const sum = await file.server.api("POST", `/api/v1/invoices/${big}/credit-notes`, {
      lines: [
        { position: 0, amount: LIMIT },
        { position: 1, amount: LIMIT },
      ],
      reason: "two lines within the limit, their sum beyond it",
    });
    expect([sum.status, sum.body?.error?.issues?.[0]?.field]).toEqual([400, "lines"]);
    const marked = await file.server.api("POST", `/api/v1/invoices/${big}/mark-paid`, {
      amount: "5000000000000000000",
      date: "2026-11-20",
      reference: reference(),
    });
    expect([marked.status, marked.body?.error?.issues?.[0]?.field]).toEqual([400, "amount"]);
    expect(await counts()).toEqual(before);
    const paid = await file.server.api("POST", `/api/v1/invoices/${big}/payments`, {
      amount: LIMIT,
      reference: reference(),
    });
    expect([paid.status, paid.body.data.allocations]).toEqual([201, [{ invoice_id: big, amount: LIMIT }]]);
  });

  it("the dashboard's overdue totals add dues beyond int8 exactly", async () => {
    // Both invoices fell due on 2026-11-15 (issued 2026-11-01, 14 days); so did every other invoice here but
    // the one whose due date was extended.
    const totals = await overdueTotals({ ctx: billingContext(file.handle, {}, NOW), input: {} });
    const open = await file.handle.db
      .selectFrom("invoice")
      .leftJoin("invoice_due_extension as x", "x.invoice_id", "invoice.id")
      .select(["invoice.id", "invoice.due_date", "x.due_date as extended"])
      .where("invoice.status", "in", ["finalized", "partially_paid"])
      .execute();
    const overdue = open.filter((i) => (i.extended ?? i.due_date ?? "") < "2026-11-20").map((i) => i.id);
    expect(overdue).toEqual(expect.arrayContaining([big, other]));
    const rows = await file.handle.db
      .selectFrom("ledger_entry")
      .select(["invoice_id", "amount"])
      .where("account", "=", "receivable")
      .where("invoice_id", "in", overdue)
      .execute();
    const due = new Map<string, bigint>();
    for (const r of rows) due.set(r.invoice_id!, (due.get(r.invoice_id!) ?? 0n) + r.amount);
    const positive = [...due.values()].filter((d) => d > 0n);
    const expected = positive.reduce((s, d) => s + d, 0n);
    expect(expected).toBeGreaterThan(2n ** 63n);
    expect(totals.find((t) => t.currency === "USD")).toEqual({
      currency: "USD",
      amount: expected,
      invoices: positive.length,
    });
  });
});
