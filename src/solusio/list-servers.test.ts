import { afterEach, describe, expect, it } from "vitest";
import { type PageServer, startPageServer } from "./testing/page-server.ts";

// SolusioApi.listServers: GET servers, every page, as usage source (b) records it (solusio-api.md §6, §9 (b)),
// with answers a live SolusIO might give. The emulator's list is polled in golden-invoice.db.test.ts.

let solusio: PageServer | undefined;
afterEach(async () => {
  await solusio?.close();
  solusio = undefined;
});

async function servers(answers: unknown[]) {
  solusio = await startPageServer(answers);
  return (await solusio.api.listServers()).servers;
}

const server = (id: number, extra: Record<string, unknown> = {}) => ({
  id,
  uuid: `uuid-${id}`,
  name: `vps-${id}`,
  created_at: "2026-10-10T00:00:00.000000Z",
  plan: { id: 1, name: "7/5000", tokens_per_hour: "7", tokens_per_month: 5000 },
  user: { id: 5, billing_user_id: "42" },
  ...extra,
});

describe("SolusioApi.listServers", () => {
  it("follows meta.last_page and reads prices and owners exactly (numeric strings, no IP prices, no owner)", async () => {
    const list = await servers([
      { data: [server(1)], meta: { current_page: 1, last_page: 2 } },
      {
        data: [
          server(2, {
            user: null,
            plan: { id: null, name: "gone", tokens_per_hour: 0, tokens_per_month: 0 },
          }),
        ],
        meta: { current_page: 2, last_page: 2 },
      },
    ]);
    expect(solusio!.requests.map((r) => [r.path, r.query])).toEqual([
      ["/api/v1/servers", { page: "1" }],
      ["/api/v1/servers", { page: "2" }],
    ]);
    expect(list[0]).toMatchObject({
      id: 1,
      created_at: new Date("2026-10-10T00:00:00Z"),
      plan: {
        id: 1,
        tokens_per_hour: 7n,
        tokens_per_month: 5000n,
        ip_tokens_per_hour: 0n,
        ip_tokens_per_month: 0n,
      },
      user: { id: 5, billing_user_id: 42n },
    });
    expect(list[1]).toMatchObject({ plan: { id: null, name: "gone" }, user: null });
  });

  it("fails the whole list with UPSTREAM_UNAVAILABLE naming the page, item and field", async () => {
    const ok = { data: [server(1)], meta: { last_page: 2 } };
    await expect(servers([ok, { data: [server(2, { created_at: "yesterday" })] }])).rejects.toMatchObject({
      code: "UPSTREAM_UNAVAILABLE",
      message:
        "SolusIO servers page 2, data[0].created_at: must be a date and time in ISO 8601 with its offset, such as 2026-11-20T10:00:00Z",
    });
    await solusio?.close();
    await expect(servers([{ servers: [] }])).rejects.toMatchObject({
      code: "UPSTREAM_UNAVAILABLE",
      message: "SolusIO servers page 1 is not a list",
    });
  });
});
