import type { Selectable } from "kysely";
import type { ServerSegmentTable, ServerSnapshotTable } from "../../db/schema.ts";
import type { ServerHistory } from "../../domain/server-usage.ts";
import { planRatesOf } from "./history-usage.ts";

const MS = 1;

/**
 * A server's history as usage source (b) knows it: each segment's state holds from its first sighting
 * until the next segment's (so a change is billed from the poll that saw it: the error is at most one poll
 * interval, and never an hour at a price the server did not yet have). The first segment holds from
 * creation. Additional IPs are known only by their count: an added one is attached when it is first seen,
 * a removed one is the most recently added.
 */
export function historyFromSegments(
  snapshot: Selectable<ServerSnapshotTable>,
  segments: readonly Selectable<ServerSegmentTable>[],
): ServerHistory {
  const createdAt = snapshot.created_at;
  // A gone server existed at its last sighting, so every hour that had started by then is billed.
  const deletedAt = snapshot.gone_at === null ? null : new Date(snapshot.last_seen_at.getTime() + MS);
  const history: ServerHistory = { createdAt, deletedAt, plans: [], backups: [], ips: [] };
  const attached: { id: string; attachedAt: Date }[] = [];
  let previous = createdAt;
  for (const [i, segment] of segments.entries()) {
    // Clocks can disagree by a little: a segment never starts before the one before it or before creation.
    const from = i === 0 ? createdAt : new Date(Math.max(segment.started_at.getTime(), previous.getTime()));
    previous = from;
    history.plans.push({ from, plan: planRatesOf(segment) });
    history.backups.push({ at: from, enabled: segment.backups_enabled });
    while (attached.length < segment.additional_ips) {
      attached.push({ id: `${segment.seq}.${attached.length}`, attachedAt: from });
    }
    while (attached.length > segment.additional_ips) {
      const ip = attached.pop();
      if (ip) history.ips.push({ ...ip, detachedAt: from });
    }
  }
  for (const ip of attached) history.ips.push({ ...ip, detachedAt: null });
  return history;
}
