import { allocateIps, serverUuid, snapshotPlan } from "./state.ts";
import type { EmulatorState, PlanRecord, ServerRecord, ServerStatus } from "./types.ts";

export interface NewServer {
  id: number;
  name: string;
  ownerId: number;
  plan: PlanRecord;
  locationId: number;
  projectId: number;
  status: ServerStatus;
  createdAt: string;
  deletedAt: string | null;
  additionalIps: number;
  backupsEnabled: boolean;
}

/**
 * A server record with its history begun: the plan and the backup switch from the creation instant, the primary
 * IP and `additionalIps` more attached at it. Every later change appends to that history (ops/server-changes.ts).
 */
export function newServerRecord(state: EmulatorState, s: NewServer): ServerRecord {
  const plan = snapshotPlan(s.plan);
  return {
    id: s.id,
    uuid: serverUuid(s.id),
    name: s.name,
    userId: s.ownerId,
    planId: s.plan.id,
    plan,
    locationId: s.locationId,
    projectId: s.projectId,
    status: s.status,
    suspendedBy: [],
    resumeToStarted: false,
    ips: [
      ...allocateIps(state, 1, s.createdAt, true),
      ...allocateIps(state, s.additionalIps, s.createdAt, false),
    ],
    backupsEnabled: s.backupsEnabled,
    planHistory: [{ planId: s.plan.id, plan, from: s.createdAt }],
    backupHistory: [{ enabled: s.backupsEnabled, at: s.createdAt }],
    createdAt: s.createdAt,
    deletedAt: s.deletedAt,
  };
}
