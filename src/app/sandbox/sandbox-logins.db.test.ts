import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { sql } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import { createLogger } from "../../logger.ts";
import { hashPassword, verifyPassword } from "../../services/staff/passwords.ts";
import { readSession, startSession } from "../../services/staff/web-sessions.ts";
import { systemContext } from "../database.ts";
import { ensureSandboxLogins } from "./sandbox-logins.ts";

// Each sandbox start confirms the demo logins (sandbox-logins.ts). A restart keeps the passwords, and with
// them the sessions made before it: until 2026-12-06 every start set the passwords again, which ended every
// demo staff and portal session.

let handle: DatabaseHandle;
let root: string;

beforeAll(async () => {
  handle = await createTestDatabase();
  root = mkdtempSync(join(tmpdir(), "tb-sandbox-logins-"));
  await sql`INSERT INTO customer (email, name, country, currency_code)
            VALUES ('ada@example.com', 'Ada', 'GB', 'USD'), ('bert@example.com', 'Bert', 'DE', 'EUR')`.execute(
    handle.db,
  );
});
afterAll(async () => {
  await handle?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

it("keeps the demo staff and portal sessions across a second start", async () => {
  const config = parseConfig({ DATA_DIR: join(root, "data"), LOG_LEVEL: "warn" });
  const logger = createLogger(config, new Writable({ write: (_chunk, _encoding, done) => done() }));
  const ctx = systemContext(handle, config, logger, actors.system("sandbox"));

  const first = await ensureSandboxLogins(ctx, root, logger);
  const staff = await handle.db
    .selectFrom("staff_user")
    .select("id")
    .where("email", "=", first.logins.staff.email)
    .executeTakeFirstOrThrow();
  const console = await startSession(ctx, { kind: "staff", staffUserId: staff.id });
  const portal = await startSession(ctx, {
    kind: "customer",
    customerId: BigInt(first.logins.customers[0]!.id),
  });

  const second = await ensureSandboxLogins(ctx, root, logger);
  expect(second.logins).toEqual(first.logins);
  expect(await readSession(ctx, console.token, "staff")).toBeDefined();
  expect(await readSession(ctx, portal.token, "customer")).toBeDefined();
});

it("sets a password the file names when the stored one differs, which ends that account's sessions", async () => {
  const config = parseConfig({ DATA_DIR: join(root, "data"), LOG_LEVEL: "warn" });
  const logger = createLogger(config, new Writable({ write: (_chunk, _encoding, done) => done() }));
  const ctx = systemContext(handle, config, logger, actors.system("sandbox"));
  const { logins } = await ensureSandboxLogins(ctx, root, logger);
  const customerId = BigInt(logins.customers[1]!.id);
  // Changed behind the file's back (the console's "set portal password"): the next start puts the file's back.
  const other = await hashPassword("another-password-1");
  await handle.db
    .updateTable("portal_account")
    .set({ password_hash: other })
    .where("customer_id", "=", customerId)
    .execute();
  const portal = await startSession(ctx, { kind: "customer", customerId });

  await ensureSandboxLogins(ctx, root, logger);
  expect(await readSession(ctx, portal.token, "customer")).toBeUndefined();
  const stored = await handle.db
    .selectFrom("portal_account")
    .select("password_hash")
    .where("customer_id", "=", customerId)
    .executeTakeFirstOrThrow();
  expect(await verifyPassword(stored.password_hash!, logins.customers[1]!.password)).toBe(true);
});
