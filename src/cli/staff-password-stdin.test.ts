import { execFile } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { authenticateStaff } from "../services/staff/staff-login.ts";
import { commandsOnSharedDatabase } from "../../test/helpers/tokenbill-command.ts";
import type { CommandResult } from "../../test/helpers/tokenbill-command.ts";
import { PASSWORD_OPTION_WARNING } from "./password-input.ts";

// `tokenbill staff create|reset-password --password-stdin`: the password from a pipe, never in the process's
// arguments (ps, /proc/PID/cmdline) nor the shell's history; `--password` still works, with a warning.

const { data, tokenbill } = commandsOnSharedDatabase();
const bin = join(import.meta.dirname, "..", "..", "bin", "tokenbill.mjs");

/** `tokenbill ...args` on the shared database with `input` as its stdin (a pipe, then closed). */
function piped(input: string, ...args: string[]): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { env: { ...process.env, DATA_DIR: data().dir, DATABASE_URL: "" } },
      (error, stdout, stderr) => {
        const code = error ? (error as { code?: unknown }).code : 0;
        if (typeof code !== "number") return reject(error);
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin!.end(input);
  });
}

/** Whether `password` logs `email` in, as the console's login page asks. */
async function logsIn(email: string, password: string): Promise<boolean> {
  try {
    await authenticateStaff({ db: data().handle.db }, { email, password });
    return true;
  } catch {
    return false;
  }
}

const FIRST = "from a pipe, ending in a space ";
const SECOND = "the second one: ünïcode and 'quotes'";

// Each command is a process of its own on two shared cores: hence the longer limits.
describe("tokenbill staff --password-stdin", () => {
  it("creates a user and resets the password with the line read from stdin, printed nowhere", async () => {
    const created = await piped(
      `${FIRST}\n`,
      "staff",
      "create",
      "--email",
      "piped@example.com",
      "--role",
      "admin",
      "--password-stdin",
    );
    expect([created.code, created.stderr]).toEqual([0, ""]);
    expect(created.stdout).not.toContain("password");
    const id = /^id:\s+(stf_[0-9a-f]+)$/m.exec(created.stdout)![1]!;
    // One trailing newline off, and only that: the trailing space is the password's.
    expect(await logsIn("piped@example.com", FIRST)).toBe(true);
    expect(await logsIn("piped@example.com", FIRST.trimEnd())).toBe(false);

    const reset = await piped(`${SECOND}\r\n`, "staff", "reset-password", id, "--password-stdin", "--json");
    expect([reset.code, reset.stderr]).toEqual([0, ""]);
    expect(reset.stdout).not.toContain(SECOND);
    expect(JSON.parse(reset.stdout).password).toBeUndefined();
    expect(await logsIn("piped@example.com", SECOND)).toBe(true);
    expect(await logsIn("piped@example.com", FIRST)).toBe(false);
  }, 120_000);

  it("refuses an empty stdin, more than one line, or both options, before anything is made (exit 2)", async () => {
    const create = ["staff", "create", "--email", "refused@example.com", "--role", "support"];
    const pipeIt = `pipe it in, as printf '%s\\n' "$PASSWORD" | tokenbill … --password-stdin`;
    expect(await piped("", ...create, "--password-stdin")).toEqual({
      code: 2,
      stdout: "",
      stderr: `error: --password-stdin: stdin held no password; ${pipeIt}\n`,
    });
    expect(await piped("\n", ...create, "--password-stdin")).toMatchObject({ code: 2, stdout: "" });
    expect(await piped("line one is long\nline two is long\n", ...create, "--password-stdin")).toEqual({
      code: 2,
      stdout: "",
      stderr: "error: --password-stdin: stdin held more than one line; give the password alone\n",
    });
    const both = await piped(
      "a long password one\n",
      ...create,
      "--password-stdin",
      "--password",
      "a long password two",
    );
    expect(both).toEqual({
      code: 2,
      stdout: "",
      stderr: "error: --password and --password-stdin: give one of them, not both\n",
    });
    const listed = await tokenbill("staff", "list", "--json");
    expect(JSON.parse(listed.stdout).data).not.toContainEqual(
      expect.objectContaining({ email: "refused@example.com" }),
    );
  }, 120_000);

  it("still takes --password, for scripts, and warns on stderr that others can read it", async () => {
    const password = "given on the command line";
    const created = await tokenbill(
      "staff",
      "create",
      "--email",
      "argument@example.com",
      "--role",
      "billing",
      "--password",
      password,
    );
    expect([created.code, created.stderr]).toEqual([0, PASSWORD_OPTION_WARNING]);
    expect(created.stdout).not.toContain(password);
    expect(await logsIn("argument@example.com", password)).toBe(true);
  }, 120_000);
});
