import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KNOWN_KEYS } from "../../src/config/config-schema.ts";
import { SECRET_KEYS, URL_KEYS } from "../../src/config/sensitive-keys.ts";
import { parseConfig } from "../../src/config.ts";
import { codeSpans, docFiles, fencedLines, keyedRows, ROOT } from "./markdown.ts";

// docs/configuration.md's tables are the complete list of settings: one row for each key the configuration
// reads, none for a key it does not, and the default each row gives, where it is a value written out, is the
// one the configuration applies. (src/config.test.ts checks each whole-number row's range.) The README's
// short table and every other doc may only name settings that exist.

const docs = docFiles();
const configurationDoc = docs.find((d) => d.path === "docs/configuration.md")!;
const rows = keyedRows(configurationDoc.text).filter((row) => /^[A-Z][A-Z0-9_]*$/.test(row.key));
const defaults = parseConfig({}) as Record<string, unknown>;

/** A default cell holding one code span, such as `8080` or `half_away_from_zero`: a value to compare. */
function writtenDefault(cell: string): string | undefined {
  return /^`([^`]+)`$/.exec(cell)?.[1];
}

describe("the settings the docs name", () => {
  it("has a row in docs/configuration.md for every setting, and none for a setting that does not exist", () => {
    const documented = rows.map((row) => row.key);
    expect(KNOWN_KEYS.filter((key) => !documented.includes(key))).toEqual([]);
    expect(documented.filter((key) => !KNOWN_KEYS.includes(key))).toEqual([]);
    expect(documented.filter((key, i) => documented.indexOf(key) !== i)).toEqual([]);
  });

  it("gives the default the configuration applies", () => {
    const compared = rows.flatMap(({ key, cells }) => {
      const written = writtenDefault(cells[0] ?? "");
      const actual = defaults[key];
      // A default the row describes in words (`SOLUSIO_URL` without `/api/v1`, "Stripe's") or that is unset.
      if (written === undefined || actual === undefined || typeof actual === "object") return [];
      return [{ key, written, actual: String(actual) }];
    });
    expect(compared.length).toBeGreaterThan(50);
    expect(compared.filter((c) => c.written !== c.actual)).toEqual([]);
    // A row that says "—" (unset) is a setting whose default is unset.
    const unset = rows.filter((row) => row.cells[0] === "—").map((row) => row.key);
    expect(unset.filter((key) => defaults[key] !== undefined && !isEmptyList(defaults[key]))).toEqual([]);
  });

  it("marks as secret exactly the settings `tokenbill config` masks, and lists every URL it masks", () => {
    // A row's meaning starts "secret" (configuration.md: "every secret key below shows ********").
    const marked = rows.filter((row) => /^secret\b/.test(row.cells[1] ?? "")).map((row) => row.key);
    expect(marked.sort()).toEqual([...SECRET_KEYS].sort());
    const sentence = /every URL \(([^)]*)\) keeps its host/.exec(configurationDoc.text.replace(/\s+/g, " "));
    const listed = [...(sentence?.[1] ?? "").matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!);
    expect(listed.sort()).toEqual([...URL_KEYS].sort());
  });

  it("names in the README's short table only settings that exist, with the defaults they have", () => {
    const readme = docs.find((d) => d.path === "README.md")!;
    // `| \`HOST\`, \`PORT\` | \`127.0.0.1\`, \`8080\` | … |`: a row may name two settings and their defaults.
    const named = [...readme.text.matchAll(/^\| ((?:`[A-Z][A-Z0-9_]*`(?:, )?)+) \| ([^|]*) \|/gm)].flatMap(
      (m) => {
        const keys = [...m[1]!.matchAll(/`([^`]+)`/g)].map((k) => k[1]!);
        const written = m[2]!.trim() === "—" ? [] : [...m[2]!.matchAll(/`([^`]+)`/g)].map((k) => k[1]!);
        return keys.map((key, i) => ({ key, written: written[i] }));
      },
    );
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter(({ key }) => !KNOWN_KEYS.includes(key)).map(({ key }) => key)).toEqual([]);
    const wrong = named.filter(
      ({ key, written }) => written !== undefined && String(defaults[key]) !== written,
    );
    expect(wrong).toEqual([]);
  });

  it("sets in its commands only settings, variables the code reads, or the shell's own variables", () => {
    const read = variablesTheCodeReads();
    expect(read.has("TOKENBILL_COMPILED") && read.has("EMULATOR_PORT")).toBe(true);
    const unknown = docs.flatMap((doc) =>
      [...codeSpans(doc.text), ...fencedLines(doc.text)].flatMap((code) =>
        [...code.matchAll(/(?:^|[\s;(])([A-Z][A-Z0-9_]*)=/g)]
          .map((m) => m[1]!)
          .filter((name) => !KNOWN_KEYS.includes(name) && !read.has(name))
          // A shell variable the same doc goes on to use (`H=…; curl -H "$H"`), or its sample reads.
          .filter((name) => !new RegExp(`\\$\\{?${name}\\b|env\\.${name}\\b`).test(doc.text))
          .map((name) => `${doc.path}: ${name}`),
      ),
    );
    expect(unknown).toEqual([]);
  });
});

/** The environment variables the code reads by name (`env["NAME"]`, `env.NAME`) besides the settings. */
function variablesTheCodeReads(): Set<string> {
  const read = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|mjs)$/.test(entry.name))
        for (const m of readFileSync(join(ROOT, path), "utf8").matchAll(/env(?:\.|\[")([A-Z][A-Z0-9_]*)/g))
          read.add(m[1]!);
    }
  };
  for (const dir of ["src", "bin", "test", "bench", "emulator"]) walk(dir);
  return read;
}

function isEmptyList(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0;
}
