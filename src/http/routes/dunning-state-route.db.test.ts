import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import { createDunCustomer, issueInvoice } from "../../billing/dunning/dunning-fixtures.ts";
import { evaluateCustomerDunning } from "../../billing/dunning/evaluate-dunning.ts";
import { parseConfig } from "../../config.ts";
import { actors } from "../../kernel/actor.ts";

// GET /api/v1/customers/{id}/dunning: what the console's customer page shows of dunning (exempt or not, the open
// episode's steps), for an integration to read. An invoice due 2026-11-15 has taken its reminder (11-12), first
// overdue (11-16) and lock (11-22) steps by 11-23.

const file = serverPerFile();

const evaluateAt = (iso: string, customerId: bigint) =>
  evaluateCustomerDunning(
    {
      db: file.handle.db,
      config: parseConfig({ LOG_LEVEL: "silent" }),
      logger: pino({ level: "silent" }),
      actor: actors.system("test"),
      now: () => new Date(iso),
    },
    customerId,
    new Date(iso),
  );

describe("GET /api/v1/customers/{id}/dunning", () => {
  it("answers the exemption and the open episode's steps, oldest first", async () => {
    const id = await createDunCustomer(file.handle.db, { email: "dunning-state@example.com" });
    const quiet = await file.server.api("GET", `/api/v1/customers/${id}/dunning`);
    expect(quiet.status).toBe(200);
    expect(quiet.body.data).toEqual({ customer_id: Number(id), exempt: false, episode: null });

    await issueInvoice(file.handle.db, { customerId: id, total: 1000n, dueDate: "2026-11-15" });
    await evaluateAt("2026-11-23T00:00:00Z", id);
    const overdue = (await file.server.api("GET", `/api/v1/customers/${id}/dunning`)).body.data;
    expect(overdue.exempt).toBe(false);
    expect(overdue.episode.steps.map((s: { step: string }) => s.step)).toEqual([
      "reminder",
      "first_overdue",
      "second_overdue",
    ]);
    for (const s of overdue.episode.steps) expect(s.done_at).toBe("2026-11-23T00:00:00.000Z");
    expect(overdue.episode.started_at).toMatch(/^2026-11-/);

    const exempted = await file.server.api("PUT", `/api/v1/customers/${id}/dunning-exemption`, {
      exempt: true,
      reason: "disputed invoice",
    });
    expect(exempted.status).toBe(200);
    expect((await file.server.api("GET", `/api/v1/customers/${id}/dunning`)).body.data.exempt).toBe(true);
  });

  it("answers 404 for an unknown customer and 401 without a key", async () => {
    expect((await file.server.api("GET", "/api/v1/customers/999999/dunning")).status).toBe(404);
    const anonymous = await fetch(`${file.server.url}/api/v1/customers/1/dunning`);
    expect(anonymous.status).toBe(401);
  });
});
