import { planTokensOf } from "../ops/plans.ts";
import { MIB } from "../schemas.ts";
import { DEFAULT_FEATURES, defaultOtherSettings } from "./state.ts";
import type { EmulatorState, PlanParams, ServerRecord } from "./types.ts";

// State files written before servers kept a history (and before plans had backups, limits and RAM in bytes)
// still load: whatever a record lacks is filled from what it has, as if it had always been so. A record that
// already has the new fields is left alone, so migrating twice changes nothing.

type Loose = Record<string, unknown>;

const DEFAULT_LIMITS = {};

/** RAM was stored in MiB before it was in bytes; under 1 MiB cannot be bytes (schemas.ts). */
function ramInBytes(params: PlanParams): void {
  if (params.ram < MIB) params.ram *= MIB;
}

function migratePlanFields(plan: Loose): void {
  plan["backupPrice"] ??= 0;
  plan["isBackupAvailable"] ??= false;
  plan["isoImageTokensPerHour"] ??= 0;
  plan["isoImageTokensPerMonth"] ??= 0;
  plan["limits"] ??= DEFAULT_LIMITS;
  plan["virtualizationType"] ??= "kvm";
  plan["position"] ??= plan["id"];
  plan["isSnapshotsEnabled"] ??= false;
  plan["resetLimitPolicy"] ??= "never";
  plan["networkTrafficLimitType"] ??= "separate";
  plan["storageType"] ??= "fb";
  plan["imageFormat"] ??= "qcow2";
  if (plan["params"]) ramInBytes(plan["params"] as PlanParams);
}

function migrateServer(server: ServerRecord & Loose): void {
  const snapshot = server.plan as unknown as Loose;
  snapshot["backupPrice"] ??= 0;
  if (snapshot["params"]) ramInBytes(snapshot["params"] as PlanParams);
  for (const ip of server.ips as (ServerRecord["ips"][number] & Loose)[]) {
    ip.attachedAt ??= server.createdAt;
    ip.detachedAt ??= null;
  }
  server.backupsEnabled ??= false;
  server.planHistory ??= [{ planId: server.planId, plan: server.plan, from: server.createdAt }];
  server.backupHistory ??= [{ enabled: server.backupsEnabled, at: server.createdAt }];
  delete server["additionalIpCount"];
}

export function migrateState(state: EmulatorState): EmulatorState {
  const loose = state as EmulatorState & Loose;
  loose.activityLogs ??= [];
  loose.counters.activityLog ??= 0;
  for (const plan of state.plans) migratePlanFields(plan as unknown as Loose);
  // Before plans kept a price history, usage priced every hour at the plan's current prices: a history of one
  // entry, from the plan's creation, keeps the figures those files gave.
  loose.planPrices ??= state.plans.map((plan) => ({
    planId: plan.id,
    at: plan.createdAt,
    ...planTokensOf(plan),
  }));
  for (const server of state.servers) migrateServer(server as ServerRecord & Loose);
  for (const project of state.projects as (EmulatorState["projects"][number] & Loose)[]) {
    const owner = state.users.find((u) => u.id === project.userId);
    project.description ??= "";
    project.isDefault ??= owner?.projectId === project.id;
    project.createdAt ??= owner?.createdAt ?? new Date(0).toISOString();
  }
  const settings = state.settings as EmulatorState["settings"] & Loose;
  if (settings.features === undefined) {
    const allow = settings["allowRegistration"];
    settings.features = { ...DEFAULT_FEATURES, allow_registration: allow !== false };
    delete settings["allowRegistration"];
  }
  settings.other ??= defaultOtherSettings();
  return state;
}
