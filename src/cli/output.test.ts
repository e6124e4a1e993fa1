import { CommanderError } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ServiceError } from "../kernel/errors.ts";
import { CommandInterrupted } from "./interrupt-signal.ts";
import { jsonFailure } from "./json-errors.ts";
import { reportCliError } from "./output.ts";

afterEach(() => vi.restoreAllMocks());

function reported(error: unknown): { code: number; stderr: string } {
  let stderr = "";
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const code = reportCliError(error);
  vi.restoreAllMocks();
  return { code, stderr };
}

describe("reportCliError", () => {
  it("maps a command-line mistake commander found to exit code 2, adding nothing to its message", () => {
    for (const [code, message] of [
      ["commander.missingMandatoryOptionValue", "error: required option '--period <YYYY-MM>' not specified"],
      ["commander.optionMissingArgument", "error: option '--name <name>' argument missing"],
      ["commander.unknownOption", "error: unknown option '--bogus'"],
      ["commander.excessArguments", "error: too many arguments for 'run'. Expected 0 arguments but got 1."],
      ["commander.help", "(outputHelp)"],
    ]) {
      expect(reported(new CommanderError(1, code!, message!))).toEqual({ code: 2, stderr: "" });
    }
  });

  it("exits 0 after help that was asked for", () => {
    expect(reported(new CommanderError(0, "commander.helpDisplayed", "(outputHelp)"))).toEqual({
      code: 0,
      stderr: "",
    });
  });

  it("prints a service error's message with its exit code", () => {
    expect(reported(ServiceError.validation("period", "must be YYYY-MM"))).toEqual({
      code: 2,
      stderr: "error: period: must be YYYY-MM\n",
    });
  });

  it("ends a command stopped by a signal with the shell's code for it and its line, INTERRUPTED in JSON", () => {
    const stopped = new CommandInterrupted("billing run of 2026-10 interrupted: run it again", "SIGTERM");
    expect(reported(stopped)).toEqual({
      code: 143,
      stderr: "billing run of 2026-10 interrupted: run it again\n",
    });
    expect(JSON.parse(jsonFailure(stopped, 143))).toEqual({
      error: {
        code: "INTERRUPTED",
        message: "billing run of 2026-10 interrupted: run it again",
        exit_code: 143,
      },
    });
  });
});
