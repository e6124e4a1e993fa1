import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { docFiles, ROOT } from "./markdown.ts";

// Every `npm run NAME` the docs give (benchmarks, the emulator, docs:api) is a script of package.json, so an
// operator who copies one runs it rather than reading npm's "Missing script".

const scripts = Object.keys(
  (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> })
    .scripts,
);

describe("the npm scripts the docs name", () => {
  it("are scripts of package.json", () => {
    const named = docFiles().flatMap((doc) =>
      [...doc.text.matchAll(/\bnpm run ([\w:.-]*[\w])/g)].map((m) => ({ doc: doc.path, script: m[1]! })),
    );
    expect(named.length).toBeGreaterThan(10);
    const unknown = named
      .filter(({ script }) => !scripts.includes(script))
      .map(({ doc, script }) => `${doc}: npm run ${script}`);
    expect(unknown).toEqual([]);
  });
});
