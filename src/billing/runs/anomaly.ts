import type { Tx } from "../../kernel/context.ts";
import { jsonText } from "../../kernel/json.ts";

// What a billing run reports instead of dropping silently (billing-rules §2, §5).
export type AnomalyKind =
  /** usage for a billing_user_id that is no tokenbill customer */
  | "unknown_billing_user"
  /** usage of a SolusIO user without a billing_user_id */
  | "missing_billing_user"
  /** SolusIO's token figure differs from tokenbill's §2 recomputation (SolusIO's is billed) */
  | "token_mismatch"
  /** the tokens agree but the hours do not */
  | "hours_mismatch"
  /** a record SolusIO sent that §2 cannot be applied to (e.g. deleted before created) */
  | "invalid_usage"
  /** the same server twice in one period's usage (the first is billed) */
  | "duplicate_usage"
  /** an invoice of this period already exists and this run computed a different one */
  | "invoice_differs"
  /** this run computed usage for a customer whose invoice of the period is void: nothing bills it */
  | "invoice_void"
  /** hours on a plan whose prices the activity source cannot know (deleted before the log was read): not billed */
  | "unpriced_usage"
  /** the usage source says its data may be incomplete */
  | "snapshot_stale"
  /** the cross-check source (snapshots) disagrees with the billed source */
  | "cross_check_mismatch"
  | "cross_check_missing"
  /** nothing at all was imported, although the period before was invoiced (a wrong or empty SolusIO?) */
  | "no_usage";

export interface Anomaly {
  kind: AnomalyKind | string;
  message: string;
  customerId?: bigint | null;
  billingUserId?: bigint | null;
  serverId?: number | null;
  details?: Record<string, unknown>;
}

/** Appends anomalies to a run, in multi-row inserts. */
export async function recordAnomalies(
  db: Tx,
  run: { id: string; period: string },
  anomalies: readonly Anomaly[],
): Promise<void> {
  for (let i = 0; i < anomalies.length; i += 1000) {
    await db
      .insertInto("billing_anomaly")
      .values(
        anomalies.slice(i, i + 1000).map((a) => ({
          billing_run_id: run.id,
          period: run.period,
          kind: a.kind,
          customer_id: a.customerId ?? null,
          billing_user_id: a.billingUserId ?? null,
          server_id: a.serverId === undefined || a.serverId === null ? null : BigInt(a.serverId),
          message: a.message,
          details: jsonText(a.details ?? {}),
        })),
      )
      .execute();
  }
}
