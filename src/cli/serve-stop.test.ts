import { afterEach, describe, expect, it } from "vitest";
import { startServe, stopServe } from "../../test/helpers/serve-process.ts";
import { type CommandDataDir, commandDataDir } from "../../test/helpers/tokenbill-command.ts";

// `serve` stopped by a signal, as a supervisor, a closed terminal or an operator sends one: a graceful stop,
// logged in serve's JSON log on stdout (docs/operations.md, "Signals and logs").

let data: CommandDataDir | undefined;
afterEach(() => {
  data?.remove();
  data = undefined;
});

/** The JSON lines of serve's log, in order; other lines (stderr's) are left out. */
function logLines(output: string): { level: number; msg: string; signal?: string }[] {
  return output
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
}

describe("serve stopped by a signal", () => {
  // Each case starts serve on an embedded database: seconds on a busy machine.
  it.each(["SIGHUP", "SIGTERM"] as const)(
    "on %s logs the stop, closes and exits 0",
    { timeout: 120_000 },
    async (signal) => {
      data = await commandDataDir();
      const serve = await startServe({
        ...process.env,
        DATA_DIR: data.dir,
        DATABASE_URL: "",
        PORT: "0",
        TOKENBILL_SANDBOX: "off",
        LOG_LEVEL: "info",
        LOG_FORMAT: "json",
      });
      const exited = new Promise<number | null>((resolve) => serve.child.on("exit", (code) => resolve(code)));
      await stopServe(serve.child, signal);
      // Before, SIGHUP ended serve at once by Node's default: no code (killed, 129 in a shell), nothing logged.
      expect(await exited, serve.output().slice(-2000)).toBe(0);
      expect(logLines(serve.output())).toContainEqual(
        expect.objectContaining({ level: 30, msg: "shutting down", signal }),
      );
    },
  );
});
