import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { testTempDir } from "../../test/helpers/test-temp-dir.ts";
import { loadConfig } from "../config.ts";

describe("loadConfig", () => {
  it("takes an empty or blank TOKENBILL_CONFIG as unset, as every other variable: ./tokenbill.config.json applies", () => {
    const dir = testTempDir("tb-config-");
    writeFileSync(join(dir, "tokenbill.config.json"), JSON.stringify({ PORT: 9000 }));
    expect(loadConfig({ TOKENBILL_CONFIG: "" }, dir)).toMatchObject({ PORT: 9000 });
    expect(loadConfig({ TOKENBILL_CONFIG: "  " }, dir)).toMatchObject({ PORT: 9000 });
    const empty = testTempDir("tb-config-");
    expect(loadConfig({ TOKENBILL_CONFIG: "" }, empty)).toMatchObject({ PORT: 8080 });
  });

  it("still refuses a TOKENBILL_CONFIG naming no file, naming it", () => {
    const dir = testTempDir("tb-config-");
    expect(() => loadConfig({ TOKENBILL_CONFIG: join(dir, "missing.json") }, dir)).toThrow(/missing\.json/);
  });
});
