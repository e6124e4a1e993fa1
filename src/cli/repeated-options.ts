import type { Command, Option } from "commander";
import { ServiceError } from "../kernel/errors.ts";

// commander keeps the last of an option given twice: `payments record --amount 100 --amount 0.50` recorded
// 0.50 and exited 0. The admin API refuses a repeated query parameter ("given more than once"); the command
// line does the same, before the action runs, for every option that is not a list (`<values...>`).

/**
 * Throws a VALIDATION error naming each option of `command` that its command line gives more than once.
 * `argv` is the whole command line (process.argv): the options are counted as commander reads them (`--name
 * value`, `--name=value`, `-n value`; a value is skipped, so a value spelled like an option is not counted).
 */
export function checkRepeatedOptions(command: Command, argv: readonly string[]): void {
  const counts = new Map<Option, number>();
  const tokens = argv.slice(2);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === "--") break;
    if (!token.startsWith("-") || token === "-") continue;
    const [name, inline] = token.startsWith("--")
      ? splitInline(token)
      : [token.slice(0, 2), token.slice(2) || undefined];
    const option = command.options.find((o) => o.long === name || o.short === name);
    if (!option) continue;
    counts.set(option, (counts.get(option) ?? 0) + 1);
    if ((option.required || option.optional) && inline === undefined) i++;
  }
  const repeated = [...counts]
    .filter(([option, n]) => n > 1 && !option.variadic)
    .map(([option]) => ({
      field: option.long ?? option.short ?? "",
      message: "given more than once; give it once",
    }));
  if (repeated.length > 0) throw ServiceError.invalid(repeated);
}

function splitInline(token: string): [string, string | undefined] {
  const at = token.indexOf("=");
  return at === -1 ? [token, undefined] : [token.slice(0, at), token.slice(at + 1)];
}

/** Runs checkRepeatedOptions before the action of every command of `program`, nested ones included. */
export function installRepeatedOptionCheck(program: Command): void {
  // commander keeps the command line it parsed on the program (`rawArgs`, not in its types).
  program.hook("preAction", (root, action) =>
    checkRepeatedOptions(action, (root as Command & { rawArgs?: string[] }).rawArgs ?? process.argv),
  );
}
