import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { headingSlug, ROOT, withoutFences } from "./markdown.ts";

// A long doc opens with a list of its sections, `- [Heading](#anchor)`, a `###` indented under its `##`. Each
// finding adds a section, and a section missing from the list is one a reader does not find: so the list is
// checked against the headings themselves, in order and at their level (doc-links.test.ts checks the anchors
// resolve, not that every section is listed).

const DOCS_WITH_CONTENTS = ["docs/performance.md"];

interface Entry {
  level: number;
  anchor: string;
}

/** The `##` and `###` headings with their anchors, a repeated heading numbered as GitHub numbers it. */
function sectionsOf(text: string): Entry[] {
  const seen = new Map<string, number>();
  return [...withoutFences(text).matchAll(/^(#{1,6})\s+(.+?)\s*#*$/gm)].flatMap((m) => {
    const slug = headingSlug(m[2]!);
    const times = seen.get(slug) ?? 0;
    seen.set(slug, times + 1);
    const level = m[1]!.length;
    return level === 2 || level === 3 ? [{ level, anchor: times === 0 ? slug : `${slug}-${times}` }] : [];
  });
}

/** The list before the first `##` heading: two spaces of indent a level below `##`. */
function contentsOf(text: string): Entry[] {
  const top = withoutFences(text).split(/^## /m)[0]!;
  return [...top.matchAll(/^( *)- \[.+\]\(#([^)\s]+)\)$/gm)].map((m) => ({
    level: 2 + m[1]!.length / 2,
    anchor: m[2]!,
  }));
}

describe("the contents list of a long doc", () => {
  it("reads a list and headings as they are written", () => {
    const doc = "# T\n\n- [A](#a)\n  - [B](#b)\n- [A](#a-1)\n\n## A\n### B\n```\n## not one\n```\n## A\n";
    expect(contentsOf(doc)).toEqual(sectionsOf(doc));
    expect(sectionsOf(doc).map((e) => e.anchor)).toEqual(["a", "b", "a-1"]);
  });

  for (const path of DOCS_WITH_CONTENTS) {
    it(`${path} lists every ## and ### section, in order and at its level`, () => {
      const text = readFileSync(join(ROOT, path), "utf8");
      expect(contentsOf(text)).toEqual(sectionsOf(text));
    });
  }
});
