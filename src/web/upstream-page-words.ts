import type { FastifyRequest } from "fastify";
import type { ServiceError } from "../kernel/errors.ts";
import { upstreamWords } from "../services/setup/upstream-words.ts";

// The error page's words for an outside system's failure, by reader: the same decision as the admin API's
// answer (upstreamWords, docs/security.md). Until 2026-12-07 every staff role read the message whole here.

export function upstreamPageWords(
  request: FastifyRequest,
  error: unknown,
  known: ServiceError,
  face: "console" | "portal",
): string {
  return upstreamWords(request.webSession?.staffRole ?? undefined, error, known, face);
}
