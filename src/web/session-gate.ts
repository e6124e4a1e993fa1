import type { FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config.ts";
import { actors } from "../kernel/actor.ts";
import type { Db } from "../kernel/context.ts";
import { ServiceError } from "../kernel/errors.ts";
import { readSession, type WebSession } from "../services/staff/web-sessions.ts";
import { loginFor } from "./return-path.ts";
import { type SessionKind, sessionToken } from "./session-cookie.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The console or portal session the access check found (session routes only). */
    webSession?: WebSession & { token: string };
  }
}

/**
 * The access check of a page (src/http/access.ts calls it for routes declared `access: "staff"` or
 * `"customer"`): the request's session of that kind becomes its actor. Without one, a page asked for
 * with GET is sent to its login page (303, with the page as `next`) and anything else is refused (401); nothing runs.
 * Resolves true when the request may go on, false when the gate answered it.
 */
export function createSessionGate(deps: { db: Db; config: Config; now: () => Date }) {
  return async (request: FastifyRequest, reply: FastifyReply, kind: SessionKind): Promise<boolean> => {
    const token = sessionToken(request, kind);
    const session = token ? await readSession(deps, token, kind) : undefined;
    if (!token || !session || session.pendingTotp) {
      if (request.method === "GET" || request.method === "HEAD") {
        // The login ends on the page asked for (return-path.ts).
        reply.header("cache-control", "no-store").redirect(loginFor(kind, request.url), 303);
        return false;
      }
      throw new ServiceError("UNAUTHORIZED", "your session has ended; log in again");
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
