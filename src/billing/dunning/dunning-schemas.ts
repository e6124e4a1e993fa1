import { z } from "zod";
import { calendarDateString, IdParams } from "../../kernel/schemas.ts";
import { InvoiceIdParams } from "../invoices/invoice-schemas.ts";

// What the dunning routes and verbs accept and answer.

const reason = z.string().trim().min(1).max(1000);

export const ExemptionInput = z.object({ exempt: z.boolean(), reason }).strict();
export const ExemptionCall = ExemptionInput.extend(IdParams.shape);

export const Exemption = z.object({
  customer_id: z.number().int(),
  exempt: z.boolean(),
  reason: z.string(),
});

export const ExtensionInput = z
  .object({
    due_date: calendarDateString.meta({
      description:
        "the new due date, after the invoice's own: how far is staff's choice (up to 9999-12-31); year 0000 is refused",
    }),
    reason,
  })
  .strict();
export const ExtensionCall = ExtensionInput.extend(InvoiceIdParams.shape);

export const Extension = z.object({
  invoice_id: z.string(),
  original_due_date: z.string(),
  due_date: z.string(),
  reason: z.string(),
});

export const DunningStepOut = z.object({
  customer_id: z.number().int(),
  episode_id: z.number().int(),
  step: z.string(),
  days: z.number().int().nullable().meta({ description: "days from the anchor due date; null for closed" }),
  done_at: z.string(),
  details: z.record(z.string(), z.unknown()),
});

export const DunningRunOut = z.object({
  as_of: z.string(),
  customers_evaluated: z.number().int(),
  steps_total: z.number().int().meta({ description: "every step the run took" }),
  steps: z
    .array(DunningStepOut)
    .meta({ description: "the steps taken, in customer order; the first 1,000 when there were more" }),
});

export const CustomerDunningOut = z.object({
  customer_id: z.number().int(),
  exempt: z.boolean().meta({ description: "exempt from dunning: the ladder takes no new step" }),
  episode: z
    .object({
      started_at: z.string(),
      steps: z
        .array(
          z.object({ step: z.string(), done_at: z.string(), details: z.record(z.string(), z.unknown()) }),
        )
        .meta({ description: "the steps the open episode has taken, oldest first" }),
    })
    .nullable()
    .meta({ description: "the open overdue episode; null when nothing is overdue" }),
});
