import { getCustomerDunning } from "../../billing/dunning/dunning-state.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { when } from "../page-kit.ts";

// The customer page's dunning card: exempt or not, and the rungs the open overdue episode has taken, each
// with its date and what it did, in the words its details were recorded in (evaluate-dunning.ts). Staff see
// here why a customer is locked or suspended by dunning without the API.

export async function dunningCardOf(ctx: ServiceContext, customerId: number) {
  const dunning = await getCustomerDunning({ ctx, input: { id: customerId } });
  return {
    exempt: dunning.exempt,
    startedAt: dunning.episode ? when(dunning.episode.started_at) : "",
    steps: (dunning.episode?.steps ?? []).map((s) => ({
      step: s.step.replaceAll("_", " "),
      at: when(s.done_at),
      what: stepWords(s.details),
    })),
  };
}

/** What a rung did, from its recorded details: the invoice it counted from, the e-mail, the status change. */
export function stepWords(details: Record<string, unknown>): string {
  const said: string[] = [];
  const text = (key: string) => (typeof details[key] === "string" ? (details[key] as string) : undefined);
  const dueDate = text("due_date");
  if (dueDate) said.push(`invoice due ${dueDate}`);
  const mail = text("mail");
  if (mail) said.push(`e-mail ${mail}`);
  const change = details["status_change"] as { from?: unknown; to?: unknown } | undefined;
  if (change && typeof change.from === "string" && typeof change.to === "string")
    said.push(`status ${change.from} → ${change.to}`);
  const status = text("status");
  if (status) said.push(status);
  const note = text("note") ?? text("reason");
  if (note) said.push(note);
  return said.join("; ");
}
