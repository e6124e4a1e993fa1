import { describe, expect, it } from "vitest";
import { tokenbillCommand } from "../../test/helpers/tokenbill-command.ts";

// `tokenbill help NAME` for a NAME that is no command says so, as `tokenbill NAME` does, exit 2.

describe("tokenbill help with an unknown command", () => {
  it("names the unknown command before the help, exit 2", async () => {
    const r = await tokenbillCommand(["help", "bogus"]);
    expect(r.code).toBe(2);
    // Before, only the help, which does not say what was wrong.
    expect(r.stderr.split("\n")[0]).toBe("error: unknown command 'bogus'");
    expect(r.stderr).toContain("Usage: tokenbill");
  });

  it("leaves help for a known command as it was", async () => {
    const r = await tokenbillCommand(["help", "billing"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("Usage: tokenbill billing");
  });
});
