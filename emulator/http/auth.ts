import { timingSafeEqual } from "node:crypto";
import type { onRequestHookHandler } from "fastify";
import { forbidden, unauthenticated } from "../errors.ts";
import { userForBearer } from "../ops/tokens.ts";
import type { Emulator } from "../runtime.ts";
import { findUser, isAdmin } from "../state/state.ts";
import { slots } from "./request-slots.ts";
import type { Access, Actor } from "./route.ts";

// Bearer authentication for admin, user and control routes. It runs as the route's onRequest hook, before
// the body is read: a caller without a valid token gets 401 whatever it sent, and its body is never parsed.

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function bearerOf(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return match?.[1];
}

export function authenticate(em: Emulator, authorization: string | undefined, access: Access): Actor | null {
  if (access === "public") return null;
  const token = bearerOf(authorization);
  if (!token) throw unauthenticated();
  if (sameToken(token, em.config.adminToken)) {
    const admin = findUser(em.state, em.state.adminUserId);
    if (!admin) throw new Error("the state has no admin user");
    return { user: admin, isAdmin: true };
  }
  // The control endpoints take the admin token itself, nothing else (solusio-api.md §10).
  if (access === "emulator") throw unauthenticated();
  const user = userForBearer(em.state, em.now(), token);
  if (!user) throw unauthenticated();
  const actor = { user, isAdmin: isAdmin(em.state, user) };
  if (access === "admin" && !actor.isAdmin) throw forbidden("This action is unauthorized.");
  return actor;
}

export function authHook(em: Emulator, access: Access): onRequestHookHandler {
  return (request, _reply, done) => {
    try {
      slots(request).emulatorActor = authenticate(em, request.headers.authorization, access);
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  };
}
