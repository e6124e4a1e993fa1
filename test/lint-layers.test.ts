import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The layer rules of biome.json (docs/ARCHITECTURE.md, "Dependency rules") checked against files made to break
// them: a rule that names the wrong paths, or an override that replaces another's patterns instead of adding to
// them (Biome keeps the last override's options of a rule, not the union), passes `npm run lint` on a tree
// that happens to obey it. The probes live in a copy of the configuration in a temporary directory, never in
// the repository.

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "..");
const BIOME = join(ROOT, "node_modules", ".bin", "biome");

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tokenbill-lint-layers-"));
  await copyFile(join(ROOT, "biome.json"), join(dir, "biome.json"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The specifiers of `imports` that the layer rules refuse in a file at `path` (relative to the root). */
async function refused(path: string, imports: readonly string[]): Promise<string[]> {
  const file = join(dir, path);
  await mkdir(dirname(file), { recursive: true });
  const lines = imports.map((spec, i) => `import * as m${i} from "${spec}";`);
  await writeFile(
    file,
    `${lines.join("\n")}\n\nexport const all = [${imports.map((_, i) => `m${i}`).join(", ")}];\n`,
  );
  const out = await run(BIOME, ["lint", "--reporter=github", "--max-diagnostics=none", path], {
    cwd: dir,
  }).then(
    (r) => r.stdout,
    (error: { stdout?: string }) => error.stdout ?? "",
  );
  await rm(file);
  const lineNumbers = [...out.matchAll(/^::error title=lint\/style\/noRestrictedImports,.*?,line=(\d+),/gm)];
  return lineNumbers.map((m) => imports[Number(m[1]) - 1]!);
}

describe("the web faces' layer rules", () => {
  it("keep the portal's pages from importing the console's, and the console's from the portal's", async () => {
    expect(
      await refused("src/web/portal/statement-pages.ts", ["../console/list-walk.ts", "../list-walk.ts"]),
    ).toEqual(["../console/list-walk.ts"]);
    expect(
      await refused("src/web/console/invoice-pages.ts", [
        "../portal/portal-lists.ts",
        "../list-walk.ts",
        "../../services/portal/portal-statement.ts",
      ]),
    ).toEqual(["../portal/portal-lists.ts"]);
  });

  it("still keep both faces from the database, as every web page is", async () => {
    for (const face of ["portal", "console"])
      expect(
        await refused(`src/web/${face}/page.ts`, ["kysely", "../../db/schema.ts", "../page-kit.ts"]),
      ).toEqual(["kysely", "../../db/schema.ts"]);
  });
});
