import type { Command } from "commander";
import { z } from "zod";
import { assertCleanText, isTextTooLong, MAX_BODY_TEXT } from "../kernel/clean-text.ts";
import { ServiceError } from "../kernel/errors.ts";
import { optionForField } from "./option-names.ts";

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
export async function checkCommandText(command: Command): Promise<void> {
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
  try {
    assertCleanText(fields, undefined, MAX_BODY_TEXT);
  } catch (error) {
    // Over the cap every text has: an option whose verb field has a lower limit says that one ("at most 400"),
    // as the API does (src/http/route.ts), not the cap, which read as though the option took 10,000 characters.
    if (isTextTooLong(error))
      throw (await ownLimitRefusal(command, (error as ServiceError).issues[0]!.field)) ?? error;
    throw error;
  }
}

/**
 * The verb inputs each group's commands feed (feedsVerbs), loaded only when an option is over the cap: a group's
 * verbs are imported when one of its commands runs, not for its --help (light-commands-load.test.ts).
 */
const VERB_INPUTS = new WeakMap<Command, () => Promise<Record<string, z.ZodType>>>();

/**
 * Declares which verb input (a verb's input schema) each command of `group` feeds with its options, by command
 * name, as `inputs` answers them: an option over the cap of every text is then told its field's own, lower
 * length limit.
 */
export function feedsVerbs(group: Command, inputs: () => Promise<Record<string, z.ZodType>>): void {
  for (const command of group.commands) VERB_INPUTS.set(command, inputs);
}

/** The verb input `command` feeds, if its group declared one (feedsVerbs). */
export async function verbInputOf(command: Command): Promise<z.ZodObject | undefined> {
  const inputs = VERB_INPUTS.get(command);
  if (!inputs) return undefined;
  let schema: unknown = (await inputs())[command.name()];
  while (schema instanceof z.ZodPipe) schema = schema.in;
  return schema instanceof z.ZodObject ? schema : undefined;
}

/** The refusal of option `name`'s value for the length its verb field allows, when that field has one. */
async function ownLimitRefusal(command: Command, name: string): Promise<ServiceError | undefined> {
  const input = await verbInputOf(command);
  const option = command.options.find((o) => o.long === name);
  if (!(input && option)) return undefined;
  const value = command.getOptionValue(option.attributeName());
  for (const [field, schema] of Object.entries(input.shape as Record<string, z.ZodType>)) {
    if (optionForField(command, field) !== name) continue;
    // Only a length refusal: an amount in major units is no field's minor units, and is told the cap alone.
    const tooLong = schema
      .safeParse(value)
      .error?.issues.find((i) => i.code === "too_big" && i.origin === "string");
    if (tooLong) return ServiceError.validation(name, tooLong.message);
  }
  return undefined;
}

/** Runs checkCommandText before the action of every command of `program`, nested ones included. */
export function installCommandTextCheck(program: Command): void {
  program.hook("preAction", async (_program, action) => checkCommandText(action));
}
