import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { EmulatorClock } from "../clock.ts";
import { saveStateFile } from "./persist.ts";

// The state file holds the emulator's admin token and users' API tokens: it is always saved 0600, even
// over an older state file or a leftover temporary file that other users could read.

const dir = mkdtempSync(join(tmpdir(), "tb-emu-state-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("saves the state file readable by its owner only", () => {
  const path = join(dir, "state.json");
  writeFileSync(path, "{}");
  chmodSync(path, 0o644);
  const leftover = `${path}.${process.pid}.tmp`;
  writeFileSync(leftover, "");
  chmodSync(leftover, 0o666);
  const clock = new EmulatorClock().snapshot();
  saveStateFile(path, { savedAt: new Date().toISOString(), adminToken: "t", clock, state: {} as never });
  expect(statSync(path).mode & 0o777).toBe(0o600);
});
