import type { RunningEmulator } from "../../../emulator/start.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import type { SolusioIntegration } from "../../solusio/integration.ts";
import { getInvoice } from "../invoices/get-invoice.ts";
import { listInvoices } from "../invoices/list-invoices.ts";
import { runBilling } from "../runs/run-billing.ts";
import { billingContext } from "./billing-fixtures.ts";

/**
 * Bills `period` from the activity log polled from an emulator, with SolusIO's usage endpoint as the cross-check
 * (the two must agree line by line), as of `now`; returns the run's summary and the customer's invoice for it.
 */
export async function billFromActivityLog(opts: {
  handle: DatabaseHandle;
  em: RunningEmulator;
  integration: SolusioIntegration;
  customerId: bigint;
  period: string;
  now: Date;
}) {
  const { handle, em, integration, customerId, period, now } = opts;
  const ctx = {
    ...billingContext(
      handle,
      {
        SOLUSIO_URL: em.apiUrl,
        SOLUSIO_API_TOKEN: em.adminToken,
        USAGE_SOURCE: "activity",
        USAGE_CROSS_CHECK: "solusio",
      },
      now,
    ),
    solusio: integration,
  };
  const summary = await runBilling({ ctx, input: { period } });
  const [listed] = (
    await listInvoices({ ctx, input: { page: 1, per_page: 5, period, customer_id: customerId } })
  ).data;
  if (!listed) throw new Error(`no invoice for customer ${customerId} in ${period}`);
  const invoice = await getInvoice({ ctx, input: { id: listed.id } });
  return { summary, invoice };
}
