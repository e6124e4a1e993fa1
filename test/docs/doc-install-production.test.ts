import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fencedLines, ROOT } from "./markdown.ts";

// docs/install-production.md is followed line by line by an operator who has not read the code, so what it
// prints and writes must hold as the code and systemd behave. Each check here is a way the guide parted from
// them when it was followed on 2026-12-06 (23:06–23:20 UTC, PostgreSQL and the emulator as SolusIO).

const GUIDE = readFileSync(join(ROOT, "docs/install-production.md"), "utf8");

/** The configuration file's lines, as the guide writes it: the here-document between `<<'CONF'` and `CONF`. */
function configurationKeys(text: string): string[] {
  const m = /<<'CONF'\n([\s\S]*?)\nCONF\n/.exec(text);
  if (!m) return [];
  return m[1]!.split("\n").flatMap((line) => {
    const key = /^([A-Z_][A-Z0-9_]*)=/.exec(line);
    return key ? [key[1]!] : [];
  });
}

/** The keys the systemd unit sets itself: `Environment=KEY=…` lines of the `ini` block. */
function unitEnvironmentKeys(text: string): string[] {
  const unit = /```ini\n([\s\S]*?)```/.exec(text)?.[1] ?? "";
  return [...unit.matchAll(/^Environment=([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
}

describe("docs/install-production.md", () => {
  it("reads the configuration and the unit as they are written", () => {
    const doc = "```bash\ntee f <<'CONF'\nA=1\nPORT=2\nCONF\n```\n```ini\nEnvironment=PORT=%i\nUser=x\n```\n";
    expect(configurationKeys(doc)).toEqual(["A", "PORT"]);
    expect(unitEnvironmentKeys(doc)).toEqual(["PORT"]);
  });

  it("shows `migrate` applying every migration up to the newest", () => {
    const newest = readdirSync(join(ROOT, "src/db/migrations"))
      .filter((name) => /^\d{3}-.+\.ts$/.test(name) && !name.includes(".test."))
      .map((name) => name.replace(/\.ts$/, ""))
      .sort()
      .at(-1);
    const line = fencedLines(GUIDE).find((l) => /tokenbill\.mjs migrate\s+# "applied: 001-/.test(l));
    expect(line, "the first migrate's line with its output").toBeDefined();
    expect(/applied: [^"]*?([\w-]+)"/.exec(line!)?.[1]).toBe(newest);
  });

  it("lets the unit's Environment= set what it sets per instance: the file it reads must not set it too", () => {
    // systemd reads EnvironmentFile= after Environment=, and the file's values win: a PORT in the file would
    // give every tokenbill@PORT instance the file's port, and the second would exit 4 (port in use).
    const inUnit = unitEnvironmentKeys(GUIDE);
    expect(inUnit).toContain("PORT");
    expect(configurationKeys(GUIDE).filter((key) => inUnit.includes(key))).toEqual([]);
  });

  it("sets SOLUSIO_PRICING_TOKEN, which security.md says an operator must", () => {
    expect(configurationKeys(GUIDE)).toContain("SOLUSIO_PRICING_TOKEN");
  });

  it("writes every dump owner-only and puts no password on a command line", () => {
    // A dump holds the SSO signing key (app_secret) in plain text and every key's hash; under the usual
    // umask 022 pg_dump leaves it readable by every user of the host.
    const dumps = fencedLines(GUIDE).filter((line) => /^\s*pg_dump /.test(line.replace(/^umask 077; /, "")));
    expect(dumps.length).toBeGreaterThan(0);
    for (const line of dumps) expect(line).toMatch(/^umask 077; pg_dump /);
    // A password in a psql -c argument is in `ps` while it runs and in the shell's history.
    expect(fencedLines(GUIDE).filter((line) => /password\s+'/i.test(line))).toEqual([]);
  });
});
