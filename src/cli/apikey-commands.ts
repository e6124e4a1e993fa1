import type { Command } from "commander";
import { feedsVerbs } from "./cli-text-input.ts";

// `tokenbill apikey …`: the commands, their options and their words. What they do is in apikey-actions.ts,
// imported when one of them runs, not for --help (light-commands-load.test.ts holds the count).

/** The commands' actions, imported when one runs. */
const actions = () => import("./apikey-actions.ts");

/** The `apikey` group's commands, added to `apikey` (main.ts makes the group and loads this file when it runs). */
export function addApiKeyCommands(apikey: Command): void {
  apikey
    .command("create")
    .description("create an admin API key (audited); it is printed once and stored only as a hash")
    .requiredOption("--name <name>", "what the key is for")
    .option(
      "--role <role>",
      "admin (default: everything a key reaches), billing (money and reading) or support (reading only)",
    )
    .option("--json", "print the key as JSON, the secret in its `key` field (shown this once)")
    .action(async (opts: { name: string; role?: string; json?: boolean }) =>
      (await actions()).createAction(opts),
    );
  apikey
    .command("list")
    .description("list admin API keys (never the keys themselves)")
    .option("--json", 'print the keys as JSON ({"data": [...]}, each with created_by_name)')
    .action(async (opts: { json?: boolean }) => (await actions()).listAction(opts));
  apikey
    .command("revoke <id>")
    .description("revoke an admin API key (audited); revoking a revoked key changes nothing")
    .option("--json", 'print {"key": {...}, "changed": true|false} as JSON')
    .action(async (id: string, opts: { json?: boolean }) => (await actions()).revokeAction(id, opts));
  feedsVerbs(apikey, async () => (await actions()).apiKeyVerbInputs);
}
