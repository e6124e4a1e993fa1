import type { Command } from "commander";
import { ServiceError, validationWording } from "../kernel/errors.ts";

// A command passes its options to a verb under the verb's field names, and a verb's refusal names its field:
// `payments record --date 2040-01-01` said "paid_at: must not be in the future", a name the person typing
// never saw. The refusal is reworded with the option that carried the value, when the command has one.

/**
 * Verb fields whose option has another name than the field's own: `paid_at` comes from `--date`, the payments
 * list's received_from and received_to from `--from` and `--to`.
 */
const OPTION_OF_FIELD: Record<string, string> = { paid_at: "date", received_from: "from", received_to: "to" };

/**
 * The option of `command` that carries verb field `field` (`customer_id` → `--customer`), if it has one. A
 * verb that reads one record calls its key `id`: that is the one `<id>` option given on the command line, or
 * else the command's `<id>` argument (`staff disable <id>`), named as the text check names it.
 */
export function optionForField(command: Command, field: string): string | undefined {
  if (field === "id") {
    const given = command.options.filter(
      (o) => o.flags.endsWith("<id>") && command.getOptionValueSource(o.attributeName()) === "cli",
    );
    if (given.length === 1) return given[0]!.long;
    if (given.length === 0 && command.registeredArguments.some((a) => a.name() === "id")) return "<id>";
    return undefined;
  }
  const camel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  // A secret read from stdin (`--password-stdin`) is named by the option the person gave, not its sibling
  // `--password`, which they did not type.
  const fromStdin = command.options.find((o) => o.attributeName() === `${camel(field)}Stdin`);
  if (fromStdin?.long && command.getOptionValueSource(fromStdin.attributeName()) === "cli")
    return fromStdin.long;
  const candidates = [OPTION_OF_FIELD[field], camel(field), camel(field.replace(/_id$/, ""))];
  for (const name of candidates) {
    if (name === undefined) continue;
    const option = command.options.find((o) => o.attributeName() === name);
    if (option?.long) return option.long;
  }
  return undefined;
}

/**
 * `error` with each refused field that `command` took from an option named by that option instead, whatever
 * its code (a VALIDATION, a CONFLICT such as a reference used before, a NOT_FOUND); any other error, or a
 * refusal naming a field no option carries (it came from elsewhere), as it was.
 */
export function inOptionTerms(error: unknown, command: Command | undefined): unknown {
  if (!(command && error instanceof ServiceError && error.issues.length)) return error;
  // Only a refusal worded from its fields is reworded; one with a message of its own is left whole.
  if (error.message !== validationWording(error.issues)) return error;
  let renamed = false;
  const issues = error.issues.map((issue) => {
    const option = optionForField(command, issue.field);
    const message = fieldsNamedAsOptions(command, issue.message);
    if (option === undefined && message === issue.message) return issue;
    renamed = true;
    return { field: option ?? issue.field, message };
  });
  if (!renamed) return error;
  return new ServiceError(error.code, validationWording(issues), issues);
}

/**
 * `message` with each verb field it mentions (a snake_case word) that an option of `command` carries named by
 * that option: `payments list --from 2026-11-02 --to 2026-11-01` said "--to: must be on or after received_from
 * (2026-11-02)". Only snake_case words: a plain word ("amount", "reference") is as likely English as a field.
 */
function fieldsNamedAsOptions(command: Command, message: string): string {
  return message.replace(/\b[a-z]+(?:_[a-z]+)+\b/g, (word) => optionForField(command, word) ?? word);
}
