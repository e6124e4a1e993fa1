import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import type { StaffRole } from "../staff/staff-roles.ts";
import { listStaffUserPage } from "../staff/list-staff-user-page.ts";
import { createStaffUser } from "../staff/staff-users.ts";
import { effectiveConfiguration } from "./effective-config.ts";

// The settings page's reads: the configuration with where tokenbill's systems are shown to owners and admins
// only, and the staff list a page at a time.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const defaultConfig = parseConfig({
  LOG_LEVEL: "silent",
  DATABASE_URL: "postgres://billing:db-password@10.1.2.3:5432/tokenbill",
  SOLUSIO_URL: "https://solus.internal.example:8443",
  SOLUSIO_API_TOKEN: "solusio-api-token-0123456789",
  SMTP_HOST: "mail.internal.example",
  SMTP_USER: "billing-mailer",
  WEBHOOK_URLS: "https://hooks.internal.example/T0/B1/abcdef1234567890secret",
  WEBHOOK_SECRET: "whsec_0123456789abcdef0123456789abcdef",
});

async function configAs(role: StaffRole, config = defaultConfig): Promise<Record<string, string>> {
  return withRollback(handle.db, async (ctx) => {
    const me = await createStaffUser({
      ctx,
      input: { email: `${role}@example.com`, role, password: "a long enough password" },
    });
    const rows = await effectiveConfiguration({
      ctx: { ...ctx, config, actor: actors.staff(me.id) },
      input: {},
    });
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  });
}

/** The configuration as an admin API key of `role` reads it (no route serves it to keys yet: the verb's rule). */
async function configAsKey(role: "admin" | "billing" | "support"): Promise<Record<string, string>> {
  return withRollback(handle.db, async (ctx) => {
    const rows = await effectiveConfiguration({
      ctx: { ...ctx, config: defaultConfig, actor: actors.adminKey("key_0123456789ab", role) },
      input: {},
    });
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  });
}

describe("effectiveConfiguration", () => {
  it("shows an API key where tokenbill's systems are only when it is an admin key, as it does staff", async () => {
    // Until 2026-12-07 every key was shown the values, a support key included (keys had no role before).
    for (const role of ["support", "billing"] as const)
      expect(await configAsKey(role), role).toMatchObject({
        DATABASE_URL: "set",
        SOLUSIO_URL: "set",
        SMTP_HOST: "set",
        HOST: "set",
      });
    expect(await configAsKey("admin")).toMatchObject({
      DATABASE_URL: "postgres://billing:********@10.1.2.3:5432/tokenbill",
      SOLUSIO_URL: "https://solus.internal.example:8443",
    });
  });

  it("shows read-only roles whether each host or connection URL is set, never where it points", async () => {
    for (const role of ["support", "billing"] as const) {
      const shown = await configAs(role);
      expect(shown).toMatchObject({
        DATABASE_URL: "set",
        DATABASE_LISTEN_URL: "not set",
        SOLUSIO_URL: "set",
        SMTP_HOST: "set",
        SMTP_USER: "set",
        WEBHOOK_URLS: "set",
        STRIPE_API_URL: "not set",
        HOST: "set",
        DATA_DIR: "set",
        // Off: no proxy is believed, as when it is unset (it said "set").
        TRUST_PROXY: "not set",
        SOLUSIO_API_TOKEN: "********",
        PORT: "8080",
      });
      expect(JSON.stringify(shown)).not.toMatch(/10\.1\.2\.3|internal\.example|billing-mailer|127\.0\.0\.1/);
    }
  });

  it("shows owners and admins the values, masked as `tokenbill config` masks them", async () => {
    for (const role of ["owner", "admin"] as const) {
      const shown = await configAs(role);
      expect(shown).toMatchObject({
        DATABASE_URL: "postgres://billing:********@10.1.2.3:5432/tokenbill",
        SOLUSIO_URL: "https://solus.internal.example:8443",
        SMTP_HOST: "mail.internal.example",
        HOST: "127.0.0.1",
      });
      expect(shown).not.toHaveProperty("DATABASE_LISTEN_URL");
      expect(JSON.stringify(shown)).not.toMatch(/db-password|abcdef1234567890secret|solusio-api-token/);
    }
  });

  it("shows TRUST_PROXY as what it means: true is the one proxy in front (it showed 1)", async () => {
    const behindProxy = parseConfig({ LOG_LEVEL: "silent", TRUST_PROXY: "true" });
    expect((await configAs("admin", behindProxy))["TRUST_PROXY"]).toBe("1 proxy in front");
    expect((await configAs("support", behindProxy))["TRUST_PROXY"]).toBe("set");
    expect((await configAs("admin"))["TRUST_PROXY"]).toBe("false");
  });
});

describe("listStaffUserPage", () => {
  it("lists staff by e-mail a page at a time, to owners and admins only", async () => {
    await withRollback(handle.db, async (ctx) => {
      for (const email of ["c@example.com", "a@example.com", "b@example.com"])
        await createStaffUser({ ctx, input: { email, role: "support", password: "a long enough password" } });
      const page = await listStaffUserPage({ ctx, input: { page: 2, per_page: 2 } });
      expect([page.data.map((u) => u.email), page.meta]).toEqual([
        ["c@example.com"],
        { page: 2, per_page: 2, total: 3, last_page: 2 },
      ]);
      const support = await ctx.db
        .selectFrom("staff_user")
        .select("id")
        .where("email", "=", "a@example.com")
        .executeTakeFirstOrThrow();
      await expect(
        listStaffUserPage({
          ctx: { ...ctx, actor: actors.staff(support.id) },
          input: { page: 1, per_page: 50 },
        }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
    });
  });
});
