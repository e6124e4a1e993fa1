import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packagesOf, resolveHookFlags } from "../../test/helpers/resolve-hook.ts";
import { commandDataDir } from "../../test/helpers/tokenbill-command.ts";
import { COMMAND_GROUPS, tokenbillProgram } from "./program.ts";
import { everyCommand } from "./testing/every-command.ts";

// A command that needs no database (help, the version, a mistake on its command line) must not load PGlite and
// the other heavy packages: each group's file imported them through with-context.ts, so `tokenbill apikey
// list --bogus` loaded PGlite, pg, pino and undici before saying the option was unknown. Seen from outside: the
// command runs as a user runs it, with a module hook (registered by --import) that writes every package it
// resolves to a file.

const run = promisify(execFile);
const bin = join(import.meta.dirname, "..", "..", "bin", "tokenbill.mjs");
const HEAVY = ["@electric-sql/pglite", "pg", "pdfkit", "stripe", "nodemailer", "fastify", "pino"];

let dir: string;
let hookFlags: string[];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tb-loads-"));
  hookFlags = resolveHookFlags(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The packages `tokenbill ...args` loaded; `dataDir` for a command that opens the database. */
async function packagesLoaded(args: string[], dataDir = join(dir, "data")): Promise<Set<string>> {
  const file = join(dir, `loaded-${args.join("_").replace(/[^a-z0-9_-]/gi, "")}`);
  writeFileSync(file, "");
  await run(process.execPath, [...hookFlags, bin, ...args], {
    env: { ...process.env, TB_RESOLVED: file, DATA_DIR: dataDir, DATABASE_URL: "" },
    cwd: dir,
  }).catch((e: { code?: number }) => {
    if (typeof e.code !== "number") throw e;
  });
  return packagesOf(readFileSync(file, "utf8").split("\n").filter(Boolean));
}

/**
 * The project's own modules (under src/) `tokenbill ...args` loaded, run from its sources through tsx
 * (TOKENBILL_COMPILED=off): a compiled start loads a few bundled chunks, which would hide what a group imports.
 */
async function sourcesLoaded(args: string[]): Promise<string[]> {
  const file = join(dir, `sources-${args.join("_").replace(/[^a-z0-9_-]/gi, "")}`);
  writeFileSync(file, "");
  await run(process.execPath, [...hookFlags, bin, ...args], {
    env: {
      ...process.env,
      TB_RESOLVED: file,
      TOKENBILL_COMPILED: "off",
      DATA_DIR: join(dir, "data"),
      DATABASE_URL: "",
    },
    cwd: dir,
  });
  const src = pathToFileURL(join(import.meta.dirname, "..")).href;
  const urls = readFileSync(file, "utf8").split("\n");
  return [...new Set(urls.filter((u) => u.startsWith(`${src}/`)))].sort();
}

/** `work` for each of `items`, `turns` at a time: a spawn per command, on a machine of few cores. */
async function inTurns<T, R>(
  items: readonly T[],
  turns: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: turns }, worker));
  return results;
}

