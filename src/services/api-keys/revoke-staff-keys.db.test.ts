import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditRows } from "../../../test/helpers/service-test.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import * as m026 from "../../db/migrations/026-api-key-creator.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import type { TxContext } from "../../kernel/transaction.ts";
import { changeStaffRole, createStaffUser, disableStaffUser } from "../staff/staff-users.ts";
import { authenticateAdminKey, createApiKey, hashApiKey } from "./api-keys.ts";

// A staff user's API keys end with their authority: disabled, the keys they created (and keys made with those)
// are revoked in the same transaction, audited; given a lower role, those of a role above the new one are;
// other keys stay.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const PW = "a long enough password";

/** An owner and an admin; the admin made a key in the console, and a second one with that key. */
async function adminWithKeys(ctx: TxContext) {
  const make = async (email: string, role: "owner" | "admin") =>
    (await createStaffUser({ ctx, input: { email, role, password: PW } })).id;
  const owner = await make("o@example.com", "owner");
  const admin = await make("a@example.com", "admin");
  const own = await createApiKey({ ctx: { ...ctx, actor: actors.staff(admin) }, input: { name: "backup" } });
  const chained = await createApiKey({
    ctx: { ...ctx, actor: actors.adminKey(own.id, "admin") },
    input: { name: "ci" },
  });
  const other = await createApiKey({
    ctx: { ...ctx, actor: actors.staff(owner) },
    input: { name: "owner's" },
  });
  const cli = await createApiKey({ ctx, input: { name: "host" } });
  return { owner, admin, own, chained, other, cli, asOwner: { ...ctx, actor: actors.staff(owner) } };
}

const works = async (ctx: TxContext, key: string) =>
  authenticateAdminKey(ctx, key).then(
    () => true,
    () => false,
  );

