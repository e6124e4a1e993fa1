import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import { changeStaffRole, createStaffUser, disableStaffUser, listStaffUsers } from "./staff-users.ts";
import { authenticateStaff } from "./staff-login.ts";
import { readSession, startSession } from "./web-sessions.ts";

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const PW = "a long enough password";

describe("staff roles are checked in the verbs", () => {
  it("lets an owner manage staff, refuses support and customers, and keeps the last owner", async () => {
    await withRollback(handle.db, async (ctx) => {
      const owner = await createStaffUser({
        ctx,
        input: { email: "o@example.com", role: "owner", password: PW },
      });
      const support = await createStaffUser({
        ctx,
        input: { email: "s@example.com", role: "support", password: PW },
      });
      const admin = await createStaffUser({ ctx, input: { email: "a@example.com", role: "admin" } });
      expect(admin.password).toHaveLength(24); // one-time password, shown once
      const as = (actor: ReturnType<typeof actors.staff>) => ({ ...ctx, actor });
      await expect(listStaffUsers({ ctx: as(actors.staff(support.id)), input: {} })).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
      await expect(
        listStaffUsers({ ctx: { ...ctx, actor: actors.customer(1n) }, input: {} }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
      expect(await listStaffUsers({ ctx: as(actors.staff(owner.id)), input: {} })).toHaveLength(3);
      // An admin manages non-owners only.
      await expect(
        createStaffUser({
          ctx: as(actors.staff(admin.id)),
          input: { email: "o2@example.com", role: "owner", password: PW },
        }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(
        changeStaffRole({ ctx: as(actors.staff(owner.id)), input: { id: owner.id, role: "admin" } }),
      ).rejects.toMatchObject({ code: "CONFLICT" });
      // A disabled user's sessions end and their actor is refused at once.
      const { token } = await startSession(ctx, { kind: "staff", staffUserId: support.id });
      await disableStaffUser({ ctx: as(actors.staff(admin.id)), input: { id: support.id } });
      expect(await readSession(ctx, token, "staff")).toBeUndefined();
      await expect(authenticateStaff(ctx, { email: "s@example.com", password: PW })).rejects.toMatchObject({
        code: "UNAUTHORIZED",
      });
      await expect(listStaffUsers({ ctx: as(actors.staff(support.id)), input: {} })).rejects.toMatchObject({
        code: "UNAUTHORIZED",
      });
    });
  });

  it("ends a session after the idle time and after the absolute lifetime", async () => {
    await withRollback(handle.db, async (ctx) => {
      const owner = await createStaffUser({
        ctx,
        input: { email: "o@example.com", role: "owner", password: PW },
      });
      const t0 = new Date("2026-11-29T12:00:00Z");
      const at = (ms: number) => ({ ...ctx, now: () => new Date(t0.getTime() + ms) });
      const { token } = await startSession(at(0), { kind: "staff", staffUserId: owner.id });
      // Idle 30 minutes (default): still alive at 29 min, each request restarts the idle clock.
      for (let m = 29; m < 12 * 60; m += 29)
        expect(await readSession(at(m * 60_000), token, "staff"), `${m} min`).toBeDefined();
      expect(await readSession(at(12 * 3_600_000 + 1), token, "staff")).toBeUndefined();
      const idle = await startSession(at(0), { kind: "staff", staffUserId: owner.id });
      expect(await readSession(at(30 * 60_000 + 1), idle.token, "staff")).toBeUndefined();
      expect(await readSession(at(0), idle.token, "customer")).toBeUndefined();
    });
  });
});
