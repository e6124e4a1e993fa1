import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { ZodError } from "zod";
import { asServiceError, type ErrorCode, ServiceError } from "../errors.ts";

// One envelope for every error tokenbill answers: { error: { code, message, requestId, issues? } }.

export function statusOf(code: ErrorCode): number {
  switch (code) {
    case "VALIDATION":
      return 400;
    case "UNAUTHORIZED":
      return 401;
    case "FORBIDDEN":
      return 403;
    case "NOT_FOUND":
      return 404;
    case "CONFLICT":
      return 409;
    case "UPSTREAM_UNAVAILABLE":
      return 503;
    case "INTERNAL":
      return 500;
  }
}

export function zodToServiceError(error: ZodError, prefix?: string): ServiceError {
  const fieldOf = (path: string) => (prefix ? (path ? `${prefix}.${path}` : prefix) : path || "(body)");
  const issues = error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join(".");
    // An unknown key is reported against the key itself, so the client sees which field to remove.
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        field: fieldOf(path ? `${path}.${key}` : key),
        message: "unknown field",
      }));
    }
    return [{ field: fieldOf(path), message: issue.message }];
  });
  const message = issues.map((i) => `${i.field}: ${i.message}`).join("; ");
  return new ServiceError("VALIDATION", message || "invalid input", issues);
}

/** Fastify errors thrown before our handlers (bad JSON, unsupported media type, body too large). */
function fromFastifyError(error: FastifyError): ServiceError | undefined {
  const status = error.statusCode ?? 0;
  if (status >= 400 && status < 500) {
    const code: ErrorCode = status === 401 ? "UNAUTHORIZED" : status === 404 ? "NOT_FOUND" : "VALIDATION";
    const e = new ServiceError(code, error.message);
    (e as ServiceError & { status?: number }).status = status;
    return e;
  }
  return undefined;
}

export function sendError(reply: FastifyReply, request: FastifyRequest, error: unknown): FastifyReply {
  let serviceError = asServiceError(error);
  if (!serviceError && error instanceof ZodError) serviceError = zodToServiceError(error);
  if (!serviceError) serviceError = fromFastifyError(error as FastifyError);

  if (!serviceError || serviceError.code === "INTERNAL") {
    request.log.error({ err: error, requestId: request.id }, "unhandled error");
    serviceError = new ServiceError("INTERNAL", "internal error; the request id identifies it in the logs");
  }
  const status = (serviceError as ServiceError & { status?: number }).status ?? statusOf(serviceError.code);
  return reply
    .status(status)
    .type("application/json")
    .send({
      error: {
        code: serviceError.code,
        message: serviceError.message,
        requestId: request.id,
        ...(serviceError.issues.length > 0 ? { issues: serviceError.issues } : {}),
      },
    });
}