describe("a staff user's API keys", () => {
  it("name their creator, and are revoked with the user's disabling, keys made with them too", async () => {
    await withRollback(handle.db, async (ctx) => {
      const k = await adminWithKeys(ctx);
      expect([k.own.created_by, k.chained.created_by, k.other.created_by, k.cli.created_by]).toEqual([
        `staff:${k.admin}`,
        `apikey:${k.own.id}`,
        `staff:${k.owner}`,
        "system:test",
      ]);
      const done = await disableStaffUser({ ctx: k.asOwner, input: { id: k.admin } });
      expect(done).toMatchObject({ changed: true, api_keys_revoked: [k.own.id, k.chained.id] });
      expect(await Promise.all([k.own, k.chained, k.other, k.cli].map((key) => works(ctx, key.key)))).toEqual(
        [false, false, true, true],
      );
      // Audited like a revoke, by whoever disabled the user, in the same transaction.
      const revokes = (await auditRows(ctx.db)).filter((a) => a.action === "api_key.revoke");
      expect(revokes.map((a) => [a.entity_id, a.actor])).toEqual([
        [k.own.id, `staff:${k.owner}`],
        [k.chained.id, `staff:${k.owner}`],
      ]);
      expect(revokes[0]!.before).toMatchObject({ revoked_at: null, created_by: `staff:${k.admin}` });
      expect(revokes[0]!.after).toMatchObject({ revoked_at: "2026-11-29T12:00:00.000Z" });
    });
  });

  it("are revoked when the user gets a role below admin, and kept when an owner becomes an admin", async () => {
    await withRollback(handle.db, async (ctx) => {
      const k = await adminWithKeys(ctx);
      const second = (
        await createStaffUser({ ctx, input: { email: "o2@example.com", role: "owner", password: PW } })
      ).id;
      expect(await changeStaffRole({ ctx, input: { id: k.owner, role: "admin" } })).toMatchObject({
        api_keys_revoked: [],
      });
      expect(await works(ctx, k.other.key)).toBe(true);
      const demoted = await changeStaffRole({
        ctx: { ...ctx, actor: actors.staff(second) },
        input: { id: k.admin, role: "billing" },
      });
      expect(demoted).toMatchObject({ role: "billing", api_keys_revoked: [k.own.id, k.chained.id] });
      expect([await works(ctx, k.own.key), await works(ctx, k.chained.key)]).toEqual([false, false]);
      // Given back the admin role, the user does not get the keys back.
      await changeStaffRole({ ctx, input: { id: k.admin, role: "admin" } });
      expect(await works(ctx, k.own.key)).toBe(false);
    });
  });

  it.each([
    ["made billing keeps their billing and support keys", "billing", ["admin"]],
    ["made support keeps only their support key", "support", ["admin", "billing"]],
    ["disabled loses every key", undefined, ["admin", "billing", "support"]],
  ] as const)("of each role: a user %s", async (_, role, gone) => {
    await withRollback(handle.db, async (ctx) => {
      const k = await adminWithKeys(ctx);
      const asAdmin = { ...ctx, actor: actors.staff(k.admin) };
      const made: Record<string, { id: string; key: string }> = {};
      for (const keyRole of ["admin", "billing", "support"] as const)
        made[keyRole] = await createApiKey({ ctx: asAdmin, input: { name: keyRole, role: keyRole } });
      const done =
        role === undefined
          ? await disableStaffUser({ ctx: k.asOwner, input: { id: k.admin } })
          : await changeStaffRole({ ctx: k.asOwner, input: { id: k.admin, role } });
      // The user's earlier admin keys (adminWithKeys) go in every case; of the three, those above the new role.
      const revoked = done.api_keys_revoked.filter((id) => id !== k.own.id && id !== k.chained.id);
      expect(revoked.sort()).toEqual(gone.map((r) => made[r]!.id).sort());
      const working = [];
      for (const keyRole of ["admin", "billing", "support"])
        if (await works(ctx, made[keyRole]!.key)) working.push(keyRole);
      expect(working).toEqual(
        ["admin", "billing", "support"].filter((r) => !(gone as readonly string[]).includes(r)),
      );
    });
  });

  it("still active for a user disabled before creators were recorded, are revoked by disabling again", async () => {
    await withRollback(handle.db, async (ctx) => {
      const k = await adminWithKeys(ctx);
      await disableStaffUser({ ctx, input: { id: k.admin } });
      // A key the migration attributed to the user after the user had been disabled.
      const key = "tbk_0123456789ab_left-from-before";
      await ctx.db
        .insertInto("api_key")
        .values({
          id: "key_0123456789ab",
          name: "old",
          key_hash: hashApiKey(key),
          created_at: ctx.now(),
          created_by: `staff:${k.admin}`,
        })
        .execute();
      expect(await works(ctx, key)).toBe(true);
      const again = await disableStaffUser({ ctx, input: { id: k.admin } });
      expect(again).toMatchObject({ changed: false, api_keys_revoked: ["key_0123456789ab"] });
      expect(await works(ctx, key)).toBe(false);
    });
  });
});

describe("migration 026", () => {
  it("takes an existing key's creator from its api_key.create audit row, null when there is none", async () => {
    await withRollback(handle.db, async (ctx) => {
      const k = await adminWithKeys(ctx);
      await ctx.db
        .insertInto("api_key")
        .values({ id: "key_00000000000000aa", name: "unaudited", key_hash: "x", created_at: ctx.now() })
        .execute();
      // The migration run again on these rows (its statements take an untyped handle).
      const untyped = ctx.db as unknown as Kysely<unknown>;
      await m026.down(untyped);
      await m026.up(untyped);
      const rows = await ctx.db.selectFrom("api_key").select(["id", "created_by"]).orderBy("id").execute();
      expect(Object.fromEntries(rows.map((r) => [r.id, r.created_by]))).toEqual({
        [k.own.id]: `staff:${k.admin}`,
        [k.chained.id]: `apikey:${k.own.id}`,
        [k.other.id]: `staff:${k.owner}`,
        [k.cli.id]: "system:test",
        key_00000000000000aa: null,
      });
    });
  });
});
