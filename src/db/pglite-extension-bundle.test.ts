import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import type { Extension, PGliteInterface, postgresMod } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { afterAll, describe, expect, it } from "vitest";
import { bundledInOnePiece } from "./pglite-extension-bundle.ts";

// The extension wrapper that hands PGlite an extension's bundle already unpacked (pglite-extension-bundle.ts).
// That PGlite then installs it is shown by the databases every db test opens: migration 010 creates pg_trgm,
// and customer-email-filter.db.test.ts finds its index in the plan.

type PostgresMod = postgresMod.PostgresMod;
const pg = {} as PGliteInterface;
const dir = mkdtempSync(join(tmpdir(), "tokenbill-bundle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the preRun hooks as Emscripten would, on a module that has PGlite's (empty) pg_extensions. */
function runPreRun(options: Partial<PostgresMod>): PostgresMod["pg_extensions"] {
  const mod = { pg_extensions: {} } as PostgresMod;
  for (const hook of options.preRun ?? []) hook(mod);
  return mod.pg_extensions;
}

describe("bundledInOnePiece", () => {
  it("takes the bundle out of PGlite's loader and puts its unpacked bytes where PGlite reads them", async () => {
    const unpacked = Buffer.from("a tar archive's bytes, whatever they are \u00a3\u20ac");
    const path = join(dir, "ext.tar.gz");
    writeFileSync(path, gzipSync(unpacked));
    const earlier = (mod: PostgresMod) => {
      mod.pg_extensions["earlier"] = Promise.resolve(null);
    };
    const extension: Extension = {
      name: "ext",
      setup: async () => ({ bundlePath: pathToFileURL(path), emscriptenOpts: { preRun: [earlier] } }),
    };

    const result = await bundledInOnePiece(extension, "ext_key").setup(pg, {});

    expect(result.bundlePath).toBeUndefined();
    const extensions = runPreRun(result.emscriptenOpts);
    expect(Object.keys(extensions)).toEqual(["earlier", "ext_key"]);
    const blob = await extensions["ext_key"];
    expect(Buffer.from(await blob!.arrayBuffer())).toEqual(unpacked);
  });

  it("keeps the options PGlite passed when the extension returns none of its own", async () => {
    const extension: Extension = {
      name: "ext",
      setup: async () => ({ bundlePath: pathToFileURL(join(dir, "ext.tar.gz")) }),
    };
    const passed = { thisProgram: "postgres" };

    const result = await bundledInOnePiece(extension, "ext").setup(pg, passed);

    expect(result.emscriptenOpts.thisProgram).toBe("postgres");
    expect(result.emscriptenOpts.preRun).toHaveLength(1);
    expect(passed).toEqual({ thisProgram: "postgres" });
  });

  it("passes an extension without a bundle through as it is", async () => {
    const result = { namespaceObj: { hello: true } };
    const extension: Extension = { name: "plain", setup: async () => result };

    expect(await bundledInOnePiece(extension, "plain").setup(pg, {})).toBe(result);
  });

  it("unpacks pg_trgm's own bundle to the archive that holds its library", async () => {
    const result = await bundledInOnePiece(pg_trgm, "pg_trgm").setup(pg, {});
    const blob = await runPreRun(result.emscriptenOpts)["pg_trgm"];
    const tar = Buffer.from(await blob!.arrayBuffer());

    expect(tar.includes("pg_trgm.so")).toBe(true);
    expect(tar.includes("pg_trgm.control")).toBe(true);
  });
});
