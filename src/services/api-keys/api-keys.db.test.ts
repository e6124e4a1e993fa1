import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditRows, NOW, NOW_ISO, tableRows } from "../../../test/helpers/service-test.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import {
  ADMIN_ROLES,
  BILLING_ROLES,
  READ_ROLES,
  requireStaffRole,
  type StaffRole,
} from "../staff/staff-roles.ts";
import { createStaffUser } from "../staff/staff-users.ts";
import {
  authenticateAdminKey,
  createApiKey,
  getApiKey,
  listApiKeys,
  recordApiKeyUse,
  revokeApiKey,
} from "./api-keys.ts";

// The admin API key verbs called directly, each test in a rolled-back transaction: the key shown once and
// stored as a hash, audit rows, revocation, authentication and its refusals.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const at = (iso: string) => () => new Date(iso);

describe("createApiKey", () => {
  it("returns the key once, stores only its SHA-256, and audits api_key.create without the secret", async () => {
    await withRollback(
      handle.db,
      async (ctx) => {
        const created = await createApiKey({ ctx, input: { name: "  deploy pipeline " } });
        const hex = /^key_([0-9a-f]{12})$/.exec(created.id)?.[1];
        expect(created.key).toMatch(new RegExp(`^tbk_${hex}_[A-Za-z0-9_-]{43}$`));
        const { key, ...shown } = created;
        expect(shown).toEqual({
          id: `key_${hex}`,
          name: "deploy pipeline",
          prefix: `tbk_${hex}`,
          role: "admin",
          created_at: NOW_ISO,
          created_by: "cli",
          last_used_at: null,
          revoked_at: null,
        });
        const row = await ctx.db.selectFrom("api_key").selectAll().executeTakeFirstOrThrow();
        expect(row.key_hash).toBe(createHash("sha256").update(key).digest("hex"));
        const audits = await auditRows(ctx.db);
        expect(audits).toEqual([
          {
            at: NOW,
            actor: "cli",
            request_id: null,
            action: "api_key.create",
            entity: "api_key",
            entity_id: created.id,
            before: null,
            after: shown,
          },
        ]);
        expect(JSON.stringify(audits)).not.toContain(key.slice(-43));
      },
      { actor: actors.cli() },
    );
  });

  it("refuses an empty, over-long or control-character name (VALIDATION), writing nothing", async () => {
    await withRollback(handle.db, async (ctx) => {
      for (const [name, message] of [
        ["   ", "must be 1 to 100 characters"],
        ["x".repeat(101), "must be 1 to 100 characters"],
        ["deploy\npipeline", "must not contain control characters"],
        ["deploy\u202epipeline", "must not contain control characters"],
      ] as const) {
        await expect(createApiKey({ ctx, input: { name } })).rejects.toMatchObject({
          code: "VALIDATION",
          issues: [{ field: "name", message }],
        });
      }
      expect([await tableRows(ctx.db, "api_key"), await auditRows(ctx.db)]).toEqual([[], []]);
    });
  });
});

