import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendPid, untilLockWaiters } from "../../../test/helpers/lock-waiters.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { changeStaffRole, createStaffUser, disableStaffUser } from "./staff-users.ts";

// The last enabled owner stays, also when two owners demote or disable each other at the same moment: each
// verb locks every enabled owner before it counts them, so the second waits for the first and is refused.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const PW = "a long enough password";
const onPostgres = process.env["DATABASE_URL"] !== undefined;

/** A context of `db` acting as staff user `id` (committing: the concurrent case needs two connections). */
function as(db: ServiceContext["db"], id: string): ServiceContext {
  return {
    db,
    config: parseConfig({ LOG_LEVEL: "silent" }),
    logger: pino({ level: "silent" }),
    actor: actors.staff(id),
    now: () => new Date("2026-11-29T12:00:00Z"),
  };
}

describe("the last owner", () => {
  it("cannot be demoted or disabled by the other owner after the first owner went (one after the other)", async () => {
    await withRollback(handle.db, async (ctx) => {
      const make = async (email: string) =>
        (await createStaffUser({ ctx, input: { email, role: "owner", password: PW } })).id;
      const [a, b, c] = [
        await make("a@example.com"),
        await make("b@example.com"),
        await make("c@example.com"),
      ];
      await changeStaffRole({ ctx: { ...ctx, actor: actors.staff(a) }, input: { id: b, role: "admin" } });
      await disableStaffUser({ ctx: { ...ctx, actor: actors.staff(a) }, input: { id: c } });
      await expect(
        changeStaffRole({ ctx: { ...ctx, actor: actors.staff(a) }, input: { id: a, role: "admin" } }),
      ).rejects.toMatchObject({ code: "CONFLICT" });
      await expect(
        disableStaffUser({ ctx: { ...ctx, actor: actors.staff(a) }, input: { id: a } }),
      ).rejects.toMatchObject({ code: "CONFLICT", message: "the last owner cannot be disabled" });
      const owners = await ctx.db
        .selectFrom("staff_user")
        .select("id")
        .where("role", "=", "owner")
        .where("disabled_at", "is", null)
        .execute();
      expect(owners.map((o) => o.id)).toEqual([a]);
    });
  });

  // Two connections at once: PGlite has one, so this runs on PostgreSQL only (the `db` project with DATABASE_URL).
  const cases = [
    ["demote each other", "role", "role"],
    ["one disables, the other demotes", "disable", "role"],
    ["disable each other", "disable", "disable"],
  ] as const;
  for (const [name, first, second] of cases) {
    it.skipIf(!onPostgres)(
      `stays when two owners ${name} at once: the second waits and is refused`,
      async () => {
        const setup = as(handle.db, "");
        const make = async (email: string) =>
          (
            await createStaffUser({
              ctx: { ...setup, actor: actors.cli() },
              input: { email, role: "owner", password: PW },
            })
          ).id;
        const a = await make(`a-${first}-${second}@example.com`);
        const b = await make(`b-${first}-${second}@example.com`);
        // Leave every other owner (from the cases before) out of the count.
        await handle.db
          .updateTable("staff_user")
          .set({ disabled_at: new Date() })
          .where("role", "=", "owner")
          .where("id", "not in", [a, b])
          .execute();
        const act = (kind: "role" | "disable", ctx: ServiceContext, id: string) =>
          kind === "role"
            ? changeStaffRole({ ctx, input: { id, role: "admin" } })
            : disableStaffUser({ ctx, input: { id } });

        let secondOutcome: Promise<unknown> | undefined;
        await handle.db.transaction().execute(async (trx) => {
          // A removes B and holds its transaction open until B's own attempt waits on a lock of it.
          await act(first, as(trx, a), b);
          const holder = await backendPid(trx);
          secondOutcome = act(second, as(handle.db, b), a);
          secondOutcome.catch(() => {});
          // Waiting is seen in PostgreSQL's own view, not guessed from a sleep; without the lock the
          // second verb would finish instead, and the test go on to find no owner left.
          await untilLockWaiters(
            handle.db,
            holder,
            1,
            "the second verb to wait for the first's lock",
            secondOutcome,
          );
        });
        await expect(secondOutcome).rejects.toMatchObject({ code: "CONFLICT" });
        const owners = await handle.db
          .selectFrom("staff_user")
          .select("id")
          .where("role", "=", "owner")
          .where("disabled_at", "is", null)
          .execute();
        expect(owners.map((o) => o.id)).toEqual([a]);
      },
    );
  }
});
