import { hourStartsIn } from "./charges.ts";

// How a server's hours in a period split by plan (billing-rules §2.2): every hour is charged at the plan in
// effect at the instant it starts; backups and additional IPs follow the same rule. Instants are ms since the
// epoch as bigint; every interval is half-open [from, to).

export interface Span {
  from: bigint;
  to: bigint;
}

export interface ServerTimeline<K extends number | string = number> {
  /** The server's lifetime: its hours start at `created` + k h. */
  created: bigint;
  ended: bigint;
  /** Consecutive plan intervals, oldest first; `key` identifies the plan (its id, or its id and prices). */
  plans: (Span & { key: K })[];
  /** When paid backups were on. */
  backupsOn: Span[];
  /** Additional IPs: each one's hours start at its `from` + k h. */
  ips: (Span & { id: number })[];
}

export interface PlanGroup<K extends number | string = number> {
  key: K;
  hours: bigint;
  backupHours: bigint;
  /** Only IPs with at least one IP-hour in this group. */
  ipHours: { id: number; hours: bigint }[];
}

// Math.max/min do not take bigint.
function latest(...xs: bigint[]): bigint {
  let result = xs[0] ?? 0n;
  for (const x of xs) if (x > result) result = x;
  return result;
}
function earliest(...xs: bigint[]): bigint {
  let result = xs[0] ?? 0n;
  for (const x of xs) if (x < result) result = x;
  return result;
}

/**
 * One group per key (a plan, or a plan at one set of prices), in the order each was first held; groups with no
 * hour and no IP-hour left out.
 */
export function planGroups<K extends number | string>(t: ServerTimeline<K>, period: Span): PlanGroup<K>[] {
  const groups = new Map<K, PlanGroup<K>>();
  const ipHours = new Map<K, Map<number, bigint>>();
  for (const plan of t.plans) {
    const group: PlanGroup<K> = groups.get(plan.key) ?? {
      key: plan.key,
      hours: 0n,
      backupHours: 0n,
      ipHours: [],
    };
    groups.set(plan.key, group);
    const from = latest(plan.from, t.created, period.from);
    const to = earliest(plan.to, t.ended, period.to);
    group.hours += hourStartsIn(t.created, from, to);
    for (const on of t.backupsOn) {
      group.backupHours += hourStartsIn(t.created, latest(from, on.from), earliest(to, on.to));
    }
    const perIp = ipHours.get(plan.key) ?? new Map<number, bigint>();
    ipHours.set(plan.key, perIp);
    for (const ip of t.ips) {
      const hours = hourStartsIn(ip.from, latest(from, ip.from), earliest(to, ip.to));
      if (hours > 0n) perIp.set(ip.id, (perIp.get(ip.id) ?? 0n) + hours);
    }
  }
  const result: PlanGroup<K>[] = [];
  for (const group of groups.values()) {
    group.ipHours = [...(ipHours.get(group.key) ?? new Map()).entries()].map(([id, hours]) => ({
      id,
      hours,
    }));
    if (group.hours > 0n || group.ipHours.length > 0) result.push(group);
  }
  return result;
}
