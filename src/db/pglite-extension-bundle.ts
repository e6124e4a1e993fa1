import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import type { Extension, postgresMod } from "@electric-sql/pglite";

type PostgresMod = postgresMod.PostgresMod;

/**
 * A PGlite extension whose bundle is read and unpacked here, in one piece, instead of by PGlite's own loader.
 *
 * Why: PGlite 0.4 reads an extension's bundle in Node through a stream pipeline (file → gunzip → writable)
 * while PGlite.create runs. In `serve` that left V8's feedback for `process.nextTick`'s object literal
 * megamorphic for the rest of the process, so every later nextTick (about eight per HTTP request, inside
 * Node's streams and http) defined its two symbol-keyed properties through V8's runtime: 16 % of the
 * instructions of a GetTokenPricing answer (callgrind; docs/performance.md, "One slow path in every
 * request"). Read with readFileSync and gunzipSync, the same bytes reach PGlite and nextTick stays fast.
 *
 * How: the extension's own setup still names its bundle; the bytes go into the Emscripten module's
 * `pg_extensions` (typed in PGlite's PostgresMod) from a preRun hook, which PGlite reads after the module
 * starts and before PostgreSQL does. Should a PGlite upgrade stop reading it there, the extension's files are
 * missing: migration 010 then goes on without the trigram index (with a warning), and
 * customer-email-filter.db.test.ts, which requires that index in the plan, fails.
 */
export function bundledInOnePiece(extension: Extension, key: string): Extension {
  return {
    name: extension.name,
    async setup(pg, emscriptenOpts, clientOnly) {
      const result = await extension.setup(pg, emscriptenOpts, clientOnly);
      const { bundlePath, ...rest } = result;
      if (!bundlePath) return result;
      const bundle = Promise.resolve(new Blob([gunzipSync(readFileSync(bundlePath))]));
      const options: Partial<PostgresMod> = rest.emscriptenOpts ?? emscriptenOpts;
      const addBundle = (mod: PostgresMod) => {
        mod.pg_extensions[key] = bundle;
      };
      return { ...rest, emscriptenOpts: { ...options, preRun: [...(options.preRun ?? []), addBundle] } };
    },
  };
}
