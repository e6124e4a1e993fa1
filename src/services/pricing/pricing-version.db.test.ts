import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { PricingIndex } from "./pricing-index.ts";

// The pricing_version trigger is what tells other instances that their in-memory prices are stale.

let handle: DatabaseHandle;
const version = async () =>
  (await handle.db.selectFrom("pricing_version").select("version").executeTakeFirstOrThrow()).version;

beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

describe("pricing_version", () => {
  it("moves on every change to a pricing input, and not on a status change", async () => {
    const v0 = await version();
    const c = await handle.db
      .insertInto("customer")
      .values({
        email: "v@example.com",
        name: "",
        country: "DE",
        currency_code: "EUR",
        tax_exempt: false,
        status: "active",
        client_group_id: null,
        tax_rule_id: null,
        region: null,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const v1 = await version();
    expect(v1).toBeGreaterThan(v0);
    await handle.db.updateTable("customer").set({ status: "locked" }).where("id", "=", c.id).execute();
    expect(await version()).toBe(v1);
    await handle.db.updateTable("customer").set({ tax_exempt: true }).where("id", "=", c.id).execute();
    const v2 = await version();
    expect(v2).toBeGreaterThan(v1);
    await handle.db
      .updateTable("currency")
      .set({ token_unit_cost: "0.002" })
      .where("code", "=", "EUR")
      .execute();
    expect(await version()).toBeGreaterThan(v2);
  });

  it("lets an index with a long refresh interval pick up a change once invalidated", async () => {
    const c = await handle.db
      .insertInto("customer")
      .values({
        email: "w@example.com",
        name: "",
        country: "DE",
        currency_code: "USD",
        tax_exempt: false,
        status: "active",
        client_group_id: null,
        tax_rule_id: null,
        region: null,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const index = new PricingIndex(handle.db, 3_600_000);
    expect(JSON.parse(await index.json(c.id)).user_token_unit_cost).toBe(0.001);
    await handle.db
      .updateTable("currency")
      .set({ token_unit_cost: "0.003" })
      .where("code", "=", "USD")
      .execute();
    // Within the refresh interval the answer may be stale; that is the documented bound.
    expect(JSON.parse(await index.json(c.id)).user_token_unit_cost).toBe(0.001);
    index.invalidate();
    expect(JSON.parse(await index.json(c.id)).user_token_unit_cost).toBe(0.003);
    await expect(index.json(999_999n)).rejects.toThrow(/not found/);
  });
});
