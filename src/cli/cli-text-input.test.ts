import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { MAX_BODY_TEXT } from "../kernel/clean-text.ts";
import { ServiceError } from "../kernel/errors.ts";
import { installCommandTextCheck, verbInputOf } from "./cli-text-input.ts";
import { tokenbillProgram } from "./program.ts";
import { everyCommand } from "./testing/every-command.ts";
import { addPricingCommands } from "./pricing-commands.ts";

// The hook runs before a command's action (src/cli/cli-text-input.ts): a refused value stops the command
// before anything is opened, and names the option or argument as the user typed it.

/** A program shaped like tokenbill's: a group with a command taking options and an argument. */
async function runCommand(...argv: string[]): Promise<{ ran: boolean; issue?: unknown }> {
  let ran = false;
  const program = new Command("tokenbill").exitOverride();
  installCommandTextCheck(program);
  const staff = program.command("staff");
  staff
    .command("create")
    .option("--name <name>", "name", "")
    .option("--password <password>", "password")
    .option("--tags <tags...>", "tags")
    .action(() => {
      ran = true;
    });
  staff.command("disable <id>").action(() => {
    ran = true;
  });
  try {
    await program.parseAsync(["node", "tokenbill", ...argv]);
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error;
    return { ran, issue: error.issues[0] };
  }
  return { ran };
}

describe("a command's text", () => {
  it("runs a command whose options and arguments are clean, right-to-left text and emoji included", async () => {
    expect(await runCommand("staff", "create", "--name", "شركة\u200F Ann 👩\u200D💻")).toEqual({ ran: true });
    expect(await runCommand("staff", "disable", "stf_1")).toEqual({ ran: true });
  });

  it("refuses a control character, a line separator or a bidirectional override, naming the option", async () => {
    expect(await runCommand("staff", "create", "--name", "\u001b[31mRed")).toEqual({
      ran: false,
      issue: { field: "--name", message: "must not contain control characters" },
    });
    expect(await runCommand("staff", "create", "--name", "Ann\u2028Bob")).toEqual({
      ran: false,
      issue: { field: "--name", message: "must not contain line or paragraph separators (U+2028, U+2029)" },
    });
    expect(await runCommand("staff", "create", "--tags", "ok", "gpj.exe\u202Eevil")).toEqual({
      ran: false,
      issue: {
        field: "--tags.1",
        message:
          "must not contain a text-direction control character (U+202E), which changes the order text is shown in",
      },
    });
  });

  it("names an argument by its declared name", async () => {
    expect(await runCommand("staff", "disable", "stf_\t1")).toEqual({
      ran: false,
      issue: { field: "<id>", message: "must not contain control characters" },
    });
  });

  it("only bounds a password: a tab in one is taken, a longer one than any text is not", async () => {
    expect(await runCommand("staff", "create", "--password", "tab\there password")).toEqual({ ran: true });
    expect(await runCommand("staff", "create", "--password", "x".repeat(MAX_BODY_TEXT + 1))).toEqual({
      ran: false,
      issue: { field: "--password", message: `must be at most ${MAX_BODY_TEXT} characters` },
    });
  });
});

describe("an option over the cap of every text", () => {
  /** tokenbill's own `pricing` commands under the hook; a refusal is thrown before their action opens anything. */
  async function pricingRefusal(...argv: string[]): Promise<unknown> {
    const program = new Command("tokenbill").exitOverride();
    installCommandTextCheck(program);
    addPricingCommands(program.command("pricing"));
    try {
      await program.parseAsync(["node", "tokenbill", "pricing", ...argv]);
    } catch (error) {
      if (error instanceof ServiceError) return error.issues[0];
      throw error;
    }
    return undefined;
  }

  // `pricing plans --tph $(seq -s, 1 3000)` said "at most 10000 characters", which read as though --tph took
  // 10,000, while the API said its own 400 (until 2026-12-06).
  it("is told the limit of the verb field it feeds, when that is lower", async () => {
    const tph = Array.from({ length: 3000 }, (_, i) => i + 1).join(",");
    expect(await pricingRefusal("plans", "--tph", tph)).toEqual({
      field: "--tph",
      message: "must be at most 400 characters",
    });
    expect(await pricingRefusal("conversion", "--currency", "USD,".repeat(3000))).toEqual({
      field: "--currency",
      message: "must be at most 400 characters",
    });
  });

  it("keeps the cap for a value its field would refuse for another reason, and for other refusals", async () => {
    expect(await pricingRefusal("plans", "--tph", "7", "--currency", `\u0007${"x".repeat(20)}`)).toEqual({
      field: "--currency",
      message: "must not contain control characters",
    });
  });
});

// A group's verb inputs are loaded with its actions, when an option is over the cap (feedsVerbs): a name in
// an actions file's map that is no command's, or a schema that is no object, would only be seen then.
describe("the verb inputs the groups declare", () => {
  it("are found for each command that feeds one, as a zod object", async () => {
    const program = await tokenbillProgram(() => true);
    const fed: string[] = [];
    for (const { path, command } of everyCommand(program)) if (await verbInputOf(command)) fed.push(path);
    expect(fed.sort()).toEqual([
      "apikey create",
      "invoices void",
      "payments credit-note",
      "payments record",
      "payments refund",
      "pricing conversion",
      "pricing plans",
      "staff create",
    ]);
  });
});
