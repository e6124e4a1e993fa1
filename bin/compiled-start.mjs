// tokenbill runs its TypeScript sources as they are in the checkout: no build step, never a stale build. Run
// through tsx, each of a command's 500-odd modules (its own and its packages') passes through Node's loader
// hooks, which live in a thread of their own: about 0.8 of the 2.6–2.9 s a command took (2026-12-05,
// docs/performance.md, "tokenbill commands start sooner"). So the first start after the sources change compiles
// them with esbuild (the compiler tsx itself uses, with the same settings that matter: TypeScript as written,
// function and class names kept) into node_modules/.cache/tokenbill/<hash of the sources>/, and every start
// imports that. The hash is of the sources' contents, so an edit, a checkout or a pull is a new directory,
// never a stale one. Packages are not bundled: they load from node_modules as always.
//
// Nothing here may stop tokenbill from starting: when the cache cannot be written (node_modules owned by
// another user) or the compile fails, startCompiled answers false and bin/tokenbill.mjs runs the sources
// through tsx as before. TOKENBILL_COMPILED=off always takes that way.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The checkout this file is in; the tests give a project of their own. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The folders whose TypeScript the program is made of (the CLI starts the emulator from emulator/). */
const SOURCES = ["src", "emulator"];
const ENTRY = "main.mjs";
/** In each compile, a file for every process running from it, named by its pid (see removeOtherCompiles). */
const USERS = "in-use";

/** Where a project's compiles are kept, one directory each. */
export function cacheOf(root = ROOT) {
  return join(root, "node_modules", ".cache", "tokenbill");
}

/**
 * Imports the compiled program, compiling it first when the sources changed; false when it cannot (the caller
 * then runs the sources through tsx). An error thrown by the program itself is not caught here.
 */
export async function startCompiled(env = process.env, root = ROOT) {
  if (env.TOKENBILL_COMPILED === "off") return false;
  const entry = await compiledEntry(root);
  if (!entry) return false;
  markInUse(dirname(entry));
  // As tsx does: a stack trace names the TypeScript file and line, not the compiled one.
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(entry).href);
  return true;
}

/** The compiled entry for the sources as they are now, made if missing; undefined when it cannot be. */
async function compiledEntry(root = ROOT) {
  let dir;
  try {
    dir = join(cacheOf(root), sourcesHash(root));
  } catch {
    return undefined; // a source or the compiler could not be read: tsx will say what is wrong
  }
  if (isFile(join(dir, ENTRY))) return join(dir, ENTRY);
  return compileInChild(root, dir) ? join(dir, ENTRY) : undefined;
}

/** The longest a first start waits for the compile (some 2 s here) before it runs the sources through tsx. */
const COMPILE_TIMEOUT_MS = 120_000;

/**
 * Compiles in a process of its own, waited for synchronously. Why not here: esbuild's API talks to its service
 * over pipes, and those streams, run in the process that goes on to serve, left V8's feedback for
 * `process.nextTick`'s object literal megamorphic for the rest of its life, as PGlite's bundle loading once did
 * (src/db/pglite-extension-bundle.ts): every GetTokenPricing answer of a `serve` started right after a change of
 * the sources then made some 18 calls into V8's runtime, about 23,000 instructions (2026-12-06,
 * docs/performance.md, "A first start's compile"). spawnSync makes no stream in this process.
 */
function compileInChild(root, dir) {
  const script = fileURLToPath(new URL("./compile-sources.mjs", import.meta.url));
  const result = spawnSync(process.execPath, [script, root, dir], {
    stdio: "ignore",
    timeout: COMPILE_TIMEOUT_MS,
    windowsHide: true,
  });
  return result.status === 0 && isFile(join(dir, ENTRY));
}

/** Whether `path` is there (false also when a part of it is not a directory, or cannot be read). */
function isFile(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * A hash of everything the compiled program depends on that is not read at run time: the TypeScript sources
 * (tests excluded), the compiler's version and settings, and where the checkout is (the compiled files name
 * the sources' paths, below).
 */
function sourcesHash(root = ROOT) {
  const hash = createHash("sha256");
  hash.update(`${root}\0${compilerVersion()}\0${COMPILE_SETTINGS_VERSION}\0`);
  hash.update(readFileSync(join(root, "tsconfig.json")));
  for (const folder of SOURCES) {
    for (const file of typeScriptFiles(join(root, folder))) {
      hash.update(`\0${file}\0`);
      hash.update(readFileSync(file));
    }
  }
  return hash.digest("hex").slice(0, 24);
}

/** Raise when compileInto's settings change, so that no start uses files compiled the old way. */
const COMPILE_SETTINGS_VERSION = 2;

/** The esbuild this file imports (the tests' projects have none of their own). */
function compilerVersion() {
  return JSON.parse(readFileSync(join(ROOT, "node_modules", "esbuild", "package.json"), "utf8")).version;
}

/** The program's TypeScript files under `dir`, sorted, without tests. */
function typeScriptFiles(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...typeScriptFiles(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) files.push(path);
  }
  return files.sort();
}

