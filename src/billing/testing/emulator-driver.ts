import type { RunningEmulator } from "../../../emulator/start.ts";

/**
 * Drives the SolusIO emulator over HTTP as an administrator would: servers and their resizes, IPs and
 * backups, and the emulator's clock.
 */
export function emulatorDriver(em: RunningEmulator) {
  const call = async (method: string, path: string, body?: unknown) => {
    const url = path.startsWith("/") ? `${em.url}${path}` : `${em.apiUrl}/${path}`;
    const res = await fetch(url, {
      method,
      headers: {
        accept: "application/json",
        authorization: `Bearer ${em.adminToken}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as { data: Record<string, unknown> }) : { data: {} };
  };
  return {
    /** Sets the emulator's (frozen) clock; returns the instant for the caller's own clock. */
    at: async (iso: string): Promise<Date> => {
      await call("POST", "/_emulator/clock", { now: iso });
      return new Date(iso);
    },
    createServer: async (input: {
      name: string;
      plan: number;
      user: number;
      additional_ip_count?: number;
      backup_settings?: { enabled: boolean };
    }) => (await call("POST", "servers", { location: 1, ...input })).data["id"] as number,
    deleteServer: async (id: number) => {
      await call("DELETE", `servers/${id}`);
    },
    /** The changes billing-rules §2.2 prices (solusio-api.md §6). */
    resize: async (id: number, planId: number) => {
      await call("POST", `servers/${id}/resize`, { plan_id: planId, preserve_disk: true });
    },
    addIps: async (id: number, count: number) => {
      await call("POST", `servers/${id}/ips`, { count });
    },
    removeIps: async (id: number, ids: number[]) => {
      await call("DELETE", `servers/${id}/ips`, { ids });
    },
    /** A plan's prices changed in SolusIO itself (solusio-api.md §5), not through tokenbill's setup. */
    repricePlan: async (id: number, prices: Record<string, number>) => {
      // The whole plan with the new prices, as SolusIO's clients send an update (the emulator refuses less).
      const plan = (await call("GET", `plans/${id}`)).data;
      await call("PUT", `plans/${id}`, { ...plan, ...prices });
    },
    switchBackups: async (id: number, enabled: boolean) => {
      await call("PATCH", `servers/${id}`, { backup_settings: { enabled } });
    },
  };
}
