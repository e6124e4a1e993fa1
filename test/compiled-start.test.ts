import { execFile } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { cacheOf } from "../bin/compiled-start.mjs";
import { resolveHookFlags } from "./helpers/resolve-hook.ts";

// bin/compiled-start.mjs on a project of a few files made here: what it compiles, when it compiles again, and
// that whatever goes wrong it answers false (bin/tokenbill.mjs then runs the sources through tsx).

const run = promisify(execFile);
const bin = join(import.meta.dirname, "..", "bin");
const projects: string[] = [];

afterEach(() => {
  for (const root of projects.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A project whose src/cli/main.ts prints what it imported and where it believes it is. */
function project(greeting = "hello"): string {
  const root = mkdtempSync(join(tmpdir(), "tb-compiled-"));
  projects.push(root);
  mkdirSync(join(root, "src", "cli"), { recursive: true });
  mkdirSync(join(root, "emulator"));
  mkdirSync(join(root, "node_modules"));
  writeFileSync(join(root, "tsconfig.json"), readFileSync(join(bin, "..", "tsconfig.json")));
  writeGreeting(root, greeting);
  writeFileSync(
    join(root, "src", "cli", "main.ts"),
    [
      'import { existsSync, readdirSync } from "node:fs";',
      'import { join } from "node:path";',
      'import { fileURLToPath } from "node:url";',
      'import { greeting, otherName } from "./greeting.ts";',
      "class Named {}",
      `const cache = ${JSON.stringify(cacheOf(root))};`,
      "const seen = {",
      "  greeting,",
      "  file: fileURLToPath(import.meta.url),",
      "  dir: import.meta.dirname,",
      "  names: [Named.name, otherName],",
      "  // Whether this process is marked as running from its compile.",
      '  marked: readdirSync(cache).some((c) => existsSync(join(cache, c, "in-use", String(process.pid)))),',
      "};",
      "console.log(JSON.stringify(seen));",
    ].join("\n"),
  );
  return root;
}

function writeGreeting(root: string, greeting: string): void {
  // A class of the same name as main.ts's: in one bundle one of them is renamed, unless names are kept.
  writeFileSync(
    join(root, "src", "cli", "greeting.ts"),
    `class Named {}\nexport const greeting: string = ${JSON.stringify(greeting)};\nexport const otherName = Named.name;\n`,
  );
}

/**
 * Runs startCompiled on `root` in a process of its own; what the program printed, or "fell back". `nodeFlags`
 * go to that process only, not to a process it starts.
 */
async function start(root: string, env: NodeJS.ProcessEnv = {}, nodeFlags: string[] = []): Promise<string> {
  const script = `import { startCompiled } from ${JSON.stringify(join(bin, "compiled-start.mjs"))};
if (!(await startCompiled(process.env, ${JSON.stringify(root)}))) console.log("fell back");`;
  const { stdout } = await run(process.execPath, [...nodeFlags, "--input-type=module", "-e", script], {
    env: { ...process.env, ...env },
  });
  return stdout.trim();
}

const compiles = (root: string) => readdirSync(cacheOf(root)).sort();

describe("compiled start (bin/compiled-start.mjs)", () => {
  it("compiles once, keeps each file's own place and names, and compiles again when a source changes", async () => {
    const root = project();
    const first = JSON.parse(await start(root));
    // import.meta as the source file's, not the compiled file's: templates and assets are found beside it.
    expect(first).toEqual({
      greeting: "hello",
      file: join(root, "src", "cli", "main.ts"),
      dir: join(root, "src", "cli"),
      // As tsx keeps them: stack traces and logs name functions and classes as written.
      names: ["Named", "Named"],
      marked: true,
    });
    const [compile] = compiles(root);
    expect(compiles(root)).toEqual([compile]);
    expect(readdirSync(join(cacheOf(root), compile!))).toContain("main.mjs");
    // The mark goes when the process ends.
    expect(readdirSync(join(cacheOf(root), compile!, "in-use"))).toEqual([]);

    expect(JSON.parse(await start(root)).greeting).toBe("hello");
    expect(compiles(root)).toEqual([compile]);

    writeGreeting(root, "changed");
    expect(JSON.parse(await start(root)).greeting).toBe("changed");
    // The earlier compile stays: one made within the hour may be in use by a process still running.
    expect(compiles(root)).toHaveLength(2);
    expect(compiles(root)).toContain(compile);
  });

  it("compiles in a process of its own: the process that goes on to run never loads esbuild", async () => {
    // esbuild's API streams to its service; run in a serve, that slowed every answer for the process's life
    // (compileInChild says how). The compile must still happen, and the program run from it.
    const root = project();
    const resolved = join(root, "resolved.txt");
    writeFileSync(resolved, "");
    const flags = resolveHookFlags(root);
    expect(JSON.parse(await start(root, { TB_RESOLVED: resolved }, flags)).greeting).toBe("hello");
    expect(compiles(root)).toHaveLength(1);
    const urls = readFileSync(resolved, "utf8").split("\n").filter(Boolean);
    // The hook saw this process resolve the compiled program, and nothing of esbuild's.
    expect(urls.some((url) => url.includes("/node_modules/.cache/tokenbill/"))).toBe(true);
    expect(urls.filter((url) => url.includes("esbuild"))).toEqual([]);
  });

  it("lets two first starts at once both run, on one compile", async () => {
    const root = project();
    const answers = await Promise.all([start(root), start(root), start(root)]);
    expect(answers.map((a) => JSON.parse(a).greeting)).toEqual(["hello", "hello", "hello"]);
    expect(compiles(root)).toHaveLength(1);
  });

  it("removes earlier compiles older than an hour beyond the newest few, and half-made ones", async () => {
    const root = project();
    mkdirSync(cacheOf(root), { recursive: true });
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
    const old = ["old-2h", "old-3h", "old-4h", "old-5h", "died-compiling.123.tmp"];
    for (const [i, name] of old.entries()) {
      mkdirSync(join(cacheOf(root), name));
      utimesSync(join(cacheOf(root), name), hoursAgo(i + 2), hoursAgo(i + 2));
    }
    mkdirSync(join(cacheOf(root), "young"));
    await start(root);
    const left = compiles(root);
    // The new compile, the young one and the newest old one: three in all, and nothing made within the hour lost.
    expect(left.filter((n) => !n.startsWith("old") && n !== "young")).toHaveLength(1);
    expect(left.filter((n) => n.startsWith("old") || n === "young")).toEqual(["old-2h", "young"]);
  });

  it("keeps an old compile a running process started from, and removes one whose process has ended", async () => {
    const root = project();
    mkdirSync(cacheOf(root), { recursive: true });
    const { stdout } = await run(process.execPath, ["-e", "console.log(process.pid)"]);
    const ended = stdout.trim();
    const markedBy = { "old-2h": "", "old-3h": "", "running-4h": String(process.pid), "ended-5h": ended };
    for (const [i, [name, pid]] of Object.entries(markedBy).entries()) {
      mkdirSync(join(cacheOf(root), name, "in-use"), { recursive: true });
      if (pid) writeFileSync(join(cacheOf(root), name, "in-use", pid), "");
      const then = new Date(Date.now() - (i + 2) * 3_600_000);
      utimesSync(join(cacheOf(root), name), then, then);
    }
    await start(root);
    // Beyond the newest three and older than an hour, "running-4h" stays only because this test's process runs.
    expect(compiles(root).filter((n) => n.includes("-"))).toEqual(["old-2h", "old-3h", "running-4h"]);
  });

  it("falls back when the compile fails, leaving no half-made compile", async () => {
    const root = project();
    writeFileSync(join(root, "src", "cli", "greeting.ts"), "export const greeting = ;\n");
    expect(await start(root)).toBe("fell back");
    expect(compiles(root)).toEqual([]);
  });

  it("falls back, writing nothing, when a source cannot be read", async () => {
    const root = project();
    rmSync(join(root, "emulator"), { recursive: true });
    expect(await start(root)).toBe("fell back");
    expect(() => readdirSync(cacheOf(root))).toThrow(/ENOENT/);
  });

  it("falls back when the cache cannot be made", async () => {
    const root = project();
    // A file where the cache's directory would be (as root, a read-only directory would still be written).
    writeFileSync(join(root, "node_modules", ".cache"), "");
    expect(await start(root)).toBe("fell back");
  });

  it("falls back without compiling when TOKENBILL_COMPILED=off", async () => {
    const root = project();
    expect(await start(root, { TOKENBILL_COMPILED: "off" })).toBe("fell back");
    expect(() => readdirSync(cacheOf(root))).toThrow(/ENOENT/);
  });

  it("runs tokenbill through tsx when told to, as when it cannot compile", async () => {
    const { version } = JSON.parse(readFileSync(join(bin, "..", "package.json"), "utf8"));
    const { stdout } = await run(process.execPath, [join(bin, "tokenbill.mjs"), "--version"], {
      env: { ...process.env, TOKENBILL_COMPILED: "off" },
    });
    expect(stdout).toBe(`${version}\n`);
  });
});
