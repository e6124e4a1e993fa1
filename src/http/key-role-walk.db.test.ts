import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changed, everyRow } from "../../test/helpers/every-row.ts";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../test/helpers/test-server.ts";
import { createCustomers } from "../billing/testing/billing-fixtures.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import type { RouteEntry } from "./access.ts";

// What an admin API key's role lets through, walked over the live route table (a route added later is walked
// without being listed here). A support key is read-only: the access layer refuses every admin route whose
// method is not GET or HEAD before the body is read, whatever the verb behind it checks, and nothing is written.
// A billing key reaches money but not the admin-only settings.

/**
 * GET routes a support key is refused by the verb behind them, and why (checked, so the list cannot go stale):
 * they read what only owners and admins may see.
 */
const ADMIN_ONLY_READS: Record<string, string> = {
  "GET /api/v1/backup": "the whole database, password hashes and all (take-backup.ts)",
};

// A fixed clock: a key's last use is stored at most once a minute, so after its first request the walk's
// requests write nothing on the key's row either.
const NOW = new Date("2026-11-15T12:00:00Z");

let handle: DatabaseHandle;
let server: TestServer;
let customer: bigint;
const keys: Record<"admin" | "billing" | "support", string> = { admin: "", billing: "", support: "" };

beforeAll(async () => {
  handle = await createTestDatabase();
  [customer] = (await createCustomers(handle, [{ email: "keyroles@example.com" }])) as [bigint];
  server = await startTestServer(handle.db, {}, { now: () => NOW });
  for (const role of ["admin", "billing", "support"] as const) {
    const created = await server.api("POST", "/api/v1/api-keys", { name: `${role} key`, role });
    expect([created.status, created.body.data.role]).toEqual([201, role]);
    keys[role] = created.body.data.key;
    // Its first use stores its last use; later ones in the same minute store nothing.
    expect((await send(keys[role], "GET", "/api/v1/api-keys")).status).toBe(200);
  }
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

async function send(key: string, method: string, path: string, body?: string) {
  const response = await fetch(server.url + path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body,
    redirect: "manual",
  });
  const text = await response.text();
  return { status: response.status, text };
}

function adminRoutes(): RouteEntry[] {
  const table = (server.app as unknown as { routeTable: RouteEntry[] }).routeTable;
  return table.filter((r) => r.access === "admin");
}

/** A path for a route: every parameter filled with a value no row has (refused before it is looked at). */
const pathOf = (route: RouteEntry) => route.url.replace(/:\w+/g, "1").replace(/\*$/, "x");

describe("a support key", () => {
  it("is refused every admin route that is not GET or HEAD, before its body is read, and writes nothing", async () => {
    const writes = adminRoutes().filter((r) => r.method !== "GET" && r.method !== "HEAD");
    expect(writes.length).toBeGreaterThan(30);
    const before = await everyRow(handle.db);
    const answers: string[] = [];
    for (const route of writes)
      for (const body of [undefined, "{", '{"garbage": true}']) {
        const answer = await send(keys.support, route.method, pathOf(route), body);
        answers.push(`${route.method} ${route.url} ${answer.status}`);
      }
    expect(answers.filter((a) => !a.endsWith(" 403"))).toEqual([]);
    expect(changed(before, await everyRow(handle.db))).toEqual([]);
  });

  it("is not refused any GET route but those that only owners and admins may read", async () => {
    const reads = adminRoutes().filter((r) => r.method === "GET");
    expect(reads.length).toBeGreaterThan(30);
    const refused: string[] = [];
    for (const route of reads) {
      const answer = await send(keys.support, "GET", pathOf(route));
      if (answer.status === 403) refused.push(`GET ${route.url}`);
    }
    expect(refused.sort()).toEqual(Object.keys(ADMIN_ONLY_READS).sort());
  });
});

describe("a billing key", () => {
  it("is refused admin-only writes with valid bodies, and writes nothing", async () => {
    const before = await everyRow(handle.db);
    const refused = [
      await send(
        keys.billing,
        "POST",
        "/api/v1/currencies",
        JSON.stringify({ code: "SEK", exponent: 2, token_unit_cost: "0.01" }),
      ),
      await send(
        keys.billing,
        "POST",
        "/api/v1/api-keys",
        JSON.stringify({ name: "another", role: "billing" }),
      ),
      await send(
        keys.billing,
        "POST",
        "/api/v1/plan-prices",
        JSON.stringify({ plan_name: "key plan", tokens_per_hour: 10, tokens_per_month: 7000 }),
      ),
    ];
    expect(refused.map((r) => r.status)).toEqual([403, 403, 403]);
    expect(changed(before, await everyRow(handle.db))).toEqual([]);
  });

  it("records a payment", async () => {
    const body = { amount: 400, method: "bank_transfer", reference: "KEY-1", paid_at: "2026-11-10" };
    const answer = await send(
      keys.billing,
      "POST",
      `/api/v1/customers/${customer}/payments`,
      JSON.stringify(body),
    );
    expect(answer.status, answer.text).toBe(201);
    expect(JSON.parse(answer.text).data).toMatchObject({ amount: 400, credit: 400 });
  });
});

describe("GET /metrics", () => {
  // Operational figures (request rates, queue depth, billing progress): every role may read them, support's
  // monitoring included. Said by the route itself in the route table, not left to the method's default.
  it("is declared for every key role in the route table, and answered to each", async () => {
    const metrics = adminRoutes().filter((r) => r.url === "/metrics" && r.method === "GET");
    expect(metrics.map((r) => r.keyRoles)).toEqual([["admin", "billing", "support"]]);
    for (const role of ["admin", "billing", "support"] as const) {
      const answer = await send(keys[role], "GET", "/metrics");
      expect({ role, status: answer.status }).toEqual({ role, status: 200 });
      expect(answer.text).toContain("# TYPE");
    }
  });
});

describe("the route table's key roles", () => {
  it("are by method unless a route declares its own: reads for every role, writes for admin and billing keys", () => {
    const declared = adminRoutes()
      .filter((r) => {
        const byMethod = r.method === "GET" || r.method === "HEAD" ? 3 : 2;
        return r.keyRoles?.length !== byMethod;
      })
      .map((r) => `${r.method} ${r.url}: ${r.keyRoles?.join(",")}`);
    // The backup is refused in the access layer too, not only by its verb.
    expect(declared.sort()).toEqual(["GET /api/v1/backup: admin"]);
  });
});
