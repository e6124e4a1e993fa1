import { afterEach, describe, expect, it } from "vitest";
import { createCustomers, usageOf } from "../testing/billing-fixtures.ts";
import {
  BATCH,
  CUSTOMERS,
  closePeriodDatabases,
  expectGapless,
  invoicesOf,
  referenceInvoices,
  setUpPeriod,
} from "../testing/period-fixtures.ts";
import { MemoryUsageSource } from "../usage/memory-usage-source.ts";
import { BillingInterrupted, SimulatedCrash } from "./execute-billing-run.ts";
import { runBilling } from "./run-billing.ts";

// billing-rules §5: however a period is run — twice at once, after a crash, again after it
// completed, or after a failed finalization — it ends with exactly the same invoices and gapless numbers.
// On PostgreSQL the two runs are truly concurrent (a pool of connections); on PGlite they interleave.

afterEach(closePeriodDatabases);

describe("billing run safety", () => {
  it("a single run: one finalized invoice per customer, numbered in customer order without gaps", async () => {
    const invoices = await referenceInvoices();
    expect(invoices).toHaveLength(CUSTOMERS);
    expect(new Set(invoices.map((i) => i.status))).toEqual(new Set(["finalized"]));
    expectGapless(invoices);
  });

  it("two runs started at once end with exactly the same invoices as one run", async () => {
    const expected = await referenceInvoices();
    const { ctx, usage, handle } = await setUpPeriod();
    const source = new MemoryUsageSource(usage);
    const [a, b] = await Promise.all([
      runBilling({ ctx, input: { period: "2026-10" }, options: { source } }),
      runBilling({ ctx, input: { period: "2026-10" }, options: { source } }),
    ]);
    expect([a.state, b.state]).toEqual(["completed", "completed"]);
    expect(a.invoices.created + b.invoices.created).toBe(CUSTOMERS);
    expect(a.invoices.finalized + b.invoices.finalized).toBe(CUSTOMERS);
    expect(a.anomalies.total + b.anomalies.total).toBe(0);
    expect(await invoicesOf(handle)).toEqual(expected);
  });

  it("a run that dies after 14 customers, then runs again, ends with the same invoices", async () => {
    const expected = await referenceInvoices();
    const { ctx, usage, handle } = await setUpPeriod();
    const source = new MemoryUsageSource(usage);
    let crashedRun = "";
    await expect(
      runBilling({
        ctx,
        input: { period: "2026-10" },
        options: { source, faults: { crashAfterCustomers: 14 }, onStart: (r) => (crashedRun = r.id) },
      }),
    ).rejects.toBeInstanceOf(SimulatedCrash);
    const left = await handle.db.selectFrom("invoice").select(["status"]).execute();
    expect(left).toHaveLength(14);
    expect(left.every((i) => i.status === "draft")).toBe(true);
    const crashed = await handle.db
      .selectFrom("billing_run")
      .selectAll()
      .where("id", "=", crashedRun)
      .executeTakeFirstOrThrow();
    expect([crashed.state, crashed.phase, crashed.processed]).toEqual(["running", "drafting", 14]);

    const again = await runBilling({ ctx, input: { period: "2026-10" }, options: { source } });
    expect(again.invoices).toMatchObject({
      created: CUSTOMERS - 14,
      already_present: 14,
      finalized: CUSTOMERS,
    });
    expect(again.anomalies.total).toBe(0);
    expect(await invoicesOf(handle)).toEqual(expected);
  });

  it("a run stopped between two batches by its stopping process, then run again, ends with the same invoices", async () => {
    const expected = await referenceInvoices();
    const { ctx, usage, handle } = await setUpPeriod();
    const source = new MemoryUsageSource(usage);
    const stopping = new AbortController();
    await expect(
      runBilling({
        ctx,
        input: { period: "2026-10" },
        options: {
          source,
          signal: stopping.signal,
          // serve's stop, while the first drafting batch is written.
          onProgress: (p) => p.phase === "drafting" && p.processed > 0 && stopping.abort(),
        },
      }),
    ).rejects.toBeInstanceOf(BillingInterrupted);
    const stopped = await handle.db
      .selectFrom("billing_run")
      .select(["state", "phase", "error"])
      .executeTakeFirstOrThrow();
    expect(stopped).toEqual({
      state: "failed",
      phase: "drafting",
      error: "interrupted: the process was stopping; the next attempt resumes where this one stopped",
    });
    // Whole batches only (the ones in flight at the stop committed), none finalized.
    const left = await handle.db.selectFrom("invoice").select(["status"]).execute();
    expect(left.length % BATCH === 0 || left.length === CUSTOMERS).toBe(true);
    expect(left.length).toBeGreaterThanOrEqual(BATCH);
    expect(left.length).toBeLessThan(CUSTOMERS);
    expect(left.every((i) => i.status === "draft")).toBe(true);

    const again = await runBilling({ ctx, input: { period: "2026-10" }, options: { source } });
    expect(again.invoices).toMatchObject({ already_present: left.length, finalized: CUSTOMERS });
    expect(await invoicesOf(handle)).toEqual(expected);
  });

  it("a failed finalization leaves no gap: its numbers roll back with it, and the next run continues", async () => {
    const expected = await referenceInvoices();
    const { ctx, usage, handle } = await setUpPeriod();
    const source = new MemoryUsageSource(usage);
    await expect(
      runBilling({
        ctx,
        input: { period: "2026-10" },
        options: { source, faults: { failFinalizationBatch: 2 } },
      }),
    ).rejects.toThrow(/injected failure in finalization batch 2/);
    const counter = await handle.db.selectFrom("invoice_number_counter").selectAll().execute();
    expect(counter).toEqual([{ sequence: "INV-2026-{000000}", last_value: BigInt(BATCH) }]);
    const failed = await handle.db
      .selectFrom("billing_run")
      .select(["state", "error"])
      .executeTakeFirstOrThrow();
    expect(failed.state).toBe("failed");
    expect(failed.error).toMatch(/injected failure/);

    await runBilling({ ctx, input: { period: "2026-10" }, options: { source } });
    const invoices = await invoicesOf(handle);
    expectGapless(invoices);
    expect(invoices).toEqual(expected);
  });

  it("an invoice too large for the books stops the run before its batch, naming the customer; once the price is mended the run completes", async () => {
    const { ctx, usage, handle } = await setUpPeriod();
    const source = new MemoryUsageSource(usage);
    // A unit cost typed with a dozen digits too many, in the currency of one customer of the third batch.
    await handle.db
      .insertInto("currency")
      .values({
        code: "XTS",
        exponent: 2,
        token_unit_cost: "100000000000000000",
        display_prefix: "",
        display_suffix: " XTS",
        thousands_separator: ",",
        decimals_separator: ".",
      })
      .execute();
    const [c20] = await handle.db
      .updateTable("customer")
      .set({ currency_code: "XTS" })
      .where("email", "=", "c20@example.com")
      .returning("id")
      .execute();
    const failure = runBilling({ ctx, input: { period: "2026-10" }, options: { source } });
    await expect(failure).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(
        new RegExp(
          `^customer ${c20!.id}'s invoice comes to \\d+ minor units of XTS, more than an invoice can hold`,
        ),
      ),
    });
    const run = await handle.db
      .selectFrom("billing_run")
      .select(["state", "error"])
      .executeTakeFirstOrThrow();
    expect(run.state).toBe("failed");
    expect(run.error).toMatch(/check XTS's token unit cost and the plan prices$/);
    // The two batches before it were written whole; nothing of its own batch was.
    const drafted = await invoicesOf(handle);
    expect(drafted.map((i) => i.email)).toEqual(
      Array.from({ length: 2 * BATCH }, (_, i) => `c${i}@example.com`),
    );

    await handle.db
      .updateTable("currency")
      .set({ token_unit_cost: "0.001" })
      .where("code", "=", "XTS")
      .execute();
    const again = await runBilling({ ctx, input: { period: "2026-10" }, options: { source } });
    expect(again.state).toBe("completed");
    const invoices = await invoicesOf(handle);
    expect(invoices).toHaveLength(CUSTOMERS);
    expectGapless(invoices);
    expect(invoices.find((i) => i.email === "c20@example.com")?.currency_code).toBe("XTS");
  });

  it("usage too large for the books stops the run before its page is staged, naming the server; nothing is invoiced", async () => {
    const { ctx, usage, handle } = await setUpPeriod();
    // Nine thousand trillion additional IPs at 10 tokens an hour: a source gone wrong, or a price with digits too many.
    const huge = usageOf({
      billingUserId: usage[4]!.billingUserId,
      serverId: 99_001,
      tph: 7,
      tpm: 5000,
      createdAt: "2026-10-01T00:00:00Z",
      deletedAt: null,
      ips: { count: 9e15, tph: 10, tpm: 50_000 },
    });
    const failure = runBilling({
      ctx,
      input: { period: "2026-10" },
      options: { source: new MemoryUsageSource([...usage, huge]) },
    });
    await expect(failure).rejects.toMatchObject({
      code: "CONFLICT",
      message: `server 99001 (server-99001, billing user ${huge.billingUserId}) on plan 7/5000 counts ${5000n + 7440n * 9_000_000_000_000_000n} tokens over 744 h with 9000000000000000 additional IPs, more than the books hold (9223372036854775807); check the plan's prices and the server's figures in SolusIO`,
    });
    const run = await handle.db
      .selectFrom("billing_run")
      .select(["state", "phase"])
      .executeTakeFirstOrThrow();
    expect(run).toEqual({ state: "failed", phase: "importing" });
    expect(await invoicesOf(handle)).toEqual([]);
  });

  it("tokenbill's own figures too large for the books are reported with the record, and SolusIO's are billed", async () => {
    const { ctx, usage, handle } = await setUpPeriod();
    const [customer] = await createCustomers(handle, [{ email: "ips@example.com", currency: "USD" }]);
    const reported = usageOf({
      billingUserId: customer!,
      serverId: 99_002,
      tph: 7,
      tpm: 5000,
      createdAt: "2026-10-01T00:00:00Z",
      deletedAt: null,
      ips: { count: 9e15, tph: 10, tpm: 50_000 },
    });
    // SolusIO bills the IPs at 500 tokens; by §2.2 they would come to 7,440 tokens each, past any bigint.
    const record = { ...reported, additionalIps: { ...reported.additionalIps, tokens: 500n } };
    const summary = await runBilling({
      ctx,
      input: { period: "2026-10" },
      options: { source: new MemoryUsageSource([...usage, record]) },
    });
    expect(summary.state).toBe("completed");
    const anomalies = await handle.db
      .selectFrom("billing_anomaly")
      .select(["kind", "message"])
      .where("server_id", "=", 99_002n)
      .execute();
    expect(anomalies).toEqual([
      {
        kind: "invalid_usage",
        message: `server 99002: tokenbill's own figures (5000 + ${7440n * 9_000_000_000_000_000n} IP + 0 backup tokens) are more than the books hold (9223372036854775807); billed as reported`,
      },
    ]);
    const [invoice] = await invoicesOf(handle).then((all) =>
      all.filter((i) => i.email === "ips@example.com"),
    );
    // The server's line at SolusIO's 5,000 tokens, the IPs' line at its 500.
    expect(invoice!.lines!.split(",").map((line) => line.split(":")[0])).toEqual(["5000", "500"]);
  });

  it("a re-run changes nothing; one that sees different usage reports the difference and keeps the invoice", async () => {
    const { ctx, usage, handle } = await setUpPeriod();
    await runBilling({
      ctx,
      input: { period: "2026-10" },
      options: { source: new MemoryUsageSource(usage) },
    });
    const before = await invoicesOf(handle);

    const same = await runBilling({
      ctx,
      input: { period: "2026-10" },
      options: { source: new MemoryUsageSource(usage) },
    });
    expect(same.invoices).toMatchObject({ created: 0, already_present: CUSTOMERS, finalized: 0 });
    expect(same.anomalies.total).toBe(0);

    const changed = usage.map((u, i) => (i === 0 ? { ...u, tokens: u.tokens + 1000n } : u));
    let runId = "";
    const other = await runBilling({
      ctx,
      input: { period: "2026-10" },
      options: { source: new MemoryUsageSource(changed), onStart: (r) => (runId = r.id) },
    });
    expect(other.anomalies.by_kind).toEqual({ invoice_differs: 1, token_mismatch: 1 });
    const differs = await handle.db
      .selectFrom("billing_anomaly")
      .selectAll()
      .where("billing_run_id", "=", runId)
      .where("kind", "=", "invoice_differs")
      .executeTakeFirstOrThrow();
    expect(differs.details).toMatchObject({
      number: "INV-2026-000001",
      status: "finalized",
      tokens: {
        now: Number(before[0]!.lines!.split(",").reduce((a, l) => a + Number(l.split(":")[0]), 0)) + 1000,
      },
      // Lines are named by kind, server and plan (a resized server has a line per plan).
      lines: [
        { line: expect.stringMatching(`^server:${usage[0]!.server.id} plan:\\d+$`), change: "changed" },
      ],
      // More tokens, a larger discount: its amount changed, its multiplier did not.
      discounts: [{ name: "loyal", change: "changed", multiplier: { stored: "0.9", now: "0.9" } }],
    });
    expect(await invoicesOf(handle)).toEqual(before);
  });

  it("the database refuses to change a finalized invoice, add lines to it, delete it, or bill a period twice", async () => {
    const { ctx, usage, handle } = await setUpPeriod();
    await runBilling({
      ctx,
      input: { period: "2026-10" },
      options: { source: new MemoryUsageSource(usage) },
    });
    const invoice = await handle.db
      .selectFrom("invoice")
      .selectAll()
      .orderBy("customer_id")
      .executeTakeFirstOrThrow();
    await expect(
      handle.db
        .updateTable("invoice")
        .set({ total: invoice.total + 1n, net: invoice.net + 1n })
        .where("id", "=", invoice.id)
        .execute(),
    ).rejects.toThrow(/cannot change/);
    await expect(
      handle.db
        .updateTable("invoice")
        .set({ status: "draft", number: null, number_sequence: null, number_value: null })
        .where("id", "=", invoice.id)
        .execute(),
    ).rejects.toThrow(/cannot go from finalized to draft/);
    await expect(handle.db.deleteFrom("invoice").where("id", "=", invoice.id).execute()).rejects.toThrow(
      /cannot be deleted/,
    );
    await expect(
      handle.db
        .updateTable("invoice_line")
        .set({ tokens: 1n })
        .where("invoice_id", "=", invoice.id)
        .execute(),
    ).rejects.toThrow(/are final/);
    const line = await handle.db
      .selectFrom("invoice_line")
      .selectAll()
      .where("invoice_id", "=", invoice.id)
      .executeTakeFirstOrThrow();
    await expect(
      handle.db
        .insertInto("invoice_line")
        .values({ ...line, position: 99 })
        .execute(),
    ).rejects.toThrow(/not a draft/);
    await expect(
      handle.db
        .insertInto("invoice")
        .values({
          ...invoice,
          id: "inv_0123",
          number: null,
          number_sequence: null,
          number_value: null,
          status: "draft",
          currency: JSON.stringify(invoice.currency),
          discounts: "[]",
          taxes: "[]",
        })
        .execute(),
    ).rejects.toThrow(/invoice_customer_period_unique/);
  });
});
