import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../src/app/server.ts";
import { parseConfig } from "../src/config.ts";
import { type DatabaseHandle, openDatabase } from "../src/db/open-database.ts";
import { decideSandbox } from "../src/app/sandbox/sandbox-decision.ts";
import { createTestDatabase } from "./helpers/test-database.ts";

// Sandbox mode starts only on an embedded database that is new or was made in sandbox mode: a production
// database started without SOLUSIO_URL must not bill against an empty emulator.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const config = (extra: Record<string, string> = {}) =>
  parseConfig({ LOG_LEVEL: "silent", DATA_DIR: "memory://", ...extra });

describe("TOKENBILL_SANDBOX=auto", () => {
  it("never starts the sandbox on PostgreSQL, and starts it on a new embedded database", async () => {
    const decision = await decideSandbox(config(), handle);
    if (handle.kind === "postgres") {
      expect(decision.start).toBe(false);
      expect(decision.reason).toMatch(/SolusIO is not configured.*never starts on DATABASE_URL/);
    } else
      expect(decision).toEqual({ start: true, reason: "a new embedded database with no SolusIO configured" });
  });

  it("does not start it on an embedded database with customers that was not made in sandbox mode", async () => {
    await handle.db
      .insertInto("currency")
      .values({
        code: "EUR",
        exponent: 2,
        token_unit_cost: "0.001",
        display_prefix: "€",
        display_suffix: "",
        thousands_separator: ",",
        decimals_separator: ".",
      } as any)
      .onConflict((oc) => oc.doNothing())
      .execute();
    await handle.db
      .insertInto("customer")
      .values({ email: "prod@example.com", country: "DE", currency_code: "EUR" } as any)
      .execute();
    const decision = await decideSandbox(config(), { ...handle, kind: "pglite" });
    expect(decision.start).toBe(false);
    expect(decision.reason).toMatch(/holds customers and was not created in sandbox mode/);
  });

  it("follows the database's binding: sandbox yes, a real SolusIO no", async () => {
    const embedded = { ...handle, kind: "pglite" as const };
    await handle.db
      .insertInto("solusio_binding")
      .values({ kind: "sandbox", api_url: "http://127.0.0.1:8090/api/v1", identity: "x" })
      .execute();
    expect((await decideSandbox(config(), embedded)).start).toBe(true);
    await handle.db
      .updateTable("solusio_binding")
      .set({ kind: "solusio", api_url: "https://solus.example/api/v1" })
      .execute();
    const decision = await decideSandbox(config(), embedded);
    expect(decision.start).toBe(false);
    expect(decision.reason).toMatch(/belongs to SolusIO at https:\/\/solus.example/);
    expect((await decideSandbox(config({ TOKENBILL_SANDBOX: "on" }), embedded)).start).toBe(true);
    expect(
      (await decideSandbox(config({ TOKENBILL_SANDBOX: "off" }), { ...handle, kind: "pglite" })).start,
    ).toBe(false);
    await handle.db.deleteFrom("solusio_binding").execute();
  });
});

describe("serve on DATABASE_URL with no SolusIO", () => {
  it.skipIf(!process.env["DATABASE_URL"])(
    "starts without the sandbox and says plainly that SolusIO is not configured",
    async () => {
      const lines: string[] = [];
      const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
      // serve migrates the database it is given: a schema of its own, never the shared database's public one.
      const url = process.env["DATABASE_URL"]!;
      const schema = `tb_serve_${randomBytes(6).toString("hex")}`;
      const admin = await openDatabase({ url, poolSize: 1 });
      await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
      try {
        const server = await startServer(
          parseConfig({
            DATABASE_URL: `${url}${url.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
            PORT: 0,
            TOKENBILL_ADMIN_API_KEY: "k".repeat(20),
          }),
          logger,
        );
        try {
          expect(server.sandbox).toBeUndefined();
          expect(lines.join("\n")).toMatch(/SolusIO is not configured.*never starts on DATABASE_URL/);
        } finally {
          await server.close();
        }
        const migrated = await sql<{ n: string }>`
          SELECT count(*)::text AS n FROM pg_tables WHERE schemaname = ${schema} AND tablename = 'customer'`.execute(
          admin.db,
        );
        expect(migrated.rows[0]!.n).toBe("1");
      } finally {
        await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(admin.db);
        await admin.close();
      }
    },
  );
});
