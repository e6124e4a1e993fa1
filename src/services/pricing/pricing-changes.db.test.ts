import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { insertCustomerRow } from "../../../test/helpers/service-test.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { currentPosition, prunePricingChanges, readPricingChanges } from "./pricing-changes.ts";

// The pricing_change log is what tells every instance which in-memory prices are stale: the triggers must
// record exactly who is affected, a reader must never skip a committed change, and pruning must never
// remove a change from under a reader without telling it.

let handle: DatabaseHandle;

const customer = (values: Parameters<typeof insertCustomerRow>[1] = {}) =>
  insertCustomerRow(handle.db, values);

beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

describe("pricing_change triggers", () => {
  it("record the customer, the group or everyone, and nothing for a status change", async () => {
    const group = (
      await handle.db
        .insertInto("client_group")
        .values({ name: "log group", description: "" })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
    const c = await customer();
    let since = await currentPosition(handle.db);
    const read = async () => {
      const changes = await readPricingChanges(handle.db, since, 100);
      since = changes.position;
      return { customers: [...changes.customers], groups: [...changes.groups], shared: changes.shared };
    };

    await handle.db
      .updateTable("customer")
      .set({ status: "locked", name: "x" })
      .where("id", "=", c)
      .execute();
    await handle.db.updateTable("customer").set({ country: "DE" }).where("id", "=", c).execute();
    expect(await read()).toEqual({ customers: [], groups: [], shared: false });

    await handle.db.updateTable("customer").set({ client_group_id: group }).where("id", "=", c).execute();
    expect(await read()).toEqual({ customers: [c], groups: [], shared: false });

    await handle.db
      .insertInto("discount")
      .values({
        name: "Group",
        description: "",
        multiplier: "0.9",
        client_group_id: group,
        customer_id: null,
        position: 0,
      })
      .execute();
    expect(await read()).toEqual({ customers: [], groups: [group], shared: false });

    await handle.db
      .insertInto("discount")
      .values({
        name: "Own",
        description: "",
        multiplier: "0.8",
        client_group_id: null,
        customer_id: c,
        position: 0,
      })
      .execute();
    expect(await read()).toEqual({ customers: [c], groups: [], shared: false });

    await handle.db.updateTable("currency").set({ display_suffix: " " }).where("code", "=", "EUR").execute();
    expect(await read()).toEqual({ customers: [], groups: [], shared: true });

    const rule = (
      await handle.db
        .insertInto("tax_rule")
        .values({ name: "FR", compound: false, country: "FR", region: null, is_default: false })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
    expect((await read()).shared).toBe(true);
    await handle.db
      .insertInto("tax_rate")
      .values({ tax_rule_id: rule, position: 0, label: "VAT", rate: "20" })
      .execute();
    expect((await read()).shared).toBe(true);

    // Deleting the customer cascades to its own discount: both concern only that customer.
    await handle.db.deleteFrom("customer").where("id", "=", c).execute();
    expect(await read()).toEqual({ customers: [c], groups: [], shared: false });
    // Nothing new: a change is returned once.
    expect(await read()).toEqual({ customers: [], groups: [], shared: false });
  });

  it("reports more changes than asked for as too many", async () => {
    const since = await currentPosition(handle.db);
    await sql`insert into customer (email, country, currency_code)
              select 'bulk' || n || '@example.com', 'DE', 'USD' from generate_series(1, 11) n`.execute(
      handle.db,
    );
    expect((await readPricingChanges(handle.db, since, 10)).tooMany).toBe(true);
    expect((await readPricingChanges(handle.db, since, 11)).tooMany).toBe(false);
  });
});

describe("readPricingChanges", () => {
  // Two sessions are needed to commit out of id order; PGlite has one, so this runs on PostgreSQL.
  it.runIf(process.env["DATABASE_URL"])(
    "returns a change whose transaction commits after a later id was read",
    async () => {
      const [a, b] = [await customer(), await customer()];
      let since = await currentPosition(handle.db);
      let wrote!: () => void;
      const written = new Promise<void>((resolve) => (wrote = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const slow = handle.db.transaction().execute(async (trx) => {
        await trx.updateTable("customer").set({ country: "FR" }).where("id", "=", a).execute();
        wrote();
        await released;
      });
      await written;
      await handle.db.updateTable("customer").set({ country: "FR" }).where("id", "=", b).execute();
      const first = await readPricingChanges(handle.db, since, 100);
      expect([...first.customers]).toEqual([b]);
      since = first.position;

      release();
      await slow;
      const ids = await handle.db
        .selectFrom("pricing_change")
        .select(["id", "customer_id"])
        .where("customer_id", "in", [a, b])
        .orderBy("id")
        .execute();
      // The premise: a's change has the smaller id, and it was not visible when b's was read.
      expect(ids.map((r) => r.customer_id).slice(-2)).toEqual([a, b]);
      expect([...(await readPricingChanges(handle.db, since, 100)).customers]).toEqual([a]);
    },
  );
});

describe("prunePricingChanges", () => {
  it("removes old changes and tells only a reader that had not seen them", async () => {
    const c = await customer();
    const behind = await currentPosition(handle.db);
    await handle.db.updateTable("customer").set({ country: "NL" }).where("id", "=", c).execute();
    const changeOf = () =>
      handle.db.selectFrom("pricing_change").select("id").where("customer_id", "=", c).execute();
    expect((await changeOf()).length).toBe(2);

    // Retention 0: each call moves the horizon to the oldest running transaction. On a shared PostgreSQL
    // another session's transaction (another test file's, in the same cluster) may hold it back for seconds
    // (a CI run failed after 200 tries, about 3 s), so prune until the change has gone, for up to a minute.
    let upToDate = await currentPosition(handle.db);
    await prunePricingChanges(handle.db, 0);
    const giveUpAt = Date.now() + 60_000;
    while (Date.now() < giveUpAt && (await changeOf()).length > 0) {
      upToDate = await currentPosition(handle.db);
      await prunePricingChanges(handle.db, 0);
      if ((await changeOf()).length > 0) await new Promise((r) => setTimeout(r, 10));
    }
    expect(await changeOf()).toEqual([]);

    expect((await readPricingChanges(handle.db, behind, 100)).behind).toBe(true);
    const fresh = await readPricingChanges(handle.db, upToDate, 100);
    expect(fresh.behind).toBe(false);
    expect(fresh.customers.has(c)).toBe(false);
  });

  it("does nothing while the last horizon is younger than the retention", async () => {
    await prunePricingChanges(handle.db, 0);
    const c = await customer();
    expect(await prunePricingChanges(handle.db, 3_600_000)).toBe(0n);
    expect(
      await handle.db.selectFrom("pricing_change").select("id").where("customer_id", "=", c).execute(),
    ).toHaveLength(1);
  });
});
