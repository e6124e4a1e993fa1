import type { Command } from "commander";
import { MAX_LIMIT } from "./list-limit.ts";

// `tokenbill payments events` and `payments retry-event`: the payment provider events stored failing (money a
// provider announced that is not in the books), listed and retried as the console's /console/payment-events and
// the admin API do. Their words are here; what they do is in provider-event-actions.ts, imported when one runs.

const actions = () => import("./provider-event-actions.ts");

/** The failing events' commands, added to the `payments` group. */
export function addProviderEventCommands(payments: Command): void {
  payments
    .command("events")
    .description(
      "payment provider events stored failing (not processed, with the reason), the oldest first: money a " +
        "provider announced that is not in the books",
    )
    .option("--limit <n>", `at most this many, the oldest (1 to ${MAX_LIMIT}; default: all)`)
    .option(
      "--json",
      'print JSON: {"data": [events as the admin API shows them, each error whole], "meta": {"count", "more"}}',
    )
    .action(async (opts: { limit?: string; json?: boolean }) => (await actions()).eventsAction(opts));

  payments
    .command("retry-event")
    .description(
      "process a stored failing event again, as its delivery would, once its cause is mended; one that fails " +
        "again stays failing with the new reason (exit 4)",
    )
    .argument("<provider>", "the payment provider that sent it (stripe)")
    .argument("<event_id>", "the provider's id of the event (evt_…), as `payments events` shows it")
    .option(
      "--json",
      'print {"provider", "event_id", "type", "outcome"} as JSON, and a failure as the error envelope',
    )
    .action(async (provider: string, eventId: string, opts: { json?: boolean }) =>
      (await actions()).retryEventAction(provider, eventId, opts),
    );
}
