import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../test/helpers/test-server.ts";
import { createCustomers } from "../billing/testing/billing-fixtures.ts";
import { parseConfig } from "../config.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { actors } from "../kernel/actor.ts";
import { createStaffUser } from "../services/staff/staff-users.ts";
import type { RouteEntry } from "./access.ts";

// Every GET route of the admin API read with a support key and a billing key, over a database that holds
// every kind of secret tokenbill keeps and a configuration with every secret set: no answer may carry one
// (a configured secret, the admin key, another key's hash or secret, a password hash, a session, the SSO
// signing key). Reading is what these roles are for; their reads must not be a way to what they may not do.

const SECRETS = {
  SOLUSIO_PRICING_TOKEN: "pricing-token-canary-7f3a",
  STRIPE_SECRET_KEY: "sk_test_canary_5c2d",
  STRIPE_WEBHOOK_SECRET: "whsec_canary_e81f",
  SMTP_HOST: "mail.internal.example",
  SMTP_PASSWORD: "smtp-password-canary-44d0",
  WEBHOOK_SECRET: "webhook-secret-canary-0b9e",
  DATABASE_URL: undefined,
};

let handle: DatabaseHandle;
let server: TestServer;
const keys: Record<"admin" | "billing" | "support", string> = { admin: "", billing: "", support: "" };

beforeAll(async () => {
  handle = await createTestDatabase();
  await createCustomers(handle, [{ email: "leaks@example.com" }]);
  server = await startTestServer(handle.db, SECRETS);
  await createStaffUser({
    ctx: {
      db: handle.db,
      config: parseConfig({ LOG_LEVEL: "silent" }),
      logger: pino({ level: "silent" }),
      actor: actors.cli(),
      now: () => new Date(),
    },
    input: { email: "leaks-staff@example.com", role: "admin", password: "a long enough password" },
  });
  // A signed SSO link makes the signing key (app_secret) if there is none yet; a refusal is fine too.
  await server.api("POST", "/api/v1/customers/1/sso-link");
  for (const role of ["admin", "billing", "support"] as const) {
    const created = await server.api("POST", "/api/v1/api-keys", { name: `leaks ${role}`, role });
    expect(created.status).toBe(201);
    keys[role] = created.body.data.key;
  }
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

/** Every secret the database and the configuration hold, by what it is. */
async function secretsHeld(): Promise<Record<string, string>> {
  const db = handle.db;
  const held: Record<string, string> = { "admin key (configured)": TEST_ADMIN_KEY, ...withoutUndefined() };
  delete held.SMTP_HOST;
  for (const [role, key] of Object.entries(keys)) {
    held[`${role} key`] = key;
    held[`${role} key's secret part`] = key.split("_").slice(2).join("_");
  }
  for (const row of await db.selectFrom("api_key").select(["id", "key_hash"]).execute())
    held[`hash of ${row.id}`] = row.key_hash;
  for (const row of await db.selectFrom("staff_user").select(["id", "password_hash"]).execute())
    held[`password hash of ${row.id}`] = row.password_hash;
  for (const row of await db.selectFrom("app_secret").select(["name", "value"]).execute())
    held[`app_secret ${row.name}`] = row.value;
  for (const row of await db.selectFrom("web_session").select("id_hash").execute())
    held[`session ${row.id_hash.slice(0, 6)}`] = row.id_hash;
  return held;
}

function withoutUndefined(): Record<string, string> {
  return Object.fromEntries(Object.entries(SECRETS).filter((e): e is [string, string] => e[1] !== undefined));
}

const getRoutes = () =>
  (server.app as unknown as { routeTable: RouteEntry[] }).routeTable.filter(
    (r) => r.access === "admin" && r.method === "GET",
  );

describe("every GET route read with a billing or a support key", () => {
  it("answers no secret of the configuration or the database", async () => {
    const held = await secretsHeld();
    expect(Object.keys(held).some((name) => name.startsWith("password hash"))).toBe(true);
    expect(Object.keys(held).some((name) => name.startsWith("app_secret"))).toBe(true);
    const leaks: string[] = [];
    let answered = 0;
    for (const role of ["billing", "support"] as const)
      for (const route of getRoutes()) {
        // Lists answer the rows; one row's path is tried with the first customer's id.
        const path = route.url.replace(/:\w+/g, "1").replace(/\*$/, "x");
        const response = await fetch(server.url + path, {
          headers: { authorization: `Bearer ${keys[role]}` },
        });
        const text = await response.text();
        if (response.status === 200) answered++;
        for (const [name, value] of Object.entries(held))
          if (text.includes(value)) leaks.push(`${role} GET ${route.url}: ${name}`);
      }
    expect(answered).toBeGreaterThan(40);
    expect(leaks).toEqual([]);
  });
});
