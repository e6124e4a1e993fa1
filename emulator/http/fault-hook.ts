import type { FastifyReply, FastifyRequest, onRequestHookHandler } from "fastify";
import type { Emulator } from "../runtime.ts";
import type { FaultOutcome } from "./faults.ts";
import { CONTROL_PREFIX, loggablePath, pathOf } from "./request-path.ts";
import { slots } from "./request-slots.ts";
import { injectedErrorResult, respond } from "./respond.ts";

// Fault injection (faults.ts) as the first onRequest hook: before routing decides anything and before auth,
// so a dropped or failed request looks the same whatever it asked for. The control endpoints are exempt:
// a test must always be able to switch faults off. A `fail_after` outcome only marks the request; the
// answer is swapped at the end (app.ts), after the handler changed and persisted the state.

export function faultHook(em: Emulator): onRequestHookHandler {
  return (request, reply, done) => {
    // The common case costs one property read.
    if (em.faults.empty) {
      done();
      return;
    }
    const path = pathOf(request.url);
    if (path.startsWith(CONTROL_PREFIX)) {
      done();
      return;
    }
    const fault = em.faults.decide(request.method, path);
    if (fault.latencyMs > 0) setTimeout(() => apply(em, fault, request, reply, done), fault.latencyMs);
    else apply(em, fault, request, reply, done);
  };
}

function apply(
  em: Emulator,
  fault: FaultOutcome,
  request: FastifyRequest,
  reply: FastifyReply,
  done: () => void,
): void {
  const log = { method: request.method, path: loggablePath(pathOf(request.url)) };
  switch (fault.kind) {
    case "pass":
      done();
      return;
    case "drop":
      em.log.info(log, "fault: dropping the connection");
      reply.hijack();
      request.raw.socket.destroy();
      return;
    case "error":
      em.log.info({ ...log, status: fault.status }, "fault: injected error");
      respond(reply, injectedErrorResult(fault.status, fault.body, fault.retryAfter), em.now());
      return;
    case "fail_after":
      slots(request).emulatorAfterFault = { status: fault.status, body: fault.body };
      done();
      return;
  }
}
