import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";

// The database's own checks on the ledger (migrations 013, 017): at commit, every event's entries sum to
// zero within one customer and currency; entries are never changed. The services never write a bad event,
// so only writing rows by hand shows the checks are there.

let handle: DatabaseHandle;
let alice: bigint;
let bob: bigint;
beforeAll(async () => {
  handle = await createTestDatabase();
  const ids = await createCustomers(handle, [{ email: "l1@example.com" }, { email: "l2@example.com" }]);
  [alice, bob] = [ids[0]!, ids[1]!];
});
afterAll(async () => handle?.close());

type Entry = [event: string, customer: bigint, currency: string, account: string, amount: bigint];
const post = (entries: Entry[]) =>
  handle.db.transaction().execute(async (trx) => {
    for (const [event, customer, currency, account, amount] of entries) {
      await sql`INSERT INTO ledger_entry (event_id, event_kind, customer_id, currency_code, account, amount)
        VALUES (${event}, 'opening', ${customer}, ${currency}, ${account}, ${amount})`.execute(trx);
    }
  });

const entriesOf = async (event: string) =>
  (
    await sql<{ n: string }>`SELECT count(*)::text AS n FROM ledger_entry WHERE event_id = ${event}`.execute(
      handle.db,
    )
  ).rows[0]!.n;

describe("the ledger's own checks", () => {
  it("accept an event that sums to zero for one customer and currency", async () => {
    await post([
      ["ok:1", alice, "USD", "cash", 500n],
      ["ok:1", alice, "USD", "credit", -500n],
    ]);
    expect(await entriesOf("ok:1")).toBe("2");
  });

  it("refuse at commit an event that does not sum to zero, and write none of it", async () => {
    await expect(
      post([
        ["bad:1", alice, "USD", "cash", 500n],
        ["bad:1", alice, "USD", "credit", -499n],
      ]),
    ).rejects.toThrow(/ledger event bad:1 does not sum to zero/);
    expect(await entriesOf("bad:1")).toBe("0");
  });

  it("refuse an event that spans customers or currencies even when it sums to zero", async () => {
    await expect(
      post([
        ["bad:2", alice, "USD", "cash", 500n],
        ["bad:2", bob, "USD", "credit", -500n],
      ]),
    ).rejects.toThrow(/ledger event bad:2 spans customers or currencies/);
    await expect(
      post([
        ["bad:3", alice, "USD", "cash", 500n],
        ["bad:3", alice, "EUR", "credit", -500n],
      ]),
    ).rejects.toThrow(/ledger event bad:3 spans customers or currencies/);
  });

  it("refuse a change to a posted entry", async () => {
    await expect(
      sql`UPDATE ledger_entry SET amount = 1 WHERE event_id = 'ok:1' AND account = 'cash'`.execute(handle.db),
    ).rejects.toThrow(/never changed or deleted/);
  });
});
