import { MAX_BODY_TEXT } from "../kernel/clean-text.ts";
import { ServiceError } from "../kernel/errors.ts";

// A password given as `--password X` is in the process's arguments, which every user of the host reads
// (ps, /proc/PID/cmdline), and in the shell's history. `--password-stdin` reads it from a pipe instead, as
// `docker login --password-stdin` does; `--password` still works, for the scripts that use it, with a warning.

/** The options a command taking a password has (staff-commands.ts). */
export interface PasswordOptions {
  password?: string | undefined;
  passwordStdin?: boolean | undefined;
}

/** Where the password is read from: process.stdin, or a test's stream. */
export interface PasswordSource extends AsyncIterable<Buffer | string> {
  isTTY?: boolean;
}

/** Printed on stderr when `--password` is used; names no password. */
export const PASSWORD_OPTION_WARNING =
  "warning: --password is readable by every user of this host (ps, /proc) and stays in your shell's history;" +
  " pipe the password to --password-stdin instead\n";

const PIPE_IT = `pipe it in, as printf '%s\\n' "$PASSWORD" | tokenbill … --password-stdin`;

/**
 * The password read from stdin when `--password-stdin` is given: one line, its one trailing newline (LF or
 * CRLF) taken off and nothing else. Undefined without the option. Refused (VALIDATION) when given with
 * `--password`, when stdin is a terminal (the CLI asks for nothing, and a typed password would show), and
 * when stdin is empty or holds more than one line; nothing has been opened then.
 */
export async function passwordFromStdin(
  opts: PasswordOptions,
  stdin: PasswordSource = process.stdin,
): Promise<string | undefined> {
  if (!opts.passwordStdin) return undefined;
  if (opts.password !== undefined)
    throw refusal("--password and --password-stdin: give one of them, not both");
  if (stdin.isTTY)
    throw refusal(`--password-stdin: stdin is a terminal, where a typed password would show; ${PIPE_IT}`);
  const line = withoutNewline(await readBounded(stdin));
  if (line === "") throw refusal(`--password-stdin: stdin held no password; ${PIPE_IT}`);
  // A second line is most likely a file given by mistake: taking its first line would set a password the
  // user does not know they chose.
  if (/[\r\n]/.test(line))
    throw refusal("--password-stdin: stdin held more than one line; give the password alone");
  if (line.length > MAX_BODY_TEXT) throw tooLong();
  return line;
}

/**
 * The password a command runs with: from stdin (passwordFromStdin, read before), else `--password`'s, with
 * the warning on `warn`, else undefined (the verb makes a one-time one).
 */
export function chosenPassword(
  opts: PasswordOptions,
  fromStdin: string | undefined,
  warn: (text: string) => unknown = (text) => process.stderr.write(text),
): string | undefined {
  if (fromStdin !== undefined) return fromStdin;
  if (opts.password !== undefined) warn(PASSWORD_OPTION_WARNING);
  return opts.password;
}

// A UTF-8 character is at most 4 bytes: past this, the text is over the cap whatever it holds.
const MOST_BYTES = MAX_BODY_TEXT * 4 + 2;

/** All of stdin, or the refusal once it is longer than a password may be (`yes | …` never ends). */
async function readBounded(stdin: PasswordSource): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    bytes += buffer.byteLength;
    if (bytes > MOST_BYTES) throw tooLong();
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function withoutNewline(text: string): string {
  if (text.endsWith("\r\n")) return text.slice(0, -2);
  if (text.endsWith("\n")) return text.slice(0, -1);
  return text;
}

function tooLong(): ServiceError {
  return ServiceError.validation("--password-stdin", `must be at most ${MAX_BODY_TEXT} characters`);
}

function refusal(message: string): ServiceError {
  return new ServiceError("VALIDATION", message);
}
