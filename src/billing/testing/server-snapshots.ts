import { SolusioServer } from "../../solusio/schemas.ts";

// Servers as SolusIO's GET servers lists them, for tests of usage source (b), server snapshots.

/** One server of the seed's 7/5000 plan (an IP at 1/500) for a customer, with `ips` additional IPs. */
export function serverSnapshot(input: { id: number; customer: bigint; ips?: number; createdAt?: string }) {
  const { id, customer, ips = 0, createdAt = "2026-10-10T00:00:00.000000Z" } = input;
  return {
    id,
    uuid: `uuid-${id}`,
    name: `vps-${id}`,
    created_at: createdAt,
    plan: {
      id: 1,
      name: "7/5000",
      tokens_per_hour: 7,
      tokens_per_month: 5000,
      ip_tokens_per_hour: 1,
      ip_tokens_per_month: 500,
    },
    user: { id: 5, billing_user_id: Number(customer) },
    ip_addresses: {
      ipv4: Array.from({ length: ips + 1 }, (_, i) => ({ id: i, ip: "10.0.0.1", is_primary: i === 0 })),
    },
  };
}

/** A SolusIO listing these servers, read as SolusioApi.listServers reads GET servers. */
export function serversListing(list: unknown[]) {
  return { listServers: async () => ({ servers: list.map((s) => SolusioServer.parse(s)), seenAt: null }) };
}
