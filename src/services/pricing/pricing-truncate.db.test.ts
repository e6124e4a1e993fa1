import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTaxRule } from "../../billing/testing/billing-fixtures.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { insertCustomerRow } from "../../../test/helpers/service-test.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { PricingIndex } from "./pricing-index.ts";

// TRUNCATE fires no row trigger: until migration 028 `truncate discount` (or any table pricing reads) left
// every index answering with the deleted rows until a restart. Each case empties one table under a loaded
// index and expects the next check to reload everything. A file of its own: the cases empty shared tables.

let handle: DatabaseHandle;
let now = 0;
const clock = () => now;

const answer = async (index: PricingIndex, id: bigint) => JSON.parse(await index.json(id));
const truncate = (table: string) => sql.raw(`truncate ${table} cascade`).execute(handle.db);

const taxRule = (country: string, rate: string) =>
  createTaxRule(handle, { name: country, compound: false, country, rates: [{ label: "VAT", rate }] });

async function ownDiscount(customerId: bigint): Promise<void> {
  await handle.db
    .insertInto("discount")
    .values({
      name: "Own",
      description: "",
      multiplier: "0.5",
      customer_id: customerId,
      client_group_id: null,
      position: 0,
    })
    .execute();
}

beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

describe("a TRUNCATE of a table pricing reads", () => {
  it("of discount: the next check drops every discount", async () => {
    const c = await insertCustomerRow(handle.db, { country: "GB" });
    await ownDiscount(c);
    const index = new PricingIndex(handle.db, 0, undefined, clock);
    expect((await answer(index, c)).discounts).toHaveLength(1);
    await truncate("discount");
    expect((await answer(index, c)).discounts).toEqual([]);
    expect(index.stats.fullReloads).toBe(2);
  });

  it("of tax_rate, then tax_rule: the next check drops the rates, then the rule", async () => {
    await taxRule("NL", "21");
    const c = await insertCustomerRow(handle.db, { country: "NL" });
    const index = new PricingIndex(handle.db, 0, undefined, clock);
    expect((await answer(index, c)).taxes.rates).toEqual([{ label: "VAT", rate: 21 }]);
    await truncate("tax_rate");
    expect((await answer(index, c)).taxes.rates).toEqual([]);
    await handle.db
      .insertInto("tax_rate")
      .values({
        tax_rule_id: (await handle.db.selectFrom("tax_rule").select("id").executeTakeFirstOrThrow()).id,
        position: 0,
        label: "VAT",
        rate: "9",
      })
      .execute();
    expect((await answer(index, c)).taxes.rates).toEqual([{ label: "VAT", rate: 9 }]);
    // Cascades to tax_rate; customer.tax_rule_id may refer to a rule, so customers go too.
    await truncate("tax_rule");
    await expect(index.json(c)).rejects.toThrow(/not found/);
  });

  it("of customer: the next check finds none of them", async () => {
    const c = await insertCustomerRow(handle.db, { country: "GB" });
    const index = new PricingIndex(handle.db, 0, undefined, clock);
    expect((await answer(index, c)).currency.code).toBe("USD");
    await truncate("customer");
    await expect(index.json(c)).rejects.toThrow(/not found/);
  });

  it("of the change log itself: a change it held is not lost", async () => {
    const c = await insertCustomerRow(handle.db, { country: "GB" });
    const index = new PricingIndex(handle.db, 1000, undefined, clock);
    expect((await answer(index, c)).discounts).toEqual([]);
    await ownDiscount(c);
    await truncate("pricing_change");
    now += 1000;
    expect((await answer(index, c)).discounts).toHaveLength(1);
  });

  it("of currency: the next check finds no customer of it", async () => {
    const c = await insertCustomerRow(handle.db, { country: "GB", currency: "EUR" });
    const index = new PricingIndex(handle.db, 0, undefined, clock);
    expect((await answer(index, c)).currency.code).toBe("EUR");
    await truncate("currency");
    await expect(index.json(c)).rejects.toThrow(/not found/);
  });
});
