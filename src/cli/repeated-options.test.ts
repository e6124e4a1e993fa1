import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { ServiceError } from "../kernel/errors.ts";
import { installRepeatedOptionCheck } from "./repeated-options.ts";

// An option given twice is refused before the action runs (src/cli/repeated-options.ts): commander kept the
// last one, so `--amount 100 --amount 0.50` recorded 0.50.

async function run(...argv: string[]): Promise<{ ran: boolean; issues?: unknown }> {
  let ran = false;
  const program = new Command("tokenbill").exitOverride();
  installRepeatedOptionCheck(program);
  program
    .command("payments")
    .command("record")
    .requiredOption("-a, --amount <amount>", "amount")
    .option("--reason <text>", "reason")
    .option("--json", "as JSON")
    .option("--tags <tags...>", "tags")
    .action(() => {
      ran = true;
    });
  try {
    await program.parseAsync(["node", "tokenbill", ...argv]);
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error;
    return { ran, issues: error.issues };
  }
  return { ran };
}

const twice = (field: string) => ({ field, message: "given more than once; give it once" });

describe("an option given twice", () => {
  it("is refused, naming it, in every spelling, before the command runs", async () => {
    expect(await run("payments", "record", "--amount", "100", "--amount", "0.50")).toEqual({
      ran: false,
      issues: [twice("--amount")],
    });
    expect((await run("payments", "record", "--amount=100", "-a", "0.50")).issues).toEqual([
      twice("--amount"),
    ]);
    expect((await run("payments", "record", "-a100", "--json", "--amount", "1", "--json")).issues).toEqual([
      twice("--amount"),
      twice("--json"),
    ]);
  });

  it("is not counted in a value, in a list option or after --", async () => {
    expect(await run("payments", "record", "--amount", "1", "--reason", "--amount")).toEqual({ ran: true });
    expect(await run("payments", "record", "--amount", "1", "--tags", "a", "b", "--tags", "c")).toEqual({
      ran: true,
    });
    expect(await run("payments", "record", "--amount", "1", "--reason", "x", "--", "--reason")).toEqual({
      ran: true,
    });
  });
});
