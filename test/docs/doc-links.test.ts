import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";
import { anchorsOf, docFiles, headingSlug, ROOT, withoutFences } from "./markdown.ts";

// Links between the docs: a relative link names a file that exists, and its #anchor a heading of that file
// (GitHub's anchors), so that a renamed heading or a moved file breaks this test, not a reader's click. The
// same for the source files the docs name in prose (`src/cli/program.ts`): a moved file is found here.

const files = docFiles();

/** Every relative link target of a file, `path#anchor`, `#anchor` or `path`. */
function relativeLinks(text: string): string[] {
  return [...withoutFences(text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

describe("links between the docs", () => {
  it("reads anchors as GitHub makes them", () => {
    expect(headingSlug("Where the schedule starts")).toBe("where-the-schedule-starts");
    expect(headingSlug("Setup and doctor (seed steps 3, 4, 5, 7)")).toBe(
      "setup-and-doctor-seed-steps-3-4-5-7",
    );
    expect(headingSlug("`tokenbill_jobs_failed` — a job's end")).toBe("tokenbill_jobs_failed--a-jobs-end");
    expect([...anchorsOf("# A\n## B\n```\n# not a heading\n```\n## B\n")]).toEqual(["a", "b", "b-1"]);
  });

  it("resolves every relative link and #anchor", () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of files) {
      for (const target of relativeLinks(file.text)) {
        const [path, anchor] = target.split("#") as [string, string | undefined];
        const resolved = path === "" ? file.path : normalize(join(dirname(file.path), decodeURI(path)));
        checked++;
        if (!existsSync(join(ROOT, resolved))) {
          broken.push(`${file.path}: ${target} (no file ${resolved})`);
          continue;
        }
        if (anchor === undefined || !resolved.endsWith(".md")) continue;
        if (!anchorsOf(readFileSync(join(ROOT, resolved), "utf8")).has(anchor))
          broken.push(`${file.path}: ${target} (no heading #${anchor} in ${resolved})`);
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(broken).toEqual([]);
  });

  it("names only source files and folders that exist", () => {
    // Written by the browser tests when they run; not in a checkout.
    const generated = new Set(["test/browser/screenshots"]);
    const missing = files.flatMap((file) =>
      [...file.text.matchAll(/(?<![\w/.-])((?:src|test|bin|bench|emulator)\/[\w./-]*\w)/g)]
        .map((m) => m[1]!)
        .filter(
          (path) => !generated.has(path) && !existsOrStarts(path) && !existsOrStarts(`emulator/${path}`),
        )
        .map((path) => `${file.path}: ${path}`),
    );
    expect(missing).toEqual([]);
  });

  it('quotes only sections that are in the doc it names (operations.md, "Signals and logs")', () => {
    const flat = (text: string) => text.replace(/\s+/g, " ").replace(/[*`]/g, "");
    const texts = new Map(files.map((file) => [file.path.replace(/^docs\//, ""), flat(file.text)]));
    let quoted = 0;
    const missing = files.flatMap((file) =>
      [...flat(file.text).matchAll(/([\w-]+\.md)(?:'s)?,? ["“]([^"”]{3,80})["”]/g)].flatMap((m) => {
        quoted++;
        return texts.get(m[1]!)?.includes(m[2]!) ? [] : [`${file.path}: ${m[1]}, "${m[2]}"`];
      }),
    );
    expect(quoted).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });
});

/** A path that exists, or the start of a file's name in its folder (`test/solusio/solusio-cli` for its .test.ts). */
function existsOrStarts(path: string): boolean {
  if (existsSync(join(ROOT, path))) return true;
  const folder = dirname(path);
  const start = path.slice(folder.length + 1);
  return (
    existsSync(join(ROOT, folder)) &&
    readdirSync(join(ROOT, folder)).some((name) => name.startsWith(`${start}.`))
  );
}
