import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SharedCommandDataDir, sharedCommandDataDir } from "../../test/helpers/tokenbill-command.ts";

// A command whose output cannot be written: a reader gone (`| head -1`, EPIPE) or a full disk (ENOSPC).
// Before, every command crashed there with Node's "Unhandled 'error' event" and a stack trace, exit code 1.

const bin = join(import.meta.dirname, "..", "..", "bin", "tokenbill.mjs");
// One database for every command, held here as serve holds it: none of them writes to it.
let data: SharedCommandDataDir;
beforeAll(async () => {
  data = await sharedCommandDataDir();
});
afterAll(() => data?.remove());

interface Ended {
  code: number | null;
  stderr: string;
}

/** Runs `tokenbill ...args` with its stdout either a pipe the reader closes at once, or an open file. */
async function withStdout(args: string[], stdout: "closed pipe" | number): Promise<Ended> {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, DATA_DIR: data.dir, DATABASE_URL: "" },
    cwd: join(data.dir, ".."),
    stdio: ["ignore", stdout === "closed pipe" ? "pipe" : stdout, "pipe"],
  });
  // Closed before the command has even started Node: its first write finds no reader.
  if (stdout === "closed pipe") child.stdout?.destroy();
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { code, stderr };
}

describe("tokenbill with nowhere to write its output", () => {
  it.each([
    [["--help"]],
    // Opens the embedded database, and writes only once its work is done.
    [["pricing", "conversion"]],
  ])("%j to a reader that went away exits 141 (SIGPIPE's code) and says nothing", async (args) => {
    expect(await withStdout(args, "closed pipe")).toEqual({ code: 141, stderr: "" });
  });

  it("keeps a failure's own exit code and message when the reader went away", async () => {
    expect(await withStdout(["payments", "show", "pay_x", "extra"], "closed pipe")).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^error: too many arguments/),
    });
  });

  it.runIf(process.platform !== "win32")(
    "cannot tell a stdout closed outright (>&-) from /dev/null: Node gives it /dev/null, exit 0 (README, exit codes)",
    async () => {
      // If this fails, Node has stopped filling a closed fd 1: the command now sees EBADF, and the README's
      // exit codes (and closed-output.ts) should say what it does with it.
      const child = spawn("/bin/sh", ["-c", 'exec "$0" "$1" --help >&-', process.execPath, bin], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    },
  );

  it.runIf(process.platform === "linux")("says once that a full disk took its output, exit 1", async () => {
    const full = openSync("/dev/full", "w");
    try {
      expect(await withStdout(["config"], full)).toEqual({
        code: 1,
        stderr: "error: the output could not be written (ENOSPC: no space left on device, write)\n",
      });
    } finally {
      closeSync(full);
    }
  });
});
