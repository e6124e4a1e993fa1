import { z } from "zod";

// Fault injection (solusio-api.md §10) for the billing side's reliability tests: per path pattern, added
// latency, a share of 5xx (or 429, with an optional Retry-After) answers, connections dropped before answering, and 5xx answers given after the
// request was fully handled (the "a write that got a 5xx may have been done" case of solusio-api.md §1).
// Shares are drawn from a seeded generator per rule, so a test sees the same sequence on every run.

// Strict: a typo such as "eror_rate" must be a 422, not a rule that silently does nothing.
const statusList = z
  .union([z.int().min(500).max(599), z.array(z.int().min(500).max(599)).min(1)])
  .transform((s) => (Array.isArray(s) ? s : [s]));

/** An error instead of the work may also be 429 Too Many Requests (rate limiting in front of SolusIO). */
const errorStatus = z.int().refine((s) => s === 429 || (s >= 500 && s <= 599), "must be 429 or 500–599");
const errorStatusList = z
  .union([errorStatus, z.array(errorStatus).min(1)])
  .transform((s) => (Array.isArray(s) ? s : [s]));

export const FaultRuleInput = z.strictObject({
  /** Matched against the request path; `*` stands for any run of characters. */
  path: z.string().min(1).default("*"),
  methods: z
    .array(
      z
        .string()
        .min(1)
        .transform((m) => m.toUpperCase()),
    )
    .optional(),
  latency_ms: z.int().min(0).max(60_000).default(0),
  error_rate: z.number().min(0).max(1).default(0),
  error_status: errorStatusList.default([503]),
  /**
   * Sent as `Retry-After` with the injected errors of `error_status` (429 or 5xx): seconds (a whole number),
   * or an HTTP date as text, sent as given.
   */
  retry_after: z.union([z.int().min(0).max(86_400), z.string().min(1).max(100)]).optional(),
  /** "html" answers like a proxy in front of a dead backend would: a non-JSON body clients must cope with. */
  error_body: z.enum(["json", "html"]).default("json"),
  drop_rate: z.number().min(0).max(1).default(0),
  /**
   * Share of matching requests that are handled in full (state changed and persisted) and then answered
   * with `after_status` instead of the real answer: a proxy that lost the backend's reply.
   */
  fail_after_rate: z.number().min(0).max(1).default(0),
  after_status: statusList.default([502]),
  /** Only the next N matching requests are affected, then the rule switches itself off. */
  times: z.int().positive().optional(),
  seed: z.int().default(1),
});
export type FaultRuleInput = z.input<typeof FaultRuleInput>;
type FaultRuleSpec = z.output<typeof FaultRuleInput>;

export const FaultsInput = z.union([z.object({ rules: z.array(FaultRuleInput) }), FaultRuleInput]);

export type FaultOutcome =
  | { kind: "pass"; latencyMs: number }
  | { kind: "drop"; latencyMs: number }
  /** Answer with this error instead of handling the request. */
  | { kind: "error"; latencyMs: number; status: number; body: "json" | "html"; retryAfter?: string }
  /** Handle the request, then answer with this error instead of the real answer. */
  | { kind: "fail_after"; latencyMs: number; status: number; body: "json" | "html" };

// The answer for almost every request (no rules): one shared object, nothing allocated per request.
const PASS: FaultOutcome = Object.freeze({ kind: "pass", latencyMs: 0 });

interface ActiveRule {
  id: number;
  spec: FaultRuleSpec;
  pattern: RegExp;
  random: () => number;
  remaining: number | null;
  seen: number;
}

/** mulberry32: tiny, fast, good enough to spread failures evenly. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A list of statuses is used in turn, by the count of requests the rule has matched. */
function inTurn(statuses: number[], seen: number, fallback: number): number {
  return statuses[(seen - 1) % statuses.length] ?? fallback;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`);
}

export class FaultRegistry {
  #rules: ActiveRule[] = [];
  #nextId = 1;

  replace(specs: FaultRuleSpec[]): void {
    this.#rules = specs.map((spec) => ({
      id: this.#nextId++,
      spec,
      pattern: globToRegExp(spec.path),
      random: seededRandom(spec.seed),
      remaining: spec.times ?? null,
      seen: 0,
    }));
  }

  /** No rules: the HTTP layer skips fault handling altogether. */
  get empty(): boolean {
    return this.#rules.length === 0;
  }

  clear(): void {
    this.#rules = [];
  }

  list(): unknown[] {
    return this.#rules.map((r) => ({ id: r.id, ...r.spec, remaining: r.remaining, matched: r.seen }));
  }

  /** The first rule that matches decides; latency of every matching rule adds up. */
  decide(method: string, path: string): FaultOutcome {
    if (this.#rules.length === 0) return PASS;
    let latencyMs = 0;
    let outcome: FaultOutcome | null = null;
    for (const rule of this.#rules) {
      if (!rule.pattern.test(path)) continue;
      if (rule.spec.methods && !rule.spec.methods.includes(method)) continue;
      if (rule.remaining !== null) {
        if (rule.remaining <= 0) continue;
        rule.remaining -= 1;
      }
      rule.seen += 1;
      latencyMs += rule.spec.latency_ms;
      if (outcome) continue;
      if (rule.spec.drop_rate > 0 && rule.random() < rule.spec.drop_rate) {
        outcome = { kind: "drop", latencyMs: 0 };
      } else if (rule.spec.error_rate > 0 && rule.random() < rule.spec.error_rate) {
        const status = inTurn(rule.spec.error_status, rule.seen, 503);
        outcome = { kind: "error", latencyMs: 0, status, body: rule.spec.error_body };
        if (rule.spec.retry_after !== undefined) outcome.retryAfter = String(rule.spec.retry_after);
      } else if (rule.spec.fail_after_rate > 0 && rule.random() < rule.spec.fail_after_rate) {
        const status = inTurn(rule.spec.after_status, rule.seen, 502);
        outcome = { kind: "fail_after", latencyMs: 0, status, body: rule.spec.error_body };
      }
    }
    if (this.#rules.some((r) => r.remaining !== null && r.remaining <= 0))
      this.#rules = this.#rules.filter((r) => r.remaining === null || r.remaining > 0);
    return outcome ? { ...outcome, latencyMs } : { kind: "pass", latencyMs };
  }
}
