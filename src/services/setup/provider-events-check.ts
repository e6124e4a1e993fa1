import { sql } from "kysely";
import type { Db } from "../../kernel/context.ts";
import type { DoctorCheck } from "./doctor.ts";

/** How many failing events the line names (oldest first); it says how many more there are. */
export const FAILING_EVENTS_NAMED = 5;

/** How much of the oldest failing event's stored error the line quotes. */
const ERROR_QUOTED = 400;

const NAME = "payment provider events";

/**
 * Whether a payment provider's webhook event is stored and failing (provider_event: `error` set, not processed).
 * The provider sends it again with backoff (Stripe for up to three days, then never): until 2026-12-07 only
 * the log's "provider event failed" and a query by hand told anyone, and money the event announced (a payment,
 * a refund the card got) stayed out of the books when nobody looked in time. The error is the one stored,
 * masked already (storedErrorText), and quoted only to a reader who `seesWhere`: below admin no doctor line
 * names a host, which an error (a connection's) may.
 */
export async function providerEventsCheck(db: Db, seesWhere = true): Promise<DoctorCheck> {
  const failing = db
    .selectFrom("provider_event")
    .where("processed_at", "is", null)
    .where("error", "is not", null);
  const { n } = await failing.select(sql<string>`count(*)`.as("n")).executeTakeFirstOrThrow();
  const count = Number(n);
  if (count === 0) return { name: NAME, ok: true, detail: "no payment provider event is stored failing" };
  const oldest = await failing
    .select(["provider", "event_id", "type", "received_at", "error"])
    .orderBy("received_at")
    .orderBy("event_id")
    .limit(FAILING_EVENTS_NAMED)
    .execute();
  const named = oldest.map(
    (e) => `${e.provider} ${e.event_id} (${e.type}, received ${e.received_at.toISOString()})`,
  );
  const more = count - oldest.length;
  const first = oldest[0]!;
  return {
    name: NAME,
    ok: false,
    detail:
      `${count} payment provider event(s) are stored failing, not processed: ${named.join(", ")}` +
      `${more > 0 ? ` and ${more} more` : ""}` +
      (seesWhere ? `; the oldest failed with: ${(first.error ?? "").slice(0, ERROR_QUOTED)}` : ""),
    fix:
      "read each one's reason (the console's Payment events page, /console/payment-events, or GET " +
      "/api/v1/payment-provider-events) and mend its cause, then retry it there (billing and above; POST " +
      "/api/v1/payment-provider-events/{provider}/{event_id}/retry): it is processed as its delivery would be. " +
      "Else the provider's next delivery processes it (Stripe retries for up to three days; after that, resend " +
      "it from the Dashboard: Developers → Events → Resend)",
  };
}
