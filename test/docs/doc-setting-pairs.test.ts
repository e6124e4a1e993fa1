import { describe, expect, it } from "vitest";
import { KNOWN_KEYS } from "../../src/config/config-schema.ts";
import { loneSettingWarnings } from "../../src/config/lone-settings.ts";
import { ConfigError, parseConfig } from "../../src/config.ts";
import { docFiles } from "./markdown.ts";

// docs/configuration.md's "Settings that go in pairs": the settings refused without their partner and those
// only warned about, against what the configuration does. Each setting that is unset by default is given alone,
// with a value of its kind: a refusal naming another setting is a refused pair, a warning one a warned pair.

const text = docFiles()
  .find((d) => d.path === "docs/configuration.md")!
  .text.replace(/\s+/g, " ");
const defaults = parseConfig({}) as Record<string, unknown>;

/** The `A` without `B` pairs of the doc between two phrases. */
function pairsBetween(from: string, to: string): string[] {
  const start = text.indexOf(from);
  const part = text.slice(start, text.indexOf(to, start));
  return [...part.matchAll(/`([A-Z][A-Z0-9_]*)` without `([A-Z][A-Z0-9_]*)`/g)].map(
    (m) => `${m[1]} without ${m[2]}`,
  );
}

/** A value a setting of this name takes on its own. */
function sample(key: string): string {
  if (key.startsWith("DATABASE_")) return "postgres://tokenbill@db.example/tokenbill";
  if (key.endsWith("_URL") || key === "WEBHOOK_URLS") return "https://solusio.example/api/v1";
  if (key === "SMTP_HOST") return "smtp.example";
  if (key === "METRICS_PORT") return "0";
  if (key === "BILLING_START_PERIOD") return "2026-11";
  if (key === "SELLER_EMAIL") return "billing@example.com";
  return "a-value-0123456789";
}

const unsetByDefault = KNOWN_KEYS.filter((key) => {
  const value = defaults[key];
  return value === undefined || (Array.isArray(value) && value.length === 0);
});

describe("docs/configuration.md's settings that go in pairs", () => {
  it("names as refused exactly the settings the configuration refuses without their partner", () => {
    const refused = unsetByDefault.flatMap((key) => {
      try {
        parseConfig({ [key]: sample(key) });
        return [];
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        // A problem naming another setting is a missing partner; one naming only this one is its value.
        const partners = error.problems.flatMap((p) =>
          KNOWN_KEYS.filter((other) => other !== key && new RegExp(`\\b${other}\\b`).test(p)),
        );
        return [...new Set(partners)].map((partner) => `${key} without ${partner}`);
      }
    });
    expect(refused.length).toBeGreaterThan(2);
    const documented = pairsBetween("Settings that go in pairs", "One that is only read");
    expect(documented.sort()).toEqual(refused.sort());
  });

  it("names as warned exactly the settings the start warns about without their partner", () => {
    const warned = unsetByDefault.flatMap((key) => {
      const config = { ...parseConfig({}), [key]: sample(key) } as Parameters<typeof loneSettingWarnings>[0];
      return loneSettingWarnings(config).map((w) =>
        /^warning: (\w+) is set without (\w+)/.exec(w)!.slice(1).join(" without "),
      );
    });
    expect(warned.length).toBeGreaterThan(2);
    const documented = pairsBetween("One that is only read", "Until 2026-12-05 these");
    expect(documented.sort()).toEqual(warned.sort());
  });
});