/**
 * Compiles src/cli/main.ts and what it imports into `dir`: into a directory of this process's first, renamed
 * into place whole, so that a start never sees half a compile, and two first starts at once (a test run's
 * workers) each finish, the second using the first's.
 */
export async function compileInto(root, dir) {
  const { build } = await import("esbuild");
  mkdirSync(cacheOf(root), { recursive: true });
  const temporary = `${dir}.${process.pid}.tmp`;
  rmSync(temporary, { recursive: true, force: true });
  try {
    await build({
      entryPoints: { main: join(root, "src", "cli", "main.ts") },
      outdir: temporary,
      // .mjs: under node_modules, Node does not look up the project's package.json for "type": "module".
      outExtension: { ".js": ".mjs" },
      bundle: true,
      // The command groups stay in files of their own, loaded when their command runs (src/cli/main.ts).
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20",
      packages: "external",
      keepNames: true,
      sourcemap: "linked",
      tsconfig: join(root, "tsconfig.json"),
      logLevel: "silent",
      plugins: [sourcePlaces],
    });
    // Made before the rename: a file added to it later does not change the compile's own time, its age below.
    mkdirSync(join(temporary, USERS));
    try {
      renameSync(temporary, dir);
    } catch (error) {
      // Another start compiled the same sources first: theirs is as good.
      if (!isFile(join(dir, ENTRY))) throw error;
      rmSync(temporary, { recursive: true, force: true });
    }
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    throw error;
  }
  removeOtherCompiles(cacheOf(root), dir);
}

/**
 * A module that finds its files by its own place (`new URL("./templates", import.meta.url)`, a createRequire)
 * keeps finding them: each file's import.meta.url, dirname and filename become its source's, as a literal.
 */
const sourcePlaces = {
  name: "tokenbill-source-places",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      if (!text.includes("import.meta")) return { contents: text, loader: "ts" };
      const contents = text
        .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll("import.meta.dirname", JSON.stringify(dirname(args.path)))
        .replaceAll("import.meta.filename", JSON.stringify(args.path));
      return { contents, loader: "ts" };
    });
  },
};

/**
 * Says that this process runs from `dir` until it exits, so that no other start removes the compile under it: a
 * process imports its command's files at start, but a few (the error report's) only when needed, which a `serve`
 * may be months later. Best effort: a process that cannot write here (a cache owned by the installing user) is
 * still covered by the age rule below, and a marker a killed process leaves names a pid no longer running.
 */
function markInUse(dir) {
  const marker = join(dir, USERS, String(process.pid));
  try {
    mkdirSync(join(dir, USERS), { recursive: true });
    writeFileSync(marker, "");
    process.on("exit", () => rmSync(marker, { force: true }));
  } catch {
    // Not ours to write.
  }
}

/** Whether a process of `dir`'s markers is still running (signal 0 only asks; EPERM means another user's). */
function inUse(dir) {
  let pids;
  try {
    pids = readdirSync(join(dir, USERS));
  } catch {
    return false;
  }
  return pids.some((name) => {
    const pid = Number(name);
    if (!Number.isSafeInteger(pid) || pid <= 0) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return error.code === "EPERM";
    }
  });
}

/**
 * Earlier compiles, of sources since changed, are removed: all but the newest few, none made within the hour
 * (a start that found it may not have marked it yet) and none a running process marked as its own. A half-made
 * compile an hour old was left by a start that died compiling.
 */
function removeOtherCompiles(cache, keep) {
  const KEEP_NEWEST = 3;
  const KEEP_YOUNGER_MS = 3_600_000;
  try {
    const entries = readdirSync(cache)
      .filter((name) => join(cache, name) !== keep)
      .map((name) => ({ name, path: join(cache, name), made: statSync(join(cache, name)).mtimeMs }));
    const others = entries.filter((e) => !e.name.endsWith(".tmp")).sort((a, b) => b.made - a.made);
    const old = [...others.slice(KEEP_NEWEST - 1), ...entries.filter((e) => e.name.endsWith(".tmp"))];
    for (const { path, made } of old) {
      if (Date.now() - made > KEEP_YOUNGER_MS && !inUse(path)) rmSync(path, { recursive: true, force: true });
    }
  } catch {
    // Nothing to tidy, or not ours to tidy.
  }
}
