import type { FastifyContextConfig, FastifyInstance } from "fastify";
import { logoutEverywhere } from "../services/staff/staff-login.ts";
import { endSession } from "../services/staff/web-sessions.ts";
import { clearSessionCookie, FACES, type SessionKind } from "./session-cookie.ts";
import type { WebDeps } from "./web-deps.ts";

// Logging out of a face (the console or the portal): this session only, or every session and known device of
// the person's (logoutEverywhere). Both end on the face's login page with a notice that says which.

/** Registers `POST <face>/logout` and `<face>/logout-everywhere`, behind `config`'s access check and CSRF. */
export function registerLogoutRoutes(
  app: FastifyInstance,
  deps: WebDeps,
  kind: SessionKind,
  config: FastifyContextConfig,
): void {
  const face = FACES[kind];
  const options = { config, preHandler: app.csrfProtection };

  app.post(`${face.path}/logout`, options, async (request, reply) => {
    await endSession(deps.contextOf(request), request.webSession!.token);
    clearSessionCookie(reply, deps.config, kind);
    return reply.redirect(`${face.login}?notice=logged_out`, 303);
  });

  app.post(`${face.path}/logout-everywhere`, options, async (request, reply) => {
    await logoutEverywhere({ ctx: deps.contextOf(request), input: {} });
    clearSessionCookie(reply, deps.config, kind);
    return reply.redirect(`${face.login}?notice=logged_out_everywhere`, 303);
  });
}
