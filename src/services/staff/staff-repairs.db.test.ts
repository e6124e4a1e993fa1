import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { type Actor, actors } from "../../kernel/actor.ts";
import type { TxContext } from "../../kernel/transaction.ts";
import { authenticateStaff, beginTotpEnrolment, confirmTotpEnrolment } from "./staff-login.ts";
import { enableStaffUser, resetStaffTwoFactor, setStaffPassword } from "./staff-repairs.ts";
import { createStaffUser, disableStaffUser, getStaffUser } from "./staff-users.ts";
import { totpCodeAt } from "./totp.ts";
import { readSession, startSession } from "./web-sessions.ts";

// Repairing a staff account (a lost phone, a forgotten password, a user disabled and back): admin-only, an
// admin not for an owner, audited, and a new password or a second factor turned off ends the sessions.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const PW = "a long enough password";

/** An owner, an admin and a support user; `as` gives a context acting as one of them. */
async function people(ctx: TxContext) {
  const make = async (email: string, role: "owner" | "admin" | "support") =>
    (await createStaffUser({ ctx, input: { email, role, password: PW } })).id;
  const owner = await make("o@example.com", "owner");
  const admin = await make("a@example.com", "admin");
  const support = await make("s@example.com", "support");
  const as = (actor: Actor) => ({ ...ctx, actor });
  const audits = async (id: string) =>
    (
      await ctx.db
        .selectFrom("audit_log")
        .select(["action", "actor", "before", "after"])
        .where("entity_id", "=", id)
        .orderBy("id")
        .execute()
    ).slice(1); // after the create
  return { owner, admin, support, as, audits };
}

describe("staff account repairs", () => {
  it("turns a lost phone's two-factor login off, ends the sessions, and says when it was off already", async () => {
    await withRollback(handle.db, async (ctx) => {
      const { owner, support, admin, as, audits } = await people(ctx);
      const { secret } = await beginTotpEnrolment({ ctx: as(actors.staff(support)), input: {} });
      await confirmTotpEnrolment({
        ctx: as(actors.staff(support)),
        input: { code: await totpCodeAt(secret, ctx.now()) },
      });
      expect((await authenticateStaff(ctx, { email: "s@example.com", password: PW })).totpRequired).toBe(
        true,
      );
      const { token } = await startSession(ctx, { kind: "staff", staffUserId: support });
      // Support may not repair anyone, an admin not an owner.
      await expect(
        resetStaffTwoFactor({ ctx: as(actors.staff(support)), input: { id: support } }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(
        resetStaffTwoFactor({ ctx: as(actors.staff(admin)), input: { id: owner } }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });

      const off = await resetStaffTwoFactor({ ctx: as(actors.staff(admin)), input: { id: support } });
      expect(off).toMatchObject({ id: support, totp_enabled: false, changed: true });
      expect(await readSession(ctx, token, "staff")).toBeUndefined();
      expect((await authenticateStaff(ctx, { email: "s@example.com", password: PW })).totpRequired).toBe(
        false,
      );
      const row = await ctx.db
        .selectFrom("staff_user")
        .select(["totp_secret", "totp_last_step"])
        .where("id", "=", support)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ totp_secret: null, totp_last_step: null });
      // They may enrol again.
      await beginTotpEnrolment({ ctx: as(actors.staff(support)), input: {} });

      const again = await resetStaffTwoFactor({ ctx: as(actors.staff(admin)), input: { id: support } });
      expect(again.changed).toBe(false);
      expect(await audits(support)).toEqual([
        {
          action: "staff_user.update",
          actor: expect.any(String),
          before: { totp_enabled: false },
          after: { totp_enabled: true },
        },
        {
          action: "staff_user.update",
          actor: `staff:${admin}`,
          before: { totp_enabled: true },
          after: { totp_enabled: false },
        },
      ]);
      await expect(resetStaffTwoFactor({ ctx, input: { id: "stf_00" } })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
    });
  });

  it("resets a password to a one-time one, shown once, and ends the sessions", async () => {
    await withRollback(handle.db, async (ctx) => {
      const { owner, admin, support, as, audits } = await people(ctx);
      const { token } = await startSession(ctx, { kind: "staff", staffUserId: support });
      await expect(
        setStaffPassword({ ctx: as(actors.staff(admin)), input: { id: owner } }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
      const reset = await setStaffPassword({ ctx: as(actors.staff(admin)), input: { id: support } });
      expect(reset.password).toHaveLength(24);
      expect(await readSession(ctx, token, "staff")).toBeUndefined();
      await expect(authenticateStaff(ctx, { email: "s@example.com", password: PW })).rejects.toMatchObject({
        code: "UNAUTHORIZED",
      });
      await authenticateStaff(ctx, { email: "s@example.com", password: reset.password! });
      // The CLI (the only owner locked out) may reset an owner's.
      expect(await setStaffPassword({ ctx, input: { id: owner, password: "owner's new password" } })).toEqual(
        {
          id: owner,
        },
      );
      const trail = await audits(support);
      expect(trail).toEqual([
        {
          action: "staff_user.update",
          actor: `staff:${admin}`,
          before: { password: "set" },
          after: { password: "reset to a one-time password" },
        },
      ]);
      expect(JSON.stringify(trail)).not.toContain(reset.password);
    });
  });

  it("enables a disabled user, and says when a user already was enabled or disabled", async () => {
    await withRollback(handle.db, async (ctx) => {
      const { owner, admin, support, as, audits } = await people(ctx);
      const asAdmin = as(actors.staff(admin));
      expect((await disableStaffUser({ ctx: asAdmin, input: { id: support } })).changed).toBe(true);
      expect((await disableStaffUser({ ctx: asAdmin, input: { id: support } })).changed).toBe(false);
      await expect(authenticateStaff(ctx, { email: "s@example.com", password: PW })).rejects.toMatchObject({
        code: "UNAUTHORIZED",
      });
      await expect(
        enableStaffUser({ ctx: as(actors.staff(support)), input: { id: support } }),
      ).rejects.toMatchObject({ code: "UNAUTHORIZED" });
      const enabled = await enableStaffUser({ ctx: asAdmin, input: { id: support } });
      expect(enabled).toMatchObject({ disabled_at: null, changed: true });
      await authenticateStaff(ctx, { email: "s@example.com", password: PW });
      expect((await enableStaffUser({ ctx: asAdmin, input: { id: support } })).changed).toBe(false);
      await expect(enableStaffUser({ ctx: asAdmin, input: { id: owner } })).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
      // One audit row for each change, none for the calls that found nothing to do.
      expect(
        (await audits(support)).map((a) => [
          (a.before as { disabled_at: unknown }).disabled_at === null,
          (a.after as { disabled_at: unknown }).disabled_at === null,
        ]),
      ).toEqual([
        [true, false],
        [false, true],
      ]);
    });
  });
});

describe("getStaffUser", () => {
  it("reads one user for owners and admins, refuses support, and is NOT_FOUND for an id that is no one's", async () => {
    await withRollback(handle.db, async (ctx) => {
      const { owner, admin, support, as } = await people(ctx);
      const read = await getStaffUser({ ctx: as(actors.staff(admin)), input: { id: support } });
      expect(read).toMatchObject({ id: support, email: "s@example.com", role: "support" });
      await expect(
        getStaffUser({ ctx: as(actors.staff(support)), input: { id: owner } }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(
        getStaffUser({ ctx: as(actors.staff(owner)), input: { id: "stf_00000000" } }),
      ).rejects.toMatchObject({ code: "NOT_FOUND" });
    });
  });
});
