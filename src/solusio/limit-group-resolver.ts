import type { Config } from "../config.ts";
import type { SolusioApi } from "./solusio-api.ts";

/**
 * Maps tokenbill's limit-group names to SolusIO ids, asking SolusIO at most once a minute.
 * `null` means the configured default group. A name SolusIO has no group for is undefined, as is "no group
 * wanted": the sync then leaves the user's group as it is. Customers may only be given configured names
 * (limit-group-choice.ts), and reconcile reports a customer whose group SolusIO lacks (`limit_group_unknown`).
 */
export function limitGroupResolver(
  api: SolusioApi,
  config: Config,
): (name: string | null) => Promise<number | undefined> {
  let cache: { at: number; byName: Map<string, number> } | undefined;
  return async (name) => {
    const wanted = name ?? config.SOLUSIO_DEFAULT_LIMIT_GROUP;
    if (!wanted) return undefined;
    if (!cache || Date.now() - cache.at > 60_000 || !cache.byName.has(wanted)) {
      const groups = await api.listLimitGroups();
      cache = { at: Date.now(), byName: new Map(groups.map((g) => [g.name, g.id])) };
    }
    return cache.byName.get(wanted);
  };
}
