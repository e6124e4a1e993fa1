import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { startServe, stopServe } from "../../test/helpers/serve-process.ts";
import { testCommandDataDir } from "../../test/helpers/tokenbill-command.ts";
import { forcedExit } from "./serve-stop.ts";

// `serve` stopped by a signal, as a supervisor, a closed terminal or an operator sends one: a graceful stop,
// logged in serve's JSON log on stdout (docs/operations.md, "Signals and logs").

/** The JSON lines of serve's log (stdout), in order. */
function logLines(output: string): { level: number; msg: string; signal?: string }[] {
  return output
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
}

// The cases run at once, each serve on a directory of its own (removed by the test's own hook, as an afterEach
// may run for the other): each mostly waits for its process to start.
describe.concurrent("serve stopped by a signal", () => {
  // Each case starts serve on an embedded database: seconds on a busy machine.
  it.for(["SIGHUP", "SIGTERM"] as const)(
    "on %s logs the stop, closes and exits 0",
    { timeout: 120_000 },
    async (signal, { onTestFinished }) => {
      const data = await testCommandDataDir(onTestFinished);
      const serve = await startServe({
        ...process.env,
        DATA_DIR: data.dir,
        DATABASE_URL: "",
        PORT: "0",
        TOKENBILL_SANDBOX: "off",
        LOG_LEVEL: "info",
        LOG_FORMAT: "json",
      });
      // Its whole output: "exit" may come before the last log lines are read, and the last is asserted on.
      const ended = await stopServe(serve, signal);
      // Before, SIGHUP ended serve at once by Node's default: no code (killed, 129 in a shell), nothing logged.
      expect(ended.code, serve.output().slice(-2000)).toBe(0);
      const lines = logLines(ended.stdout);
      expect(lines).toContainEqual(expect.objectContaining({ level: 30, msg: "shutting down", signal }));
      // Its last line says the stop was clean (before, a clean stop and a killed one ended the log alike).
      expect(lines.at(-1)).toEqual(expect.objectContaining({ level: 30, msg: "tokenbill stopped", signal }));
    },
  );
});

describe("serve's forced exit, when closing has not ended in time", () => {
  it("logs why at error before it exits 1", () => {
    const written: string[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => written.push(line) });
    const codes: number[] = [];
    forcedExit(logger, "SIGTERM", 10_000, (code) => codes.push(code))();
    // Before, the process exited 1 with nothing in the log.
    expect(codes).toEqual([1]);
    expect(written.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        level: 50,
        signal: "SIGTERM",
        after_ms: 10_000,
        msg: "forced exit: closing had not ended 10 s after SIGTERM",
      }),
    ]);
  });
});
