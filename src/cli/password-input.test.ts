import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { MAX_BODY_TEXT } from "../kernel/clean-text.ts";
import { ServiceError } from "../kernel/errors.ts";
import { chosenPassword, PASSWORD_OPTION_WARNING, passwordFromStdin } from "./password-input.ts";

// What `--password-stdin` reads and refuses (staff-password-stdin.test.ts runs the commands themselves).

/** The refusal `promise` ends in, as the command would print it. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceError);
  expect((error as ServiceError).code).toBe("VALIDATION");
  return (error as ServiceError).message;
}

describe("passwordFromStdin", () => {
  it("refuses a terminal, where the CLI asks for nothing and a typed password would show", async () => {
    const terminal = Object.assign(Readable.from(["typed\n"]), { isTTY: true });
    expect(await refusal(passwordFromStdin({ passwordStdin: true }, terminal))).toMatch(
      /^--password-stdin: stdin is a terminal, where a typed password would show; pipe it in/,
    );
  });

  it("refuses more than a password may be without reading on: an endless stream ends", async () => {
    const endless = Readable.from(
      (function* () {
        for (;;) yield Buffer.alloc(64 * 1024, "y");
      })(),
    );
    expect(await refusal(passwordFromStdin({ passwordStdin: true }, endless))).toBe(
      `--password-stdin: must be at most ${MAX_BODY_TEXT} characters`,
    );
  });

  it("reads nothing without the option", async () => {
    const untouched = Readable.from(["never read\n"]);
    expect(await passwordFromStdin({}, untouched)).toBeUndefined();
    expect(untouched.readableDidRead).toBe(false);
  });
});

describe("chosenPassword", () => {
  it("warns of --password only, naming no password", () => {
    const warned: string[] = [];
    const warn = (text: string) => warned.push(text);
    expect(chosenPassword({ password: "on the command line" }, undefined, warn)).toBe("on the command line");
    expect(chosenPassword({ passwordStdin: true }, "from stdin", warn)).toBe("from stdin");
    expect(chosenPassword({}, undefined, warn)).toBeUndefined();
    expect(warned).toEqual([PASSWORD_OPTION_WARNING]);
    expect(PASSWORD_OPTION_WARNING).not.toContain("on the command line");
  });
});
