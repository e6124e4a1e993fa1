import { z } from "zod";

// Fault injection (solusio-api.md §10) for the billing side's reliability tests: per path pattern, added
// latency, a share of 5xx answers, connections dropped before answering. Shares are drawn from a seeded
// generator per rule, so a test sees the same sequence on every run.

// Strict: a typo such as "eror_rate" must be a 422, not a rule that silently does nothing.
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
  error_status: z
    .union([z.int().min(500).max(599), z.array(z.int().min(500).max(599)).min(1)])
    .default(503)
    .transform((s) => (Array.isArray(s) ? s : [s])),
  /** "html" answers like a proxy in front of a dead backend would: a non-JSON body clients must cope with. */
  error_body: z.enum(["json", "html"]).default("json"),
  drop_rate: z.number().min(0).max(1).default(0),
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
  | { kind: "error"; latencyMs: number; status: number; body: "json" | "html" };

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

  clear(): void {
    this.#rules = [];
  }

  list(): unknown[] {
    return this.#rules.map((r) => ({ id: r.id, ...r.spec, remaining: r.remaining, matched: r.seen }));
  }

  /** The first rule that matches decides; latency of every matching rule adds up. */
  decide(method: string, path: string): FaultOutcome {
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
        const statuses = rule.spec.error_status;
        const status = statuses[(rule.seen - 1) % statuses.length] ?? 503;
        outcome = { kind: "error", latencyMs: 0, status, body: rule.spec.error_body };
      }
    }
    this.#rules = this.#rules.filter((r) => r.remaining === null || r.remaining > 0);
    return outcome ? { ...outcome, latencyMs } : { kind: "pass", latencyMs };
  }
}