describe("a key's role", () => {
  it("is chosen at creation, stored, shown, and carried on the key's actor", async () => {
    await withRollback(handle.db, async (ctx) => {
      const support = await createApiKey({ ctx, input: { name: "reporting", role: "support" } });
      const billing = await createApiKey({
        ctx: { ...ctx, now: at("2026-11-29T12:00:01Z") },
        input: { name: "bank import", role: "billing" },
      });
      expect([support.role, billing.role]).toEqual(["support", "billing"]);
      const rows = await ctx.db.selectFrom("api_key").select(["id", "role"]).orderBy("name").execute();
      expect(rows).toEqual([
        { id: billing.id, role: "billing" },
        { id: support.id, role: "support" },
      ]);
      expect((await authenticateAdminKey(ctx, support.key)).actor).toEqual({
        kind: "admin_key",
        keyId: support.id,
        role: "support",
      });
      expect((await listApiKeys({ ctx, input: { page: 1, per_page: 50 } })).data.map((k) => k.role)).toEqual([
        "support",
        "billing",
      ]);
      expect((await getApiKey({ ctx, input: { id: billing.id } })).role).toBe("billing");
    });
  });

  it("refuses a role that is not admin, billing or support (VALIDATION), writing nothing", async () => {
    await withRollback(handle.db, async (ctx) => {
      for (const role of ["owner", "Admin", "", "readonly"]) {
        await expect(
          createApiKey({ ctx, input: { name: "x", role: role as "admin" } }),
        ).rejects.toMatchObject({ code: "VALIDATION", issues: [{ field: "role" }] });
      }
      expect([await tableRows(ctx.db, "api_key"), await auditRows(ctx.db)]).toEqual([[], []]);
    });
  });

  it("is decided by requireStaffRole as a staff user's: support reads, billing moves money, admin does all", async () => {
    await withRollback(handle.db, async (ctx) => {
      const as = (role: "admin" | "billing" | "support") => ({
        ...ctx,
        actor: actors.adminKey("key_1", role),
      });
      const passes = (role: "admin" | "billing" | "support", roles: readonly StaffRole[]) =>
        requireStaffRole(as(role), ...roles).then(
          () => "pass",
          (e: { code: string }) => e.code,
        );
      const table = [];
      for (const role of ["admin", "billing", "support"] as const)
        table.push([
          role,
          ...(await Promise.all([READ_ROLES, BILLING_ROLES, ADMIN_ROLES].map((r) => passes(role, r)))),
        ]);
      expect(table).toEqual([
        ["admin", "pass", "pass", "pass"],
        ["billing", "pass", "pass", "FORBIDDEN"],
        ["support", "pass", "FORBIDDEN", "FORBIDDEN"],
      ]);
    });
  });

  it("is never above the creator's: a billing or support key, or billing staff, may make no key at all", async () => {
    await withRollback(handle.db, async (ctx) => {
      const billingStaff = await createStaffUser({
        ctx,
        input: { email: "b@example.com", role: "billing", password: "a long enough password" },
      });
      const refused = [
        actors.adminKey("key_1", "billing"),
        actors.adminKey("key_2", "support"),
        actors.staff(billingStaff.id),
      ];
      for (const actor of refused)
        for (const role of ["admin", "billing", "support"] as const)
          await expect(
            createApiKey({ ctx: { ...ctx, actor }, input: { name: "up", role } }),
          ).rejects.toMatchObject({ code: "FORBIDDEN" });
      expect(await tableRows(ctx.db, "api_key")).toEqual([]);
      // An admin key may make a key of any role a key can have.
      const made = await createApiKey({
        ctx: { ...ctx, actor: actors.adminKey("key_3", "admin") },
        input: { name: "down", role: "support" },
      });
      expect(made).toMatchObject({ role: "support", created_by: "apikey:key_3" });
    });
  });
});

describe("revokeApiKey", () => {
  it("revokes once with an audit row; a repeat changes nothing; an unknown id is NOT_FOUND", async () => {
    await withRollback(handle.db, async (ctx) => {
      const { key: _secret, ...created } = await createApiKey({ ctx, input: { name: "ci" } });
      const later = { ...ctx, now: at("2026-12-01T00:00:00Z") };
      const revoked = await revokeApiKey({ ctx: later, input: { id: created.id } });
      const after = { ...created, revoked_at: "2026-12-01T00:00:00.000Z" };
      expect(revoked).toEqual({ key: after, changed: true });
      expect(await revokeApiKey({ ctx, input: { id: created.id } })).toEqual({ key: after, changed: false });
      await expect(revokeApiKey({ ctx, input: { id: "key_000000000000" } })).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: "api key key_000000000000 not found",
      });
      const audits = await auditRows(ctx.db);
      expect(audits.map((a) => [a.action, a.entity_id])).toEqual([
        ["api_key.create", created.id],
        ["api_key.revoke", created.id],
      ]);
      expect([audits[1]!.before, audits[1]!.after]).toEqual([created, after]);
    });
  });
});

