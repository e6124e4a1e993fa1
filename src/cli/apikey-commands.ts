import type { Command } from "commander";
import { createApiKey, listApiKeys, revokeApiKey } from "../services/api-keys/api-keys.ts";
import { nameActors } from "../services/audit-log/name-actors.ts";
import { withSystemContext } from "./with-context.ts";
import { feedsVerbs } from "./cli-text-input.ts";

/** The `apikey` group's commands, added to `apikey` (main.ts makes the group and loads this file when it runs). */
export function addApiKeyCommands(apikey: Command): void {
  apikey
    .command("create")
    .description("create an admin API key (audited); it is printed once and stored only as a hash")
    .requiredOption("--name <name>", "what the key is for")
    .action(async (opts: { name: string }) =>
      withSystemContext(async (ctx) => {
        const key = await createApiKey({ ctx, input: { name: opts.name } });
        process.stdout.write(
          `id:   ${key.id}\nname: ${key.name}\nkey:  ${key.key}\n(store the key now: it cannot be shown again)\n`,
        );
      }),
    );
  apikey
    .command("list")
    .description("list admin API keys (never the keys themselves)")
    .action(async () =>
      withSystemContext(async (ctx) => {
        for (let page = 1, last = 1; page <= last; page++) {
          const result = await listApiKeys({ ctx, input: { page, per_page: 500 } });
          last = result.meta.last_page;
          // Who made each key as the console names them (a staff user's name and e-mail), not the audit log's
          // `staff:stf_…` label; a page at a time, as nameActors takes at most one page of labels.
          const labels = result.data.flatMap((k) => (k.created_by === null ? [] : [k.created_by]));
          const creators = await nameActors({ ctx, input: { labels } });
          for (const k of result.data) {
            const state = k.revoked_at ? `revoked ${k.revoked_at}` : "active";
            const by = k.created_by === null ? "unknown" : (creators.get(k.created_by) ?? k.created_by);
            process.stdout.write(
              `${k.id}  ${k.prefix ?? "-"}  ${k.name}  ${state}  last used ${k.last_used_at ?? "never"}  by ${by}\n`,
            );
          }
        }
      }),
    );
  apikey
    .command("revoke <id>")
    .description("revoke an admin API key (audited); revoking a revoked key changes nothing")
    .action(async (id: string) =>
      withSystemContext(async (ctx) => {
        const { key, changed } = await revokeApiKey({ ctx, input: { id } });
        process.stdout.write(
          changed ? `revoked ${id}\n` : `${id} was already revoked at ${key.revoked_at}\n`,
        );
      }),
    );
  feedsVerbs(apikey, { create: createApiKey.input });
}
