import type { Command } from "commander";
import { assertCleanText, MAX_BODY_TEXT } from "../kernel/clean-text.ts";

// A command's options and arguments are held to the admin API's text rules (src/kernel/clean-text.ts) before
// its action runs. Commands call verbs directly, and verbs trust the edge's check: `staff create --name`
// with an escape sequence, or `payments refund --reason` with a bidirectional override, was stored and shown
// in the console and on documents as it was. One hook on the program, so no command can forget it.

/**
 * Options only bounded, as the pages' password fields (src/web/page-text-input.ts): a password is hashed
 * and compared, never stored as text or shown.
 */
const SECRET_OPTIONS = new Set(["password"]);

/**
 * Throws a VALIDATION error naming the first bad option (`--reason`) or argument (`<id>`) of the command
 * about to run. Nothing has been opened or written when it throws.
 */
export function checkCommandText(command: Command): void {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(command.opts())) {
    const option = command.options.find((o) => o.attributeName() === key);
    const name = option?.long ?? `--${key}`;
    if (SECRET_OPTIONS.has(key)) {
      if (typeof value === "string" && value.length > MAX_BODY_TEXT)
        assertCleanText({ [name]: value }, undefined, MAX_BODY_TEXT);
      continue;
    }
    fields[name] = value;
  }
  const declared = command.registeredArguments;
  command.processedArgs.forEach((value, i) => {
    fields[`<${declared[i]?.name() ?? i}>`] = value;
  });
  assertCleanText(fields, undefined, MAX_BODY_TEXT);
}

/** Runs checkCommandText before the action of every command of `program`, nested ones included. */
export function installCommandTextCheck(program: Command): void {
  program.hook("preAction", (_program, action) => checkCommandText(action));
}
