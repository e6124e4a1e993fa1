import { nextId } from "../state/state.ts";
import type { ActivityLogRecord, EmulatorState, TaskRecord } from "../state/types.ts";

// What GET tasks and GET activity_logs list (solusio-api.md §6, §9 (c)). tokenbill reads both to find the exact
// instants of creates, deletes, resizes and IP changes, so every change that alters billing writes here, at the
// emulator clock's instant.

/** Both lists keep the most recent entries only, so the state file stays small over a long demo [OURS]. */
const KEEP = 10_000;

function trim<T>(list: T[]): void {
  if (list.length > KEEP) list.splice(0, list.length - KEEP);
}

// Tasks finish the moment they are created: the emulator has no hypervisor to wait for [OURS].
export function recordTask(state: EmulatorState, now: Date, serverId: number, action: string): TaskRecord {
  const task: TaskRecord = { id: nextId(state, "task"), serverId, action, createdAt: now.toISOString() };
  state.tasks.push(task);
  trim(state.tasks);
  return task;
}

/** The events of solusio-api.md §9 (c); the two tagged [OURS] are not public SolusIO events. */
export type ActivityEvent =
  | "compute_resource_vm_created"
  | "compute_resource_vm_delete_requested"
  | "compute_resource_vm_resized"
  | "additional_ip_created"
  | "additional_ip_deleted"
  | "compute_resource_vm_backups_switched";

export function recordActivity(
  state: EmulatorState,
  now: Date,
  event: ActivityEvent,
  userEmail: string,
  data: ActivityLogRecord["data"],
): ActivityLogRecord {
  const entry: ActivityLogRecord = {
    id: nextId(state, "activityLog"),
    event,
    userEmail,
    createdAt: now.toISOString(),
    data,
  };
  state.activityLogs.push(entry);
  trim(state.activityLogs);
  return entry;
}
