import type { CurrencyDisplay } from "../../domain/money.ts";

/**
 * The view model every rendering (HTML, PDF, e-mail) takes. It holds finished figures only: amounts are
 * bigint minor units already rounded at the points of billing-rules §4, so renderers format and never
 * compute money. `unitCost` and tax `rate` are exact decimal strings ("0.001", "6").
 */
export interface InvoiceDocument {
  number: string; // "INV-2026-000001"
  status: "draft" | "finalized" | "paid" | "void";
  issueDate: string; // "2026-11-01" (YYYY-MM-DD)
  dueDate: string;
  period: string; // "2026-10"
  periodStart: string; // ISO instants; the period is [periodStart, periodEnd)
  periodEnd: string;
  seller: { name: string; addressLines: string[]; email: string; taxId?: string };
  customer: { id: number; name: string; email: string; country: string; region: string | null };
  currency: CurrencyDisplay;
  lines: {
    description: string;
    plan: string;
    hours: bigint;
    chargeKind: string;
    tokens: bigint;
    unitCost: string;
    amount: bigint;
  }[];
  subtotal: bigint;
  discounts: { name: string; amount: bigint }[]; // positive amounts, subtracted in order
  net: bigint;
  taxes: { label: string; rate: string; amount: bigint }[]; // rate in percent
  total: bigint;
  paid?: { amount: bigint; date: string; reference: string };
}
