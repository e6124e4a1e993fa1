import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { withRollback } from "../../test/helpers/with-rollback.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { createClientGroup } from "../services/client-groups/client-groups.ts";
import { createCustomer, getCustomer } from "../services/customers/customers.ts";
import { withTransaction } from "./transaction.ts";

// Verbs compose: given a context that holds a transaction, a verb joins it, so several
// verbs commit or roll back together; alone, a verb still commits by itself.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const countCustomers = async () =>
  Number(
    (
      await handle.db
        .selectFrom("customer")
        .select((eb) => eb.fn.countAll<bigint>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );
const countAudit = async () =>
  Number(
    (
      await handle.db
        .selectFrom("audit_log")
        .select((eb) => eb.fn.countAll<bigint>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe("withTransaction", () => {
  it("runs two verbs in the caller's transaction: a failure after both undoes both, audit rows too", async () => {
    const [customersBefore, auditBefore] = [await countCustomers(), await countAudit()];
    await withRollback(handle.db, async (tx) => {
      const group = await createClientGroup({ ctx: tx, input: { name: "Composed", description: "" } });
      const customer = await createCustomer({
        ctx: tx,
        input: {
          email: "composed@example.com",
          name: "",
          country: "DE",
          region: null,
          currency: "EUR",
          tax_exempt: false,
          client_group_id: BigInt(group.id),
          tax_rule_id: null,
        },
      });
      // Inside the transaction both exist, and the verb read sees the other verb's write.
      expect((await getCustomer({ ctx: tx, input: { id: BigInt(customer.id) } })).client_group_id).toBe(
        group.id,
      );
    });
    expect([await countCustomers(), await countAudit()]).toEqual([customersBefore, auditBefore]);
  });

  it("opens its own transaction when the context holds none, and commits it", async () => {
    const ctx = {
      ...(await withRollback(handle.db, async (tx) => tx)),
      db: handle.db,
    };
    const before = await countAudit();
    await withTransaction(ctx, async (tx) => {
      expect(tx.db.isTransaction).toBe(true);
      await createClientGroup({ ctx: tx, input: { name: "Committed", description: "" } });
    });
    expect(await countAudit()).toBe(before + 1);
  });
});
