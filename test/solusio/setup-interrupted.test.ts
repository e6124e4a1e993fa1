import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";
import type { DatabaseHandle } from "../../src/db/open-database.ts";
import { type AnswerHoldingRelay, startAnswerHoldingRelay } from "../helpers/answer-holding-relay.ts";
import { createTestDatabase } from "../helpers/test-database.ts";
import { startTestServer, type TestServer } from "../helpers/test-server.ts";
import {
  type SharedCommandDataDir,
  sharedCommandDataDir,
  tokenbillCommand,
} from "../helpers/tokenbill-command.ts";
import { endChild, watchChild } from "../helpers/watch-child.ts";

// `tokenbill solusio setup --apply --json` stopped with Ctrl-C half-way through its changes: until 2026-12 it
// ended 130 with nothing on stdout or stderr, SolusIO half changed. Now it says, as every interrupted command
// does (main.ts, interrupt-signal.ts), which changes it had made and that running it again completes them.

const bin = join(import.meta.dirname, "..", "..", "bin", "tokenbill.mjs");
let emulator: RunningEmulator;
let relay: AnswerHoldingRelay;
let handle: DatabaseHandle;
let tokenbill: TestServer;
let data: SharedCommandDataDir;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, logger: false });
  relay = await startAnswerHoldingRelay(emulator.apiUrl);
  handle = await createTestDatabase();
  tokenbill = await startTestServer(handle.db);
  data = await sharedCommandDataDir();
}, 120_000);
afterAll(async () => {
  await relay?.close();
  await tokenbill?.close();
  await handle?.close();
  await emulator?.close();
  await data?.remove();
});

describe("solusio setup --apply, interrupted", { timeout: 120_000 }, () => {
  it("prints the INTERRUPTED envelope naming the changes made, exit 130, and running it again completes it", async () => {
    const env = {
      ...process.env,
      DATABASE_URL: "",
      DATA_DIR: data.dir,
      SOLUSIO_URL: relay.apiUrl,
      SOLUSIO_API_TOKEN: emulator.adminToken,
      TOKENBILL_PUBLIC_URL: tokenbill.url,
    };
    // Its last change on a fresh SolusIO is the Default limit group's limits: held, SolusIO has made it.
    const groups = await fetch(`${emulator.apiUrl}/limit_groups`, {
      headers: { authorization: `Bearer ${emulator.adminToken}` },
    }).then((r) => r.json() as Promise<{ data: { id: number; name: string }[] }>);
    const defaultGroup = groups.data.find((g) => g.name === "Default")!;
    const held = relay.holdAnswerOf("PUT", `/limit_groups/${defaultGroup.id}`);
    const setup = watchChild(
      spawn(process.execPath, [bin, "solusio", "setup", "--apply", "--json"], {
        env,
        cwd: join(data.dir, ".."),
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    await held;
    // Its output read once whole ("close"): the envelope and the line are its last words, written as it exits.
    const { code, signal, stdout, stderr } = await endChild(setup, "SIGINT");

    expect({ code, signal }, stderr).toEqual({ code: 130, signal: null });
    const message =
      "solusio setup interrupted (SIGINT) before it finished: 2 of 3 changes made (registration, billing_integration), " +
      "the rest not, and a change under way may or may not have been; run `tokenbill solusio setup --apply` again " +
      "to complete the setup (it makes only the changes still missing)";
    expect(JSON.parse(stdout)).toEqual({ error: { code: "INTERRUPTED", message, exit_code: 130 } });
    expect(stderr).toContain(`${message}\n`);

    // Run again (straight to SolusIO: the relay holds every later answer of that PUT), it completes the setup.
    const again = await tokenbillCommand(["solusio", "setup", "--apply", "--json"], {
      DATA_DIR: data.dir,
      SOLUSIO_URL: emulator.apiUrl,
      SOLUSIO_API_TOKEN: emulator.adminToken,
      TOKENBILL_PUBLIC_URL: tokenbill.url,
    });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).remaining).toEqual([]);
  });
});
