import { serversOf } from "../state/state.ts";
import type { EmulatorState, ServerRecord, SuspensionCause, UserRecord } from "../state/types.ts";

// A server can be held suspended by an admin (POST servers/{id}/suspend) and by its owner's status
// (solusio-api.md §2: a suspended user's servers are suspended). Each cause is lifted on its own, and the
// server only runs again when none is left. A suspended server is stopped; lifting the last cause starts it
// again if it was running when suspended [OURS].

export function holdSuspended(server: ServerRecord, cause: SuspensionCause): void {
  if (server.suspendedBy.includes(cause)) return;
  if (server.suspendedBy.length === 0) {
    server.resumeToStarted = server.status === "started";
    if (server.status === "started") server.status = "stopped";
  }
  server.suspendedBy.push(cause);
}

export function liftSuspension(server: ServerRecord, cause: SuspensionCause): void {
  if (!server.suspendedBy.includes(cause)) return;
  server.suspendedBy = server.suspendedBy.filter((c) => c !== cause);
  if (server.suspendedBy.length === 0) {
    if (server.resumeToStarted) server.status = "started";
    server.resumeToStarted = false;
  }
}

/** Called whenever a user's status changes: `suspended` suspends their servers, anything else lifts it. */
export function applyOwnerStatus(state: EmulatorState, user: UserRecord): void {
  for (const server of serversOf(state, user.id)) {
    if (user.status === "suspended") holdSuspended(server, "owner");
    else liftSuspension(server, "owner");
  }
}
