import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allRoutes } from "../routes/index.ts";

// docs/emulator.md lists every route the emulator serves (issue 10, "Done when"): the list between its
// routes:begin and routes:end markers must be the route table the HTTP layer registers, line for line.

const DOC = join(import.meta.dirname, "..", "..", "docs", "emulator.md");

function documentedRoutes(): string[] {
  const text = readFileSync(DOC, "utf8");
  const block = /<!-- routes:begin -->\s*```text\n([\s\S]*?)```\s*<!-- routes:end -->/.exec(text)?.[1];
  if (block === undefined) throw new Error("docs/emulator.md has no routes:begin … routes:end block");
  return block
    .split("\n")
    .map((line) => line.trim().split(/\s+/).join(" "))
    .filter((line) => line !== "");
}

function servedRoutes(): string[] {
  return allRoutes("usage").map((r) => `${r.method} ${r.path.replace(/:([a-z_]+)/gi, "{$1}")} ${r.access}`);
}

describe("docs/emulator.md", () => {
  it("lists every route the emulator registers, with who may call it, and nothing else", () => {
    const documented = documentedRoutes();
    const served = servedRoutes();
    expect(served.length).toBeGreaterThan(50);
    expect({ missingFromDocs: served.filter((r) => !documented.includes(r)) }).toEqual({
      missingFromDocs: [],
    });
    expect({ notServed: documented.filter((r) => !served.includes(r)) }).toEqual({ notServed: [] });
    expect(documented).toEqual(served);
  });
});
