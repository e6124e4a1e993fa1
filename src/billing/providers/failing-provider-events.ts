import { sql } from "kysely";
import { z } from "zod";
import {
  assertPageOrCursor,
  countIfAsked,
  cursorKeyInstant,
  cursorParam,
  instantKeyOf,
  type KeysetPage,
  keysetPageOf,
  readCursor,
  totalParam,
} from "../../kernel/list-cursor.ts";
import { offsetOf, PageQuery } from "../../kernel/pagination.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { storedErrorWords } from "../../services/setup/stored-error-words.ts";
import { READ_ROLES, requireStaffRole, seesWhereSystemsAre } from "../../services/staff/staff-roles.ts";

// The payment provider events stored failing (provider_event: `error` set, not processed): money a provider
// announced that is not in the books. The provider retries them for a while (Stripe three days); staff read why
// here, mend the cause and retry each (retry-provider-event.ts). The doctor's "payment provider events" line
// counts them (provider-events-check.ts).

export const FailingProviderEvent = z.object({
  provider: z.string().meta({ description: "the payment provider that sent it (stripe)" }),
  event_id: z.string().meta({ description: "the provider's id of the event (evt_…)" }),
  type: z.string().meta({ description: "the provider's event type (refund.created, …)" }),
  received_at: z.string().meta({ description: "when its first delivery was stored" }),
  error: z.string().meta({
    description:
      "why its last processing failed, as stored; below the admin role with every address hidden, as every stored error",
  }),
});
export type FailingProviderEvent = z.output<typeof FailingProviderEvent>;

/** The list's name in its cursors: another list's cursor is refused. */
const LIST = "failing_provider_events";

export const FailingProviderEventQuery = PageQuery.extend({ cursor: cursorParam, total: totalParam });

/**
 * An event id in a cursor's key: the provider's own id (Stripe's `evt_` and letters and digits), within the
 * column's reach of any provider's ids a cursor could name; anything else is refused as no cursor of this list.
 */
const cursorKeyEventId = z.string().regex(/^[\x21-\x7e]{1,255}$/);

/** The list's sort key as a cursor holds it: when stored, to the microsecond, then the event id. */
const FailingEventKey = z.tuple([cursorKeyInstant, cursorKeyEventId]);

/**
 * The failing events, oldest first (the order the doctor names them in), through the provider_event_failing
 * partial index (migration 051: received_at, event_id of those only), so a page costs what the failures do,
 * not the events every payment leaves. Paged by `page`, or walked by `cursor`. The key has no provider: one is
 * configured at a time, and two providers' events stored in the same microsecond with the same id would be
 * the only pair a cursor could step past.
 */
export const listFailingProviderEvents = defineVerb(
  FailingProviderEventQuery,
  async ({ ctx, input }): Promise<KeysetPage<FailingProviderEvent>> => {
    // Who reads the doctor reads these (every staff role); the error is masked below admin (a failed call's
    // text may name where a system is), as the doctor quotes it only to admins.
    const seesWhere = seesWhereSystemsAre(ctx, await requireStaffRole(ctx, ...READ_ROLES));
    assertPageOrCursor(input);
    const after =
      input.cursor === undefined ? undefined : readCursor(LIST, {}, FailingEventKey, input.cursor);
    const failing = ctx.db
      .selectFrom("provider_event")
      .where("processed_at", "is", null)
      .where("error", "is not", null);
    let page = failing
      .select(["provider", "event_id", "type", "received_at", "error"])
      .select(instantKeyOf("received_at").as("received_at_key"))
      .orderBy("received_at")
      .orderBy("event_id")
      .limit(input.per_page + 1);
    page = after
      ? page.where(sql<boolean>`(received_at, event_id) > (${after[0]}::timestamptz, ${after[1]})`)
      : page.offset(offsetOf(input));
    const [rows, count] = await Promise.all([page.execute(), countIfAsked(input, failing)]);
    const shown = keysetPageOf(rows, count, input, {
      list: LIST,
      filters: {},
      keyOf: (r) => [r.received_at_key, r.event_id],
    });
    const data = shown.rows.map((r) => ({
      provider: r.provider,
      event_id: r.event_id,
      type: r.type,
      received_at: r.received_at.toISOString(),
      error: storedErrorWords(r.error ?? "", seesWhere),
    }));
    return { data, meta: shown.meta };
  },
);
