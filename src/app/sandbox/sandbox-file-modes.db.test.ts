import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { createLogger } from "../../logger.ts";
import { startSandbox } from "./start-sandbox.ts";

// The sandbox leaves two files holding the emulator's admin token in DATA_DIR: sandbox.json (for CLI
// commands) and sandbox-emulator.json (the emulator's state, users' tokens included). Both are 0600, also
// when a previous start left them readable by others.

let handle: DatabaseHandle;
let dataDir: string;

beforeAll(async () => {
  handle = await createTestDatabase();
  dataDir = join(mkdtempSync(join(tmpdir(), "tb-sandbox-")), "data");
});
afterAll(async () => {
  await handle?.close();
  // Unset when the database could not be made: that failure is the one to report.
  if (dataDir) rmSync(join(dataDir, ".."), { recursive: true, force: true });
});

const modeOf = (file: string) => statSync(join(dataDir, file)).mode & 0o777;

it("keeps the sandbox's token files and their directory for the owner only", async () => {
  let log = "";
  const memory = new Writable({
    write(chunk, _encoding, done) {
      log += String(chunk);
      done();
    },
  });
  const config = parseConfig({ DATA_DIR: dataDir, SANDBOX_EMULATOR_PORT: 0, LOG_LEVEL: "warn" });
  const logger = createLogger(config, memory);

  const first = await startSandbox(config, handle.db, logger);
  await first.close();
  expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  expect([modeOf("sandbox.json"), modeOf("sandbox-emulator.json")]).toEqual([0o600, 0o600]);
  expect(log).toBe("");

  chmodSync(join(dataDir, "sandbox.json"), 0o644);
  chmodSync(join(dataDir, "sandbox-emulator.json"), 0o644);
  const second = await startSandbox(config, handle.db, logger);
  await second.close();
  expect([modeOf("sandbox.json"), modeOf("sandbox-emulator.json")]).toEqual([0o600, 0o600]);
  for (const file of ["sandbox.json", "sandbox-emulator.json"]) expect(log).toContain(join(dataDir, file));
  expect(log).not.toContain(second.emulator.adminToken);
});
