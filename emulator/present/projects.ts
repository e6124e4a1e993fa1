import { findUserEvenDeleted, liveServers } from "../state/state.ts";
import type { EmulatorState, ProjectRecord } from "../state/types.ts";
import { apiTimestamp } from "./time.ts";
import { presentUser } from "./users.ts";

/**
 * A Project as the Go SDK declares it (projects.go / helper_test.go of the newest SDK: `servers` is a count).
 * `is_owner` is from the viewer's side; `members` is always 1: the emulator has no project invitations [OURS].
 */
export function presentProject(state: EmulatorState, project: ProjectRecord, viewerId: number) {
  const owner = findUserEvenDeleted(state, project.userId);
  return {
    id: project.id,
    name: project.name,
    description: project.description,
    members: 1,
    is_owner: project.userId === viewerId,
    is_default: project.isDefault,
    owner: owner ? presentUser(state, owner) : null,
    servers: liveServers(state).filter((s) => s.projectId === project.id).length,
    created_at: apiTimestamp(project.createdAt),
  };
}