describe("a command that needs no database", { timeout: 120_000 }, () => {
  it("loads none of PGlite, pg, pdfkit, stripe, nodemailer, fastify, pino", async () => {
    const commands = [
      ["--help"],
      ["--version"],
      ["apikey", "list", "--bogus"],
      ["apikey", "--help"],
      ["staff", "create", "--help"],
      ["pricing", "plans"],
      // Their verbs enqueue jobs: job-wakeups.ts loaded node-postgres, and PGlite through open-database.ts.
      ["billing", "--help"],
      ["billing", "run", "--bogus"],
      ["invoices", "void", "--help"],
    ];
    // Two at a time: each is a process of its own, and none depends on another.
    const loaded = await inTurns(commands, 2, packagesLoaded);
    for (const [i, args] of commands.entries()) {
      // The hook saw the command's packages: commander at least.
      expect(loaded[i], args.join(" ")).toContain("commander");
      expect(
        HEAVY.filter((p) => loaded[i]!.has(p)),
        args.join(" "),
      ).toEqual([]);
    }
  });

  // Help is words only: every group's, walked from the command table, so a group whose file imports a driver or
  // a server is seen whichever it is. `payments` loaded stripe (the provider's module), `dunning` fastify and
  // pino (the sandbox's emulator), `solusio` and `database` PGlite and pg (src/app/database.ts), `emulator`
  // fastify and pino (its server). A command's help loads its group's file and runs no action, so it loads what
  // the group's help does (the test below says why only groups are walked); the first test above asks three
  // commands' help besides.
  it("every group's --help loads none of them", { timeout: 300_000 }, async () => {
    const paths = everyCommand(await tokenbillProgram(() => true))
      .map((c) => c.path)
      .filter((path) => !path.includes(" "));
    expect(paths).toEqual(expect.arrayContaining([...COMMAND_GROUPS.map((g) => g.name), "emulator"]));
    const heavy = await inTurns(paths, 2, async (path) => {
      const loaded = await packagesLoaded([...path.split(" "), "--help"]);
      return { path, commander: loaded.has("commander"), heavy: HEAVY.filter((p) => loaded.has(p)) };
    });
    // Every spawn was seen by the hook (commander), and none of them loaded a heavy package.
    expect(heavy.filter((h) => !h.commander).map((h) => h.path)).toEqual([]);
    expect(heavy.filter((h) => h.heavy.length > 0)).toEqual([]);
  });

  // `dunning --help` loaded 68 of the project's modules (kysely's 263 files among its packages), against the 34
  // of `tokenbill --help`: the dunning ladder and the database's modules, to print one option. Every group's
  // file now holds only its commands' options and words, and imports its actions when one runs (`payment-
  // commands.ts` and `payment-actions.ts`): before, `payments --help` loaded 86 more than the program's help,
  // `billing` 83, `solusio` 57, `invoices` 32, `pricing` and `staff` 16, `apikey` 11. Every group's help is
  // walked from the command table, so a group added is held to it too. A command's help loads what its group's
  // does (main.ts loads the group the command line names, COMMAND_GROUPS in program.ts, and help runs no action):
  // on 2026-12-07 each of the 31 commands' sources were its group's, so walking them too (a start apiece, a
  // minute of this file under load) saw nothing more.
  it("every group's --help loads few of the project's modules more than the program's --help", {
    timeout: 300_000,
  }, async () => {
    const src = pathToFileURL(join(import.meta.dirname, "..")).href;
    const program = await sourcesLoaded(["--help"]);
    const paths = everyCommand(await tokenbillProgram(() => true))
      .map((c) => c.path)
      .filter((path) => !path.includes(" "));
    expect(paths).toEqual(expect.arrayContaining(COMMAND_GROUPS.map((g) => g.name)));
    const counts = await inTurns(paths, 2, async (path) => {
      const loaded = await sourcesLoaded([...path.split(" "), "--help"]);
      const more = loaded.filter((m) => !program.includes(m)).map((m) => m.slice(src.length + 1));
      return { path, more, seen: loaded.some((m) => m.endsWith("/cli/main.ts")) };
    });
    // Every spawn was seen by the hook (the program's entry at least), and none loaded more than a few.
    expect(counts.filter((c) => !c.seen).map((c) => c.path)).toEqual([]);
    expect(counts.filter((c) => c.more.length > 8).map((c) => `${c.path}: ${c.more.join(", ")}`)).toEqual([]);
  });

  // On a copy of the run's migrated database: on an empty directory the command ran initdb and every
  // migration first (10.8 s of this file's 48 s, 2026-12-07), which this test does not need to see.
  it("while a command that runs on the database loads PGlite (the hook sees it)", async () => {
    const data = await commandDataDir();
    try {
      const loaded = await packagesLoaded(["apikey", "list"], data.dir);
      expect(loaded).toContain("@electric-sql/pglite");
    } finally {
      data.remove();
    }
  });
});
