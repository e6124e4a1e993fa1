import { gunzipSync } from "node:zlib";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import { systemContext } from "../../app/database.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import { createStaffUser } from "../../services/staff/staff-users.ts";
import { ConsoleClient } from "./customer-test-client.ts";

// The console's "Download a backup" (docs/operations.md, "Backups"): offered to owners and admins on the
// embedded database, a form's POST that answers the backup as a file; PostgreSQL has no such button.

const PASSWORD = "console backup password";
let handle: DatabaseHandle;
let server: TestServer;
let owner: ConsoleClient;
let support: ConsoleClient;
const embedded = !process.env["DATABASE_URL"];

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db, {}, { ...(handle.backup ? { backup: handle.backup } : {}) });
  const ctx = systemContext(
    handle,
    parseConfig({ LOG_LEVEL: "silent" }),
    pino({ level: "silent" }),
    actors.cli(),
  );
  await createStaffUser({ ctx, input: { email: "owner@example.com", role: "owner", password: PASSWORD } });
  await createStaffUser({
    ctx,
    input: { email: "support@example.com", role: "support", password: PASSWORD },
  });
  owner = await ConsoleClient.logIn(server.url, "owner@example.com", PASSWORD);
  support = await ConsoleClient.logIn(server.url, "support@example.com", PASSWORD);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

describe("console backup", () => {
  it.runIf(embedded)("downloads the embedded database from the settings page of an owner", async () => {
    const page = await owner.get("/console/settings");
    expect(page.text).toContain("Download a backup");
    const answer = await owner.submit("/console/settings", "/console/backup");
    expect(answer.status).toBe(200);
    expect(answer.type).toBe("application/gzip");
    expect(answer.headers.get("content-disposition")).toMatch(
      /^attachment; filename="tokenbill-backup-\d{8}T\d{6}Z\.tar\.gz"$/,
    );
    expect(gunzipSync(answer.body).subarray(257, 262).toString()).toBe("ustar");
  });

  it("is not offered to support staff, nor on PostgreSQL, and a post without the form's token is refused", async () => {
    expect((await support.get("/console/settings")).text).not.toContain("Download a backup");
    if (!embedded) expect((await owner.get("/console/settings")).text).not.toContain("Download a backup");
    const forged = await support.request("POST", "/console/backup", {});
    expect(forged.status).toBe(403);
    expect(forged.type).not.toBe("application/gzip");
  });
});
