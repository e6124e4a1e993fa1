import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { testTempDir } from "../../test/helpers/test-temp-dir.ts";
import { loadConfig } from "../config.ts";

// A config file that is not valid JSON is refused with a message that reaches stderr, `--json`'s envelope and
// whatever collects them. JSON.parse's own words quote the text around the mistake, and the mistake is most
// often right beside a secret (a value left unquoted, a comma forgotten after it).

const MARKER = "sk_test_SECRETMARKER0123456789";

/** The message loadConfig refuses `text` (the config file's whole content) with. */
function refusalOf(text: string): string {
  const dir = testTempDir("tb-config-secrets-");
  const file = join(dir, "tokenbill.config.json");
  writeFileSync(file, text, { mode: 0o600 });
  try {
    loadConfig({}, dir, () => {});
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the file was taken");
}

describe("a config file that is not JSON", () => {
  const broken: Record<string, string> = {
    "a secret left unquoted": `{"SMTP_HOST": "smtp.example.test", "STRIPE_SECRET_KEY": ${MARKER}}`,
    "a short file with an unquoted secret": `{"SMTP_PASSWORD": ${MARKER}}`,
    "a comma missing after a secret": `{"STRIPE_SECRET_KEY": "${MARKER}" "PORT": 8080}`,
    "a secret broken by a line break": `{"SMTP_PASSWORD": "${MARKER}\n"}`,
    "a stray word after a secret": `{"SOLUSIO_API_TOKEN": "${MARKER}", tru}`,
    "a secret in a URL left unquoted": `{"DATABASE_URL": postgres://u:${MARKER}@db.example.test/tb}`,
  };
  for (const [name, text] of Object.entries(broken)) {
    it(`is refused without quoting the file: ${name}`, () => {
      const message = refusalOf(text);
      // Not even a piece of it: V8 quotes ten characters either side of the mistake.
      for (const piece of [MARKER, MARKER.slice(0, 10), "SECRETMA", "sk_test_", "u:sk"])
        expect(message).not.toContain(piece);
      expect(message).toMatch(/tokenbill\.config\.json/);
      expect(message).toMatch(/not valid JSON/);
      expect(message).toMatch(/line \d+, column \d+/);
    });
  }

  it("says where the mistake is, so it can be found without the text", () => {
    const message = refusalOf(`{\n  "PORT": 8080,\n  "SMTP_PASSWORD": ${MARKER}\n}`);
    expect(message).toMatch(/line 3, column 20/);
  });
});
