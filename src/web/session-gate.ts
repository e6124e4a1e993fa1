import type { FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config.ts";
import { actors } from "../kernel/actor.ts";
import type { Db } from "../kernel/context.ts";
import { ServiceError } from "../kernel/errors.ts";
import { readSession, type WebSession } from "../services/staff/web-sessions.ts";
import { loginFor, withNext } from "./return-path.ts";
import { type SessionKind, sessionToken } from "./session-cookie.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * A console route a staff user whose password was generated may still reach (migration 034): the
     * change-password page, logout and the pages' assets. Every other console route sends them to the
     * change-password page.
     */
    beforePasswordChange?: boolean;
  }
  interface FastifyRequest {
    /** The console or portal session the access check found (session routes only). */
    webSession?: WebSession & { token: string };
  }
}

/** The console's change-password page, the only page open to a staff user whose password was generated. */
export const CHANGE_PASSWORD_PATH = "/console/account/password";

/**
 * The access check of a page (src/http/access.ts calls it for routes declared `access: "staff"` or
 * `"customer"`): the request's session of that kind becomes its actor. Without one, a page asked for
 * with GET is sent to its login page (303, with the page as `next`) and anything else is refused (401); nothing runs.
 * A staff user who must change a generated password is sent to the change-password page (303) from every
 * route not declared `beforePasswordChange`.
 * Resolves true when the request may go on, false when the gate answered it.
 */
export function createSessionGate(deps: {
  db: Db;
  config: Config;
  now: () => Date;
  /** True once a newer version has migrated the database: the session's idle clock is read, not restarted. */
  readOnly: () => boolean;
}) {
  return async (request: FastifyRequest, reply: FastifyReply, kind: SessionKind): Promise<boolean> => {
    const token = sessionToken(request, kind);
    const ctx = { db: deps.db, config: deps.config, now: deps.now, readOnly: deps.readOnly() };
    const session = token ? await readSession(ctx, token, kind) : undefined;
    if (!token || !session || session.pendingTotp) {
      if (request.method === "GET" || request.method === "HEAD") {
        // The login ends on the page asked for (return-path.ts).
        reply.header("cache-control", "no-store").redirect(loginFor(kind, request.url), 303);
        return false;
      }
      throw new ServiceError("UNAUTHORIZED", "your session has ended; log in again");
    }
    if (session.mustChangePassword && !request.routeOptions.config.beforePasswordChange) {
      // Any method: a 303 makes a browser GET the change-password page, the form's answer as much as a link's.
      const asked = request.method === "GET" || request.method === "HEAD" ? request.url : undefined;
      reply.header("cache-control", "no-store").redirect(withNext(CHANGE_PASSWORD_PATH, kind, asked), 303);
      return false;
    }
    request.webSession = { ...session, token };
    request.actor =
      session.subject.kind === "staff"
        ? actors.staff(session.subject.staffUserId)
        : actors.customer(session.subject.customerId);
    return true;
  };
}

export type SessionGate = ReturnType<typeof createSessionGate>;
