import {
  type FailingProviderEvent,
  listFailingProviderEvents,
} from "../billing/providers/failing-provider-events.ts";
import {
  ProviderEventParams,
  type RetriedProviderEvent,
  retryProviderEvent,
} from "../billing/providers/retry-provider-event.ts";
import type { ServiceContext } from "../kernel/context.ts";
import { ServiceError, validationWording } from "../kernel/errors.ts";
import { jsonText } from "../kernel/json.ts";
import { zodToServiceError } from "../kernel/verb.ts";
import { oneLine } from "./job-actions.ts";
import { LimitOption, type PageSource, printList } from "./list-walk.ts";
import { type OutputSink, streamSink } from "./streamed-output.ts";
import { withSystemContext } from "./with-context.ts";

// What `tokenbill payments events` and `payments retry-event` do (payment-commands.ts has their words): the verbs
// of GET /api/v1/payment-provider-events and its retry, with the CLI's actor. Money a provider announced that
// is not in the books, seen and retried from the host (docs/payments-stripe.md, "What the webhook does").

/** The failing events, oldest first, read without counting. */
export function failingEventPages(ctx: ServiceContext): PageSource<FailingProviderEvent> {
  return async (perPage, cursor) => {
    const page = await listFailingProviderEvents({
      ctx,
      input: { per_page: perPage, total: "false", ...(cursor === undefined ? {} : { cursor }) },
    });
    return { data: page.data, next_cursor: page.meta.next_cursor };
  };
}

/** How long an error may be in the table's one line; --json gives it whole. */
const ERROR_CELL = 120;

/** The failing events written to `sink`, as the table or (json) the list document; answers the walk's count. */
export function printFailingEvents(
  source: PageSource<FailingProviderEvent>,
  sink: OutputSink,
  options: { json: boolean; limit?: number | undefined; pageSize?: number },
): Promise<{ count: number; more: boolean }> {
  return printList(source, sink, {
    ...options,
    headers: ["Provider", "Event", "Type", "Received at", "Error"],
    row: (e) => [e.provider, e.event_id, e.type, e.received_at, oneLine(e.error, ERROR_CELL)],
  });
}

/** `payments events`. */
export async function eventsAction(opts: { limit?: string; json?: boolean }): Promise<void> {
  const limit = opts.limit === undefined ? undefined : LimitOption.safeParse(opts.limit);
  if (limit && !limit.success) throw zodToServiceError(limit.error, "limit");
  await withSystemContext(async (ctx) => {
    const json = opts.json === true;
    const { count, more } = await printFailingEvents(failingEventPages(ctx), streamSink(), {
      json,
      limit: limit?.data,
    });
    if (json) return;
    if (more) process.stderr.write(`the oldest ${count} shown; more are failing (raise --limit)\n`);
    else if (count === 0) process.stderr.write("no payment provider event is stored failing\n");
  });
}

/** What each outcome of a retry means, in the API's words (RetriedProviderEvent). */
const OUTCOME_WORDS: Record<RetriedProviderEvent["outcome"], string> = {
  processed: "processed: the books changed",
  ignored: "processed: nothing in the books changed",
  duplicate: "processed already (by a delivery, or an earlier retry): nothing changed",
};

/**
 * The event the arguments name, checked by the verb's own schema before the database is opened, a refusal naming
 * the argument (`<event_id>`) as the text check does.
 */
export function retriedEvent(provider: string, eventId: string) {
  const parsed = ProviderEventParams.safeParse({ provider, event_id: eventId });
  if (parsed.success) return parsed.data;
  const { issues } = zodToServiceError(parsed.error);
  const named = issues.map((i) => ({ field: `<${i.field}>`, message: i.message }));
  throw new ServiceError("VALIDATION", validationWording(named), named);
}

/** `payments retry-event <provider> <event_id>`. */
export async function retryEventAction(
  provider: string,
  eventId: string,
  opts: { json?: boolean },
): Promise<void> {
  const input = retriedEvent(provider, eventId);
  await withSystemContext(async (ctx) => {
    const retried = await retryProviderEvent({ ctx, input });
    if (opts.json) process.stdout.write(`${jsonText(retried, 2)}\n`);
    else
      process.stdout.write(
        `${retried.provider} ${retried.event_id} (${retried.type}) ${OUTCOME_WORDS[retried.outcome]}\n`,
      );
  });
}
