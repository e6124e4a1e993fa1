import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";
import {
  type SharedCommandDataDir,
  sharedCommandDataDir,
  tokenbillCommand,
} from "../../test/helpers/tokenbill-command.ts";

// `tokenbill solusio reconcile` against a SolusIO the database does not belong to. It compared the customers
// with that SolusIO's users and reported the difference (exit 0), and with --fix said "fixed: 1 customers
// synced" while every sync it queued refused the other SolusIO. It refuses now, as billing and sync do.

let own: RunningEmulator;
let other: RunningEmulator;
let data: SharedCommandDataDir;

const reconcile = (solusio: RunningEmulator, ...args: string[]) =>
  tokenbillCommand(["solusio", "reconcile", ...args], {
    DATA_DIR: data.dir,
    LOG_LEVEL: "error",
    SOLUSIO_URL: solusio.apiUrl,
    SOLUSIO_API_TOKEN: solusio.adminToken,
  });

beforeAll(async () => {
  data = await sharedCommandDataDir();
  own = await startEmulator({ port: 0, logger: false });
  other = await startEmulator({
    port: 0,
    logger: false,
    seed: { users: [{ id: 5, email: "someone@example.com" }] },
  });
});
afterAll(async () => {
  await own?.close();
  await other?.close();
  await data?.remove();
});

describe("tokenbill solusio reconcile", () => {
  it("compares with the database's own SolusIO, and refuses another one (exit 4), --fix too", {
    timeout: 120_000,
  }, async () => {
    // The first comparison binds nothing; `solusio bind` does, as the first sync or billing run would.
    const bind = await tokenbillCommand(["solusio", "bind"], {
      DATA_DIR: data.dir,
      LOG_LEVEL: "error",
      SOLUSIO_URL: own.apiUrl,
      SOLUSIO_API_TOKEN: own.adminToken,
    });
    expect(bind.code).toBe(0);
    const same = await reconcile(own);
    expect([same.code, same.stderr]).toEqual([0, ""]);
    expect(same.stdout).toMatch(/^0 customers, 1 SolusIO users, 0 differences\n/);

    const elsewhere = await reconcile(other, "--json");
    expect(elsewhere.code).toBe(4);
    expect(elsewhere.stderr).toMatch(
      new RegExp(
        `^error: this database belongs to SolusIO at ${own.apiUrl}/? \\(identity [^)]+\\), but this process talks to SolusIO at ${other.apiUrl}`,
      ),
    );
    expect(JSON.parse(elsewhere.stdout).error).toMatchObject({ code: "CONFLICT", exit_code: 4 });
    const fix = await reconcile(other, "--fix");
    expect(fix.code).toBe(4);
    expect(fix.stdout).toBe("");
  });
});
