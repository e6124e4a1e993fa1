import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { systemContext } from "../../app/database.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { createSsoLink, redeemSsoLink } from "./sso-link.ts";
import { actors } from "../../kernel/actor.ts";

// A signed SSO link's lifetime, read against the clock of the instance that redeems it.

let handle: DatabaseHandle;
let customerId: bigint;
beforeAll(async () => {
  handle = await createTestDatabase();
  await handle.db
    .insertInto("currency")
    .values({ code: "EUR", exponent: 2, token_unit_cost: "0.001", display_prefix: "€" } as any)
    .onConflict((oc) => oc.doNothing())
    .execute();
  const row = await handle.db
    .insertInto("customer")
    .values({ email: "link@example.com", country: "DE", currency_code: "EUR" } as any)
    .returning("id")
    .executeTakeFirstOrThrow();
  customerId = row.id;
});
afterAll(async () => handle?.close());

const at = (iso: string) => ({
  ...systemContext(handle, parseConfig({}), pino({ level: "silent" }), actors.system("test")),
  now: () => new Date(iso),
});
const queryOf = (url: string) => Object.fromEntries(new URL(url).searchParams);

describe("SSO link lifetime", () => {
  it("works until five minutes have passed, and is refused after", async () => {
    const link = await createSsoLink(at("2026-11-29T12:00:00Z"), customerId);
    expect(link.expires_at).toBe("2026-11-29T12:05:00.000Z");
    const late = await createSsoLink(at("2026-11-29T12:00:00Z"), customerId);
    const login = async (id: bigint) => `logged in ${id}`;
    await expect(redeemSsoLink(at("2026-11-29T12:04:59Z"), queryOf(link.url), login)).resolves.toBe(
      `logged in ${customerId}`,
    );
    await expect(redeemSsoLink(at("2026-11-29T12:05:01Z"), queryOf(late.url), login)).rejects.toThrow(
      /expired/,
    );
  });

  it("releases the link when the login itself fails, so the person can retry", async () => {
    const link = await createSsoLink(at("2026-11-29T12:00:00Z"), customerId);
    const ctx = at("2026-11-29T12:01:00Z");
    await expect(
      redeemSsoLink(ctx, queryOf(link.url), async () => {
        throw new Error("SolusIO down");
      }),
    ).rejects.toThrow("SolusIO down");
    await expect(redeemSsoLink(ctx, queryOf(link.url), async () => "ok")).resolves.toBe("ok");
    await expect(redeemSsoLink(ctx, queryOf(link.url), async () => "ok")).rejects.toThrow(/already used/);
  });
});
