import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { requiredOptions, tokenbillProgram } from "./program.ts";
import { runTokenbill } from "./run-tokenbill.ts";
import { everyCommand } from "./testing/every-command.ts";

// Every command, walked from the command table (as every-command-json.test.ts does), run in-process as
// main.ts runs it: `--help` exits 0 with its usage line; an unknown option exits 2 with one line naming it and
// pointing to the command's --help; a missing required argument or option exits 2 naming it; and none of
// these opens the database (DATA_DIR, a directory that does not exist, is still not there after it).

// No module is mocked: the suite's workers share one module graph (vitest.config.ts, isolate: false), so a
// vi.mock here would reach the test files that run after this one in the same worker. Whether a command
// opened the database is seen on disk instead: DATA_DIR is a directory that does not exist, and opening the
// embedded database creates it.
const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** Commands that run with no argument at all: each of them needs the database or a server. */
const RUN_WITHOUT_ARGUMENTS = new Set([
  "serve",
  "emulator",
  "migrate",
  "config",
  "apikey list",
  "pricing conversion",
  "billing runs",
  "billing poll",
  "payments list",
  "payments events",
  "jobs failed",
  "dunning run",
  "solusio setup",
  "solusio doctor",
  "solusio bind",
  "solusio reconcile",
  "staff list",
  "database late-rows",
]);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  opened: boolean;
}

/** `tokenbill ...args` in this process: its exit code, what it wrote, and whether it opened the database. */
async function tokenbill(args: readonly string[]): Promise<Run> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => stdout.push(String(chunk)) > 0);
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => stderr.push(String(chunk)) > 0);
  // A command that got as far as its action would leave its SIGINT/SIGTERM listeners on this process.
  const listening = SIGNALS.map((signal) => new Set(process.listeners(signal)));
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  let code: number | undefined;
  try {
    code = await runTokenbill(["node", "tokenbill", ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
    SIGNALS.forEach((signal, i) => {
      for (const listener of process.listeners(signal))
        if (!listening[i]!.has(listener)) process.off(signal, listener);
    });
  }
  const ran = {
    code: code ?? Number(process.exitCode ?? 0),
    stdout: stdout.join(""),
    stderr: stderr.join(""),
  };
  process.exitCode = exitCode;
  return { ...ran, opened: existsSync(dataDir) };
}

/**
 * The words that give a command every required argument and option but `leaveOut`. Arguments are positional: an
 * argument left out leaves out those after it too (`payments retry-event stripe` lacks `<event_id>`; without
 * `<provider>` its one word would be taken for the provider).
 */
function requiredWords(command: Command, leaveOut?: string): string[] {
  const words: string[] = [];
  for (const option of requiredOptions(command)) if (option.long !== leaveOut) words.push(option.long!, "x");
  for (const argument of command.registeredArguments) {
    if (argument.name() === leaveOut) break;
    if (argument.required) words.push("1");
  }
  return words;
}

let dir: string;
let dataDir: string;
let commands: { path: string; command: Command }[];
beforeAll(async () => {
  // Nothing may be written there; a command that got through would find an empty directory.
  dir = mkdtempSync(join(tmpdir(), "tb-arguments-"));
  dataDir = join(dir, "data");
  vi.stubEnv("DATA_DIR", dataDir);
  vi.stubEnv("DATABASE_URL", "");
  // Loading every group imports most of tokenbill: seconds on a busy machine.
  commands = everyCommand(await tokenbillProgram(() => true));
}, 120_000);
afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

describe("every command's help and mistakes on its command line", { timeout: 120_000 }, () => {
  it("walks the whole table", () => {
    expect(commands.map((c) => c.path)).toEqual(
      expect.arrayContaining(["billing", "billing run", "staff create", "database restore", "emulator"]),
    );
    for (const path of RUN_WITHOUT_ARGUMENTS) expect(commands.map((c) => c.path)).toContain(path);
  });

  it("--help exits 0 and prints the usage line, without opening the database", async () => {
    for (const { path } of commands) {
      const r = await tokenbill([...path.split(" "), "--help"]);
      expect([r.code, r.stderr, r.opened], path).toEqual([0, "", false]);
      expect(r.stdout.split("\n")[0], path).toMatch(new RegExp(`^Usage: tokenbill ${path}( |$)`));
    }
  });

  it("an unknown option exits 2 with one line naming it and the command's --help", async () => {
    for (const { path, command } of commands) {
      const r = await tokenbill([...path.split(" "), ...requiredWords(command), "--no-such-option"]);
      expect([r.code, r.stdout, r.opened], path).toEqual([2, "", false]);
      expect(r.stderr, path).toMatch(
        new RegExp(`^error: [^\\n]*'--no-such-option'[^\\n]* \\(see \`tokenbill ${path} --help\`\\)\\n$`),
      );
    }
  });

  it("a missing required option or argument exits 2 naming it, without opening the database", async () => {
    let checked = 0;
    for (const { path, command } of commands) {
      const words = path.split(" ");
      const see = ` (see \`tokenbill ${path} --help\`)\n`;
      for (const option of requiredOptions(command)) {
        const r = await tokenbill([...words, ...requiredWords(command, option.long)]);
        expect([r.code, r.stdout, r.stderr, r.opened], path).toEqual([
          2,
          "",
          `error: required option '${option.flags}' not specified${see}`,
          false,
        ]);
        checked++;
      }
      for (const argument of command.registeredArguments.filter((a) => a.required)) {
        const r = await tokenbill([...words, ...requiredWords(command, argument.name())]);
        expect([r.code, r.stdout, r.stderr, r.opened], path).toEqual([
          2,
          "",
          `error: missing required argument '${argument.name()}'${see}`,
          false,
        ]);
        checked++;
      }
    }
    // staff create's --email and --role, billing run's --period, apikey revoke's id, …
    expect(checked).toBeGreaterThan(20);
  });

  it("an unknown option is named before a required one missing: the mistake made, not one it causes", async () => {
    const r = await tokenbill(["staff", "create", "--emial", "a@example.com", "--role", "owner"]);
    expect([r.code, r.stderr]).toEqual([
      2,
      "error: unknown option '--emial' (Did you mean --email?) (see `tokenbill staff create --help`)\n",
    ]);
  });

  it("a command that needs input refuses to run without any, before the database", async () => {
    for (const { path, command } of commands) {
      if (command.commands.length > 0 || RUN_WITHOUT_ARGUMENTS.has(path)) continue;
      const r = await tokenbill(path.split(" "));
      expect([r.code, r.stdout, r.opened], path).toEqual([2, "", false]);
      expect(r.stderr, path).toMatch(/^error: (required option|missing required argument) .*\n$/);
    }
  });
});
