import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

// The documentation as the tests in this folder read it: README.md and docs/*.md, their headings' anchors
// as GitHub makes them, their code spans and their fenced blocks. Kept to what the checks need: a full
// Markdown parser would be a dependency for a few regular expressions.

export const ROOT = join(import.meta.dirname, "..", "..");

export interface DocFile {
  /** The path from the repository root, `docs/operations.md`. */
  path: string;
  text: string;
}

/** README.md and every docs/*.md, read once per test file. */
export function docFiles(): DocFile[] {
  const docs = readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`);
  return ["README.md", ...docs.sort()].map((path) => ({
    path,
    text: readFileSync(join(ROOT, path), "utf8"),
  }));
}

const FENCE = /^```[^\n]*\n[\s\S]*?^```$/gm;

/** The text without its fenced blocks: a `# comment` in a shell block is not a heading. */
export function withoutFences(text: string): string {
  return text.replace(FENCE, "");
}

/** The contents of the fenced blocks, a shell line continued with `\` joined to the next. */
export function fencedLines(text: string): string[] {
  return [...text.matchAll(FENCE)].flatMap((block) =>
    block[0]
      .replace(/^```[^\n]*\n|```$/g, "")
      .replace(/\\\n\s*/g, " ")
      .split("\n"),
  );
}

/** Every inline code span outside the fenced blocks (single backticks; none of the docs nests them). */
export function codeSpans(text: string): string[] {
  return [...withoutFences(text).matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingSlug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors a file's headings give, a repeated heading numbered as GitHub numbers it (`-1`, `-2`). */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of withoutFences(text).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const slug = headingSlug(m[1]!);
    const times = seen.get(slug) ?? 0;
    seen.set(slug, times + 1);
    anchors.add(times === 0 ? slug : `${slug}-${times}`);
  }
  return anchors;
}

/** The rows of every Markdown table whose first cell is a code span: `| \`KEY\` | … |` → [KEY, cells…]. */
export function keyedRows(text: string): { key: string; cells: string[] }[] {
  return withoutFences(text)
    .split("\n")
    .flatMap((line) => {
      const m = /^\| `([^`]+)` \|(.*)\|\s*$/.exec(line);
      if (!m) return [];
      // `\|` is a pipe inside a cell, not a cell's end.
      const cells = m[2]!.split(/(?<!\\)\|/).map((cell) => cell.trim());
      return [{ key: m[1]!, cells }];
    });
}

/** `METHOD /path` in prose, tables and shell lines: `POST /api/v1/customers/{id}/sso`, `GET /healthz`. */
export function namedRoutes(text: string): string[] {
  return [...text.matchAll(/\b(GET|HEAD|POST|PUT|PATCH|DELETE)[ `]+(\/[\w{}:./?&=-]*)/g)].map(
    (m) => `${m[1]} ${m[2]!.replace(/[.]+$/, "")}`,
  );
}

/** A path with each parameter as `{}`, so `/customers/{id}`, `/customers/:id` and `/customers/{customer}` agree. */
export const shape = (path: string) => path.replace(/\/+$/, "").replace(/:\w+|\{[^}]*\}/g, "{}");
