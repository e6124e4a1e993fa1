import { describe, expect, it } from "vitest";
import { commandsOnSharedDatabase } from "../../test/helpers/tokenbill-command.ts";

// A command given --json prints one JSON document on stdout whatever happens: its result, or on a failure the
// admin API's error envelope with the exit code. Before, a failure left stdout empty (`| jq` read nothing and
// succeeded) and said so only in a line of text on stderr, which it still does.

const { tokenbill } = commandsOnSharedDatabase();

describe("a failure of a command given --json", () => {
  it("is the error envelope on stdout as well as its line on stderr", async () => {
    const r = await tokenbill("payments", "statement", "--customer", "999", "--json");
    expect([r.code, r.stderr]).toEqual([3, "error: customer 999 not found\n"]);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: "NOT_FOUND", message: "customer 999 not found", exit_code: 3 },
    });
  });

  it("is the envelope for a mistake on the command line too, with the refused options as issues", async () => {
    const missing = await tokenbill("pricing", "plans", "--json");
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toEqual({
      error: { code: "VALIDATION", message: "required option '--tph <list>' not specified", exit_code: 2 },
    });
    const twice = await tokenbill("billing", "run", "--period", "2026-10", "--period", "2026-11", "--json");
    expect(JSON.parse(twice.stdout)).toEqual({
      error: {
        code: "VALIDATION",
        message: "--period: given more than once; give it once",
        issues: [{ field: "--period", message: "given more than once; give it once" }],
        exit_code: 2,
      },
    });
  });

  it("leaves stdout empty for a command that has no --json", async () => {
    const r = await tokenbill("staff", "list", "--json");
    expect([r.code, r.stdout]).toEqual([2, ""]);
    expect(r.stderr).toMatch(/^error: unknown option '--json'/);
  });
});
