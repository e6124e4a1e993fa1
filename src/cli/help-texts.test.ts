import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { everyHelpText } from "./testing/help-texts.ts";

// Every command's help, word for word, against help-texts.txt: written from the command table before each
// group's options were parted from its actions (2026-12-06), so that the move changed no word of any help. A
// change of an option or a description changes the file with it: `npm run cli:help-texts` writes it anew.

describe("every command's --help", () => {
  it("prints what help-texts.txt holds", async () => {
    const expected = readFileSync(join(import.meta.dirname, "testing", "help-texts.txt"), "utf8");
    expect(
      await everyHelpText(),
      "a command's help changed: if on purpose, run `npm run cli:help-texts`",
    ).toBe(expected);
  });
});