describe("authenticateAdminKey", () => {
  it("stands for the key's actor until revoked; its use is recorded by recordApiKeyUse, at most once a minute", async () => {
    await withRollback(handle.db, async (ctx) => {
      const { id, key } = await createApiKey({ ctx, input: { name: "ci" } });
      const lastUsed = async () =>
        (await ctx.db.selectFrom("api_key").select("last_used_at").executeTakeFirstOrThrow()).last_used_at;
      const use = async (now: () => Date) => {
        const checked = await authenticateAdminKey(ctx, key);
        await recordApiKeyUse({ ...ctx, now }, checked.use!);
        return checked;
      };
      const first = await authenticateAdminKey(ctx, key);
      expect(first).toEqual({
        actor: { kind: "admin_key", keyId: id, role: "admin" },
        use: { keyId: id, lastUsedAt: null },
      });
      // Authenticating alone records nothing: the access layer records use once the answer is not a refusal.
      expect(await lastUsed()).toBeNull();
      await use(ctx.now);
      expect(await lastUsed()).toEqual(NOW);
      await use(at("2026-11-29T12:01:00Z"));
      expect(await lastUsed()).toEqual(NOW);
      await use(at("2026-11-29T12:01:00.001Z"));
      expect(await lastUsed()).toEqual(new Date("2026-11-29T12:01:00.001Z"));

      await revokeApiKey({ ctx, input: { id } });
      for (const presented of [key, `${key}x`, "tbk_forged", key.slice(4)]) {
        await expect(authenticateAdminKey(ctx, presented)).rejects.toMatchObject({
          code: "UNAUTHORIZED",
          message: "invalid API key",
        });
      }
    });
  });

  it("accepts the configured bootstrap key as the env-key actor", async () => {
    await withRollback(handle.db, async (ctx) => {
      const config = parseConfig({
        LOG_LEVEL: "silent",
        TOKENBILL_ADMIN_API_KEY: "bootstrap-key-0123456789",
      });
      // The configured key has no row, so no use to record.
      expect(await authenticateAdminKey({ ...ctx, config }, "bootstrap-key-0123456789")).toEqual({
        actor: { kind: "env_key" },
      });
      await expect(authenticateAdminKey({ ...ctx, config }, "bootstrap-key-012345678")).rejects.toMatchObject(
        {
          code: "UNAUTHORIZED",
        },
      );
    });
  });
});

describe("listApiKeys", () => {
  it("lists oldest first, revoked keys included, a page at a time", async () => {
    await withRollback(handle.db, async (ctx) => {
      const { key: _a, ...first } = await createApiKey({ ctx, input: { name: "first" } });
      const { key: _b, ...second } = await createApiKey({
        ctx: { ...ctx, now: at("2026-11-29T12:00:01Z") },
        input: { name: "second" },
      });
      const { key: revoked } = await revokeApiKey({ ctx, input: { id: first.id } });
      expect(await listApiKeys({ ctx, input: { page: 1, per_page: 50 } })).toEqual({
        data: [revoked, second],
        meta: { page: 1, per_page: 50, total: 2, last_page: 1 },
      });
      expect((await listApiKeys({ ctx, input: { page: 2, per_page: 1 } })).data).toEqual([second]);
    });
  });
});

it("leaves the database as it was: the key and its audit row are rolled back", async () => {
  const tables = ["api_key", "audit_log"] as const;
  const before = await Promise.all(tables.map((t) => tableRows(handle.db, t)));
  await withRollback(handle.db, async (ctx) => {
    await createApiKey({ ctx, input: { name: "temporary" } });
    const inside = await Promise.all(tables.map((t) => tableRows(ctx.db, t)));
    expect(inside.map((rows, i) => rows.length - before[i]!.length)).toEqual([1, 1]);
  });
  expect(await Promise.all(tables.map((t) => tableRows(handle.db, t)))).toEqual(before);
});

describe("getApiKey", () => {
  it("reads one key without its secret, and is NOT_FOUND for an id that is no key's", async () => {
    await withRollback(handle.db, async (ctx) => {
      const created = await createApiKey({ ctx, input: { name: "deploy pipeline" } });
      const { key, ...shown } = created;
      expect(await getApiKey({ ctx, input: { id: created.id } })).toEqual(shown);
      expect(JSON.stringify(await getApiKey({ ctx, input: { id: created.id } }))).not.toContain(key);
      await expect(getApiKey({ ctx, input: { id: "key_000000000000" } })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
    });
  });
});
