import { z } from "zod";
import type { DoctorCheck } from "./doctor.ts";

// What doctor's checks add up to, for a monitor that reads one answer. A check not made (billing user ids
// from what no reconciliation has stored yet) keeps `ok: true` on its own, nothing being found wrong, but
// the whole is not ok: a pass must mean every check was made and passed (until 2026-12-06 a monitor that
// read only `ok` saw a pass for something never checked).

export const DoctorSummary = z.object({
  ok: z.boolean().meta({ description: "true only when every check was made and passed" }),
  failing: z.array(z.string()).meta({ description: "the names of the checks that failed" }),
  not_checked: z.array(z.string()).meta({
    description: "the names of the checks not made (not_checked: true), neither passed nor failed",
  }),
});
export type DoctorSummary = z.infer<typeof DoctorSummary>;

export function doctorSummary(checks: readonly DoctorCheck[]): DoctorSummary {
  const failing = checks.filter((c) => !c.ok).map((c) => c.name);
  const notChecked = checks.filter((c) => c.ok && c.not_checked).map((c) => c.name);
  return { ok: failing.length === 0 && notChecked.length === 0, failing, not_checked: notChecked };
}

/**
 * `tokenbill solusio doctor`'s exit code: 1 when a check failed; 7 when none failed but one was not made,
 * so a cron job or monitor tells "nothing wrong found" from "all checked"; 0 when every check passed.
 */
export const DOCTOR_NOT_CHECKED_EXIT_CODE = 7;

export function doctorExitCode(summary: DoctorSummary): number {
  if (summary.failing.length > 0) return 1;
  return summary.not_checked.length > 0 ? DOCTOR_NOT_CHECKED_EXIT_CODE : 0;
}
