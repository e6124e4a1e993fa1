import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Actor } from "./route.ts";

// What the hooks hand on to the handler for one request. Declared up front with decorateRequest, so every
// request object keeps one shape; typed here rather than by augmenting Fastify's types, which tokenbill's own
// server shares.

export interface AfterFault {
  status: number;
  body: "json" | "html";
}

interface Slots {
  /** Who is calling, set by the route's auth hook; null on public routes. */
  emulatorActor: Actor | null;
  /** A fault that lets the request be handled and then replaces the answer. */
  emulatorAfterFault: AfterFault | null;
}

export function declareSlots(app: FastifyInstance): void {
  app.decorateRequest("emulatorActor", null);
  app.decorateRequest("emulatorAfterFault", null);
}

export function slots(request: FastifyRequest): Slots {
  return request as FastifyRequest & Slots;
}
