import { type Command, CommanderError } from "commander";
import { ConfigError } from "../config.ts";
import { asServiceError } from "../kernel/errors.ts";
import { CommandInterrupted } from "./interrupt-signal.ts";
import { UnfitConfigurationError } from "./unfit-configuration.ts";

// With --json a script reads stdout as one JSON document. A failure left it empty (`| jq .` read nothing and
// succeeded): it is now the admin API's error envelope, `{"error":{"code","message","issues"}}`, with the exit
// code beside; the line on stderr stays for the person watching.

/**
 * Whether the command the command line names (`payments statement`, found by its words, as a mistake in the
 * line leaves no command running) has a --json option and the line gives it.
 */
export function asksForJson(program: Command, argv: readonly string[]): boolean {
  const tokens = argv.slice(2);
  const end = tokens.indexOf("--");
  const given = end === -1 ? tokens : tokens.slice(0, end);
  if (!given.includes("--json")) return false;
  let command = program;
  for (const word of given) {
    const sub = command.commands.find((c) => c.name() === word);
    if (sub) command = sub;
  }
  return command.options.some((o) => o.long === "--json");
}

/** The error envelope of a failed command, one line, for stdout. */
export function jsonFailure(error: unknown, exitCode: number): string {
  const known = asServiceError(error);
  const described =
    error instanceof CommanderError
      ? { code: "VALIDATION", message: error.message.replace(/^error: /, "") }
      : error instanceof CommandInterrupted
        ? { code: "INTERRUPTED", message: error.message }
        : error instanceof ConfigError || error instanceof UnfitConfigurationError
          ? { code: "CONFIGURATION", message: error.message }
          : known
            ? {
                code: known.code,
                message: known.message,
                ...(known.issues.length > 0 ? { issues: known.issues } : {}),
              }
            : // What went wrong is on stderr with its stack; nothing internal goes into a document scripts keep.
              { code: "INTERNAL", message: "an unexpected error: see the message on stderr" };
  return `${JSON.stringify({ error: { ...described, exit_code: exitCode } })}\n`;
}

/**
 * The --json of a command that prints its result as JSON anyway (`payments record`, `config`): every command
 * takes --json, so that a script may give it to any of them and read a failure as the envelope too.
 */
export const ALWAYS_JSON_HELP = "print JSON (as without it), and a failure as the error envelope on stdout";
