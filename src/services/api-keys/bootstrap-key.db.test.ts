import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { systemContext } from "../../app/database.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { createLogger } from "../../logger.ts";
import { authenticateAdminKey, revokeApiKey } from "./api-keys.ts";
import { ensureBootstrapKey } from "./bootstrap-key.ts";
import { actors } from "../../kernel/actor.ts";

// The first-start admin key is left in DATA_DIR/admin-api-key for its owner only; a copy found readable by
// others at a later start is tightened and the log says so.

let handle: DatabaseHandle;
let dataDir: string;

beforeAll(async () => {
  handle = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), "tb-bootstrap-"));
});
afterAll(async () => {
  await handle?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A system context whose warnings are kept in memory; `log()` reads them. */
function loggedContext() {
  let text = "";
  const memory = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  const config = parseConfig({ LOG_LEVEL: "warn" });
  const ctx = systemContext(handle, config, createLogger(config, memory), actors.system("system"));
  return { ctx, log: () => text };
}

it("writes the bootstrap key 0600, and tightens it on a later start with a warning", async () => {
  const { ctx, log } = loggedContext();

  const file = await ensureBootstrapKey(ctx, dataDir);
  expect(file).toBe(join(dataDir, "admin-api-key"));
  expect(statSync(file!).mode & 0o777).toBe(0o600);
  const key = readFileSync(file!, "utf8").trim();
  expect((await authenticateAdminKey(ctx, key)).actor).toMatchObject({
    kind: "admin_key",
    keyId: expect.stringMatching(/^key_/),
    role: "admin",
  });
  expect(log()).toBe("");

  chmodSync(file!, 0o644);
  expect(await ensureBootstrapKey(ctx, dataDir)).toBe(file);
  expect(statSync(file!).mode & 0o777).toBe(0o600);
  expect(readFileSync(file!, "utf8").trim()).toBe(key);
  expect(log()).toContain("readable by other users");
  expect(log()).toContain('"mode":"0644"');
  expect(log()).not.toContain(key);
});

it("does not offer the file's key once it is revoked, and says so", async () => {
  const { ctx, log } = loggedContext();
  const file = join(dataDir, "admin-api-key");
  const key = readFileSync(file, "utf8").trim();
  const row = await handle.db
    .selectFrom("api_key")
    .select("id")
    .where("name", "=", "bootstrap (first start)")
    .executeTakeFirstOrThrow();
  await revokeApiKey({ ctx, input: { id: row.id } });
  // Before, the banner went on pointing at the file (`Bearer $(cat data/admin-api-key)`), and the key got 401.
  expect(await ensureBootstrapKey(ctx, dataDir)).toBeUndefined();
  expect(log()).toContain("revoked or unknown to this database");
  expect(log()).not.toContain(key);
});
