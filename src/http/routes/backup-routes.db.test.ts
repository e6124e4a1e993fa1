import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../../test/helpers/test-server.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import { takeBackup } from "../../services/backup/take-backup.ts";
import { createStaffUser } from "../../services/staff/staff-users.ts";

// GET /api/v1/backup: the embedded database's backup for an admin key (docs/operations.md, "Backups"); on
// PostgreSQL a 409 that says to use PostgreSQL's own tools.

let handle: DatabaseHandle;
let server: TestServer;
beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db, {}, { ...(handle.backup ? { backup: handle.backup } : {}) });
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

const get = (key?: string) =>
  fetch(`${server.url}/api/v1/backup`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

describe("GET /api/v1/backup", () => {
  it("needs an admin key", async () => {
    expect((await get()).status).toBe(401);
    expect((await get("not-the-key-0123456789")).status).toBe(401);
  });

  it.runIf(!process.env["DATABASE_URL"])(
    "answers the embedded database as a gzipped tar to download, and audits it",
    async () => {
      const answer = await get(TEST_ADMIN_KEY);
      expect(answer.status).toBe(200);
      expect(answer.headers.get("content-type")).toBe("application/gzip");
      expect(answer.headers.get("cache-control")).toBe("no-store");
      expect(answer.headers.get("content-disposition")).toMatch(
        /^attachment; filename="tokenbill-backup-\d{8}T\d{6}Z\.tar\.gz"$/,
      );
      const tar = gunzipSync(Buffer.from(await answer.arrayBuffer()));
      // A ustar archive: "ustar" at offset 257 of its first header, and PostgreSQL's version file inside.
      expect(tar.subarray(257, 262).toString()).toBe("ustar");
      expect(tar.includes(Buffer.from("PG_VERSION"))).toBe(true);
      const audit = await handle.db
        .selectFrom("audit_log")
        .select(["action", "entity", "actor"])
        .where("action", "=", "database.backup")
        .execute();
      expect(audit).toEqual([{ action: "database.backup", entity: "database", actor: "env-admin-key" }]);
    },
  );

  it.runIf(process.env["DATABASE_URL"])("on PostgreSQL answers 409 with what to use instead", async () => {
    const answer = await get(TEST_ADMIN_KEY);
    expect(answer.status).toBe(409);
    expect((await answer.json()).error.message).toBe(
      'tokenbill backs up only its embedded database; back up PostgreSQL with pg_dump or your provider\'s snapshots (docs/operations.md, "Backups")',
    );
  });

  it("answers HEAD 405 naming GET, without making a backup or an audit row", async () => {
    const audits = async () =>
      (await handle.db.selectFrom("audit_log").select("id").where("action", "=", "database.backup").execute())
        .length;
    const before = await audits();
    const answer = await fetch(`${server.url}/api/v1/backup`, {
      method: "HEAD",
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    expect(answer.status).toBe(405);
    expect(answer.headers.get("allow")).toMatch(/\bGET\b/);
    expect(await audits()).toBe(before);
  });

  it("is refused to staff who are not admins", async () => {
    await withRollback(handle.db, async (ctx) => {
      const support = await createStaffUser({
        ctx,
        input: { email: "support@example.com", role: "support", password: "a long enough password" },
      });
      await expect(
        takeBackup({ ctx: { ...ctx, actor: actors.staff(support.id), backup: handle.backup }, input: {} }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
    });
  });
});
