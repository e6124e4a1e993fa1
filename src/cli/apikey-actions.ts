// What `tokenbill apikey …` does when one of its commands runs (apikey-commands.ts has the commands).
import { jsonText } from "../kernel/json.ts";
import { type ApiKey, createApiKey, listApiKeys, revokeApiKey } from "../services/api-keys/api-keys.ts";
import { nameActors } from "../services/audit-log/name-actors.ts";
import { renderTable } from "./output.ts";
import { withSystemContext } from "./with-context.ts";

/** With --json one document on stdout; a new key's secret is only there, never on stderr or in a log. */
const printJson = (value: unknown) => process.stdout.write(`${jsonText(value, 2)}\n`);

/** Every key, a page at a time, each with its creator as the console names them. */
async function keysWithCreators(
  ctx: Parameters<typeof listApiKeys>[0]["ctx"],
): Promise<(ApiKey & { created_by_name: string })[]> {
  const keys: (ApiKey & { created_by_name: string })[] = [];
  for (let page = 1, last = 1; page <= last; page++) {
    const result = await listApiKeys({ ctx, input: { page, per_page: 500 } });
    last = result.meta.last_page;
    // Who made each key as the console names them (a staff user's name and e-mail), not the audit log's
    // `staff:stf_…` label; a page at a time, as nameActors takes at most one page of labels.
    const labels = result.data.flatMap((k) => (k.created_by === null ? [] : [k.created_by]));
    const creators = await nameActors({ ctx, input: { labels } });
    for (const k of result.data) {
      const by = k.created_by === null ? "unknown" : (creators.get(k.created_by) ?? k.created_by);
      keys.push({ ...k, created_by_name: by });
    }
  }
  return keys;
}

export async function createAction(opts: { name: string; role?: string; json?: boolean }): Promise<void> {
  await withSystemContext(async (ctx) => {
    // The verb checks the role's spelling (a VALIDATION error naming `role`), as it does the API's.
    const role = opts.role as ApiKey["role"] | undefined;
    const key = await createApiKey({
      ctx,
      input: { name: opts.name, ...(role === undefined ? {} : { role }) },
    });
    if (opts.json) return void printJson(key);
    process.stdout.write(
      `id:   ${key.id}\nname: ${key.name}\nrole: ${key.role}\nkey:  ${key.key}\n(store the key now: it cannot be shown again)\n`,
    );
  });
}

export async function listAction(opts: { json?: boolean }): Promise<void> {
  await withSystemContext(async (ctx) => {
    const keys = await keysWithCreators(ctx);
    if (opts.json) return void printJson({ data: keys });
    const rows = keys.map((k) => [
      k.id,
      k.prefix ?? "-",
      k.name,
      k.role,
      k.revoked_at ? `revoked ${k.revoked_at}` : "active",
      k.last_used_at ?? "never",
      k.created_by_name,
    ]);
    process.stdout.write(
      `${renderTable(["Id", "Prefix", "Name", "Role", "State", "Last used", "Created by"], rows)}\n`,
    );
  });
}

export async function revokeAction(id: string, opts: { json?: boolean }): Promise<void> {
  await withSystemContext(async (ctx) => {
    const revoked = await revokeApiKey({ ctx, input: { id } });
    if (opts.json) return void printJson(revoked);
    process.stdout.write(
      revoked.changed ? `revoked ${id}\n` : `${id} was already revoked at ${revoked.key.revoked_at}\n`,
    );
  });
}

/** The verb inputs the commands feed (cli-text-input.ts, feedsVerbs). */
export const apiKeyVerbInputs = { create: createApiKey.input };
