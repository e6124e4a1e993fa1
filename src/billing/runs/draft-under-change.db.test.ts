import { afterEach, describe, expect, it } from "vitest";
import { actors } from "../../kernel/actor.ts";
import { updateCurrency } from "../../services/currencies/currencies.ts";
import { deleteCustomer, updateCustomer } from "../../services/customers/customers.ts";
import { BATCH, closePeriodDatabases, invoicesOf, setUpPeriod } from "../testing/period-fixtures.ts";
import { MemoryUsageSource } from "../usage/memory-usage-source.ts";
import { runBilling } from "./run-billing.ts";

// Staff may change a customer while a run drafts its batch: between the batch's read of its customers and the
// transaction that writes its drafts. A never-invoiced customer's currency may still change then, and a
// customer without invoices may be deleted (customers.ts). The draft must follow what holds when it is written.

afterEach(closePeriodDatabases);

describe("a customer changed while its batch is drafted", () => {
  it("a currency changed between the read and the write: the invoice is in the new currency", async () => {
    const { ctx, usage, handle } = await setUpPeriod();
    const customers = await handle.db
      .selectFrom("customer")
      .select(["id", "currency_code"])
      .orderBy("id")
      .execute();
    // The second batch's first customer, billed in USD when the batch was read.
    const target = customers[BATCH + 1]!;
    expect(target.currency_code).toBe("USD");
    const staff = { ...ctx, actor: actors.cli() };
    const run = await runBilling({
      ctx,
      input: { period: "2026-10" },
      options: {
        source: new MemoryUsageSource(usage),
        faults: {
          beforeDraftWrite: async (ids) => {
            if (ids.includes(target.id))
              await updateCustomer({ ctx: staff, input: { id: target.id, patch: { currency: "EUR" } } });
          },
        },
      },
    });
    expect(run.state).toBe("completed");
    const invoice = await handle.db
      .selectFrom("invoice")
      .select(["currency_code", "total"])
      .where("customer_id", "=", target.id)
      .executeTakeFirstOrThrow();
    expect(invoice.currency_code).toBe("EUR");
    // Every invoice is in its customer's currency, and the change is refused from now on.
    const mismatched = await handle.db
      .selectFrom("invoice")
      .innerJoin("customer", "customer.id", "invoice.customer_id")
      .select("invoice.id")
      .whereRef("invoice.currency_code", "<>", "customer.currency_code")
      .execute();
    expect(mismatched).toEqual([]);
    await expect(
      updateCustomer({ ctx: staff, input: { id: target.id, patch: { currency: "USD" } } }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("a customer deleted between the read and the write: the rest are invoiced and the deletion reported", async () => {
    const { ctx, usage, handle } = await setUpPeriod();
    const ids = (await handle.db.selectFrom("customer").select("id").orderBy("id").execute()).map(
      (r) => r.id,
    );
    const target = ids[BATCH + 2]!;
    const staff = { ...ctx, actor: actors.cli() };
    const run = await runBilling({
      ctx,
      input: { period: "2026-10" },
      options: {
        source: new MemoryUsageSource(usage),
        faults: {
          beforeDraftWrite: async (batch) => {
            if (batch.includes(target)) await deleteCustomer({ ctx: staff, input: { id: target } });
          },
        },
      },
    });
    expect(run.state).toBe("completed");
    expect((await invoicesOf(handle)).length).toBe(ids.length - 1);
    const anomalies = await handle.db
      .selectFrom("billing_anomaly")
      .select(["kind", "billing_user_id", "message"])
      .execute();
    expect(anomalies).toEqual([
      {
        kind: "unknown_billing_user",
        billing_user_id: target,
        message: `customer ${target} was deleted while the run drafted; its usage of the period is not invoiced`,
      },
    ]);
  });

  it("a currency's exponent changed between the read and the write: the run stops, and the next one prices in it", async () => {
    const { ctx, usage, handle } = await setUpPeriod();
    const staff = { ...ctx, actor: actors.cli() };
    const source = new MemoryUsageSource(usage);
    let changed = false;
    await expect(
      runBilling({
        ctx,
        input: { period: "2026-10" },
        options: {
          source,
          faults: {
            // Before the first batch is written nothing is held in EUR, so the change is allowed.
            beforeDraftWrite: async () => {
              if (changed) return;
              changed = true;
              await updateCurrency({ ctx: staff, input: { code: "EUR", patch: { exponent: 3 } } });
            },
          },
        },
      }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
      message:
        "currency EUR's exponent changed to 3 while this run priced in 2: run the period again, which prices in the new one",
    });
    expect(
      await handle.db.selectFrom("invoice").select("id").where("currency_code", "=", "EUR").execute(),
    ).toEqual([]);

    const again = await runBilling({ ctx, input: { period: "2026-10" }, options: { source } });
    expect(again.state).toBe("completed");
    const eur = await handle.db
      .selectFrom("invoice")
      .select("currency")
      .where("currency_code", "=", "EUR")
      .execute();
    expect(eur.length).toBeGreaterThan(0);
    expect(new Set(eur.map((i) => (i.currency as { exponent: number }).exponent))).toEqual(new Set([3]));
  });
});
