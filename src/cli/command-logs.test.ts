import { execFile } from "node:child_process";
import { chmodSync, existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it, type OnTestFinishedHandler } from "vitest";
import { testCommandDataDir, tokenbillCommand } from "../../test/helpers/tokenbill-command.ts";

// A command's own log lines (warnings and up, on stderr) follow LOG_FORMAT as serve's do. Before, commands
// built their logger from LOG_LEVEL alone: LOG_FORMAT=pretty gave JSON on a pipe, and json gave pretty lines
// on a terminal, against docs/configuration.md.

/**
 * A DATA_DIR readable by others: opening it logs one warning as it is tightened to 0700. Removed by the test's
 * own hook: the tests run at once, and the global one may run for another of them.
 */
async function looseDataDir(whenFinished: (fn: OnTestFinishedHandler) => void): Promise<string> {
  const data = await testCommandDataDir(whenFinished);
  chmodSync(data.dir, 0o755);
  return data.dir;
}

const bin = join(import.meta.dirname, "..", "..", "bin", "tokenbill.mjs");

/** `tokenbill ...args` on a terminal (util-linux's `script` gives it one); what the terminal showed. */
async function onTerminal(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const command = [process.execPath, bin, ...args].map((a) => `'${a}'`).join(" ");
  const { stdout } = await promisify(execFile)("script", ["-qec", command, "/dev/null"], {
    env: { ...process.env, DATABASE_URL: "", ...env },
  });
  return stdout;
}

const WARNING = "the data directory was readable by other users; now 0700 (owner only)";

// The tests run at once: each command is a process of its own on a directory of its own, mostly starting
// (5 processes one after another took 30–57 s of the suite on a loaded machine).
describe.concurrent("a command's log lines", () => {
  it.for([
    ["billing", "runs"],
    // The solusio group opens its database apart from the other commands; it then refuses (no SolusIO).
    ["solusio", "doctor"],
  ] as const)(
    "are pretty with LOG_FORMAT=pretty, on a pipe too (%s %s)",
    async (args, { onTestFinished }) => {
      const r = await tokenbillCommand(args, {
        DATA_DIR: await looseDataDir(onTestFinished),
        LOG_FORMAT: "pretty",
      });
      expect(r.stderr).toMatch(
        new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d\\] WARN: ${WARNING.replace(/[()]/g, "\\$&")}\n`),
      );
    },
  );

  it("are JSON lines on a pipe by default", async ({ onTestFinished }) => {
    const r = await tokenbillCommand(["billing", "runs"], { DATA_DIR: await looseDataDir(onTestFinished) });
    expect(JSON.parse(r.stderr.split("\n")[0]!)).toMatchObject({ level: 40, msg: WARNING });
  });

  describe("on a terminal", () => {
    it.runIf(existsSync("/usr/bin/script"))(
      "are in colour, unless NO_COLOR is set (no-color.org)",
      async ({ onTestFinished }) => {
        const [coloured, plain] = await Promise.all([
          looseDataDir(onTestFinished).then((dir) => onTerminal(["billing", "runs"], { DATA_DIR: dir })),
          looseDataDir(onTestFinished).then((dir) =>
            onTerminal(["billing", "runs"], { DATA_DIR: dir, NO_COLOR: "1" }),
          ),
        ]);
        expect(coloured).toContain(`\u001b[33mWARN\u001b[39m`);
        // Pretty still, as on any terminal; only the colours go.
        expect(plain).toContain(`WARN: ${WARNING}`);
        expect(plain).not.toContain("\u001b[");
      },
    );
  });
});
