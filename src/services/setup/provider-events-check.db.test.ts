import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failingRefundEvent } from "../../billing/providers/testing/failing-events.ts";
import { type StripeWorld, startStripeWorld } from "../../billing/providers/testing/stripe-world.ts";
import { parseConfig } from "../../config.ts";
import { SolusioApi } from "../../solusio/solusio-api.ts";
import type { SolusioClient } from "../../solusio/solusio-client.ts";
import { REFUSED_SOLUSIO_URL, refusedSolusioClient } from "../../solusio/testing/refused-solusio.ts";
import { runDoctor } from "./doctor.ts";

// A payment provider's event stored failing is retried by the provider alone (Stripe for three days, then
// never). Until 2026-12-07 nothing but the log and a query by hand said so: the doctor says it now, naming the
// events and (to admins) the oldest one's reason, with SolusIO reached or not, as it says what reads only
// tokenbill's database.

let world: StripeWorld;
let client: SolusioClient;
const apiUrl = REFUSED_SOLUSIO_URL;
beforeAll(async () => {
  world = await startStripeWorld();
  client = refusedSolusioClient();
});
afterAll(async () => {
  await client?.close();
  await world?.close();
});

const eventsLine = async (seesWhere: boolean) => {
  const checks = await runDoctor({
    db: world.db,
    api: new SolusioApi(client),
    config: parseConfig({}),
    apiUrl,
    userAreaUrl: apiUrl.replace("/api/v1", ""),
    billingUserIds: "walk",
    seesWhere,
  });
  return checks.find((c) => c.name === "payment provider events");
};

describe("the doctor's payment provider events line", () => {
  it("names a webhook event failing on every delivery, and passes once a delivery processes it", async () => {
    expect(await eventsLine(true)).toMatchObject({ ok: true });
    // A refund's failure not delivered yet, and the whole charge refunded again (Stripe's refund
    // re_events_doctor): no room in the books for it, so its event fails (500) on every delivery.
    const { event, missing: failed } = await failingRefundEvent(world, "events-doctor");

    const line = await eventsLine(true);
    expect(line).toMatchObject({ ok: false, fix: expect.stringContaining("Resend") });
    // It points to where staff read the reasons and retry each event once its cause is mended.
    expect(line!.fix).toContain("/console/payment-events");
    expect(line!.fix).toContain("POST /api/v1/payment-provider-events/{provider}/{event_id}/retry");
    expect(line!.detail).toContain(
      `1 payment provider event(s) are stored failing, not processed: stripe ${event.id} (refund.created, received `,
    );
    expect(line!.detail).toContain("the oldest failed with: ");
    expect(line!.detail).toContain("Stripe has refund re_events_doctor of 1000");
    // Below admin the reason is not quoted (a connection's error may name a host).
    const below = await eventsLine(false);
    expect(below).toMatchObject({ ok: false });
    expect(below!.detail).toContain(event.id);
    expect(below!.detail).not.toContain("failed with");

    // The missing failure arrives, and Stripe's next delivery processes the event.
    expect((await world.deliver(failed)).status).toBe(200);
    expect((await world.deliver(event)).status).toBe(200);
    expect(await eventsLine(true)).toMatchObject({ ok: true });
  });
});
