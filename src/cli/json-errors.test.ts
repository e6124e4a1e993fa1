import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { asksForJson } from "./json-errors.ts";
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

  it("is not found for a --customer filter naming no customer, in the words payments statement uses", async () => {
    // It was an empty list and exit 0, as though the customer had no payments.
    const text = await tokenbill("payments", "list", "--customer", "999");
    expect([text.code, text.stdout, text.stderr]).toEqual([3, "", "error: customer 999 not found\n"]);
    const json = await tokenbill("payments", "list", "--customer", "999", "--json");
    expect(JSON.parse(json.stdout)).toEqual({
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

  it("is left out for a command that has no --json (every command has one but the servers)", () => {
    const program = new Command("tokenbill");
    program.command("quiet");
    program.command("loud").option("--json");
    expect(asksForJson(program, ["node", "tokenbill", "quiet", "--json"])).toBe(false);
    expect(asksForJson(program, ["node", "tokenbill", "loud", "--json"])).toBe(true);
  });
});
