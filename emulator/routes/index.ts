import type { Route } from "../http/route.ts";
import { accountRoutes } from "./account.ts";
import { controlRoutes } from "./control.ts";
import { limitGroupsRoutes } from "./limit-groups.ts";
import { locationsRoutes } from "./locations.ts";
import { plansRoutes } from "./plans.ts";
import { projectsRoutes } from "./projects.ts";
import { registerRoutes } from "./register.ts";
import { rolesRoutes } from "./roles.ts";
import { serverActionsRoutes } from "./server-actions.ts";
import { serverChangesRoutes } from "./server-changes.ts";
import { serversRoutes } from "./servers.ts";
import { settingsRoutes } from "./settings.ts";
import { tasksRoutes } from "./tasks.ts";
import { userAreaRoutes } from "./user-area.ts";
import { userTokensRoutes } from "./user-tokens.ts";
import { usersRoutes } from "./users.ts";
import { usageRoutes } from "./usage.ts";

/** Every route the emulator serves; the HTTP layer registers them (emulator/http). */
export function allRoutes(usagePath: string): Route[] {
  return [
    accountRoutes,
    usersRoutes,
    userTokensRoutes,
    rolesRoutes,
    limitGroupsRoutes,
    plansRoutes,
    locationsRoutes,
    serversRoutes,
    serverActionsRoutes,
    serverChangesRoutes,
    projectsRoutes,
    tasksRoutes,
    settingsRoutes,
    usageRoutes(usagePath),
    registerRoutes,
    userAreaRoutes,
    controlRoutes,
  ].flat();
}
