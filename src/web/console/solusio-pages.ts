import type { FastifyInstance } from "fastify";
import { applySolusioSetup, solusioDoctor } from "../../services/setup/solusio-console.ts";
import { listCarrierFindings } from "../../services/sync/carrier-findings.ts";
import { staffPage, when } from "../page-kit.ts";
import { readableTimes } from "../page-time.ts";
import type { WebDeps } from "../web-deps.ts";
import { noticeFrom, STAFF } from "./page-helpers.ts";

// SolusIO setup and doctor: the same checks as `tokenbill solusio doctor`, each failing one with the fix the
// doctor gives, and a button that does what `tokenbill solusio setup --apply` does. Above them, what the
// last reconciliation found of users carrying a billing_user_id no sync sees, while it holds.

const NOTICES: Record<string, string> = {
  setup_applied: "Setup is applied: SolusIO now matches tokenbill.",
  setup_nothing: "SolusIO already matched tokenbill: nothing was changed.",
  setup_remaining:
    "Setup is applied, but SolusIO still differs in what is listed below: SolusIO accepted a change it did not keep.",
};

export function registerSolusioPages(app: FastifyInstance, deps: WebDeps): void {
  const csrf = { preHandler: app.csrfProtection };

  // The doctor's calls to SolusIO are rows of the call log: a read that writes (newer-schema-refusal.ts).
  app.get("/console/solusio", { config: { ...STAFF.config, writes: true } }, async (request, reply) => {
    const ctx = deps.contextOf(request);
    // What the last reconciliation found is stored: shown even when SolusIO cannot be asked now.
    const findings = await listCarrierFindings({ ctx, input: {} });
    // Setup's plan comes with the doctor's checks, from the same reads: none when SolusIO could not be read.
    const { checks, setup, problem } = await solusioDoctor({ ctx, input: {} });
    return staffPage(deps, request, reply, "console-solusio", {
      title: "SolusIO",
      // The doctor words its findings for the CLI and the API, times in ISO 8601; a page writes them its way.
      checks: checks.map((c) => ({
        ...c,
        detail: readableTimes(c.detail),
        ...(c.fix === undefined ? {} : { fix: readableTimes(c.fix) }),
      })),
      failing: checks.filter((c) => !c.ok).length,
      // Neither passing nor failing (billing user ids before any reconciliation): a warning of their own.
      notChecked: checks.filter((c) => c.not_checked).length,
      findings: findings.map((f) => ({
        ...f,
        firstSeen: when(f.first_seen_at),
        seen: when(f.seen_at),
      })),
      setup,
      problem,
      notice: noticeFrom(request, NOTICES),
    });
  });

  app.post("/console/solusio/setup", { ...STAFF, ...csrf }, async (request, reply) => {
    const result = await applySolusioSetup({ ctx: deps.contextOf(request), input: {} });
    const notice =
      result.applied.length === 0
        ? "setup_nothing"
        : result.remaining.length > 0
          ? "setup_remaining"
          : "setup_applied";
    return reply.redirect(`/console/solusio?notice=${notice}`, 303);
  });
}
