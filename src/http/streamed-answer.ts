import { Readable } from "node:stream";
import type { FastifyReply } from "fastify";

// A download of known length sent as it is read from disk (a backup), not gathered in memory first.

export interface StreamedAnswer {
  bytes: number;
  stream: Readable;
}

export function isStreamedAnswer(value: unknown): value is StreamedAnswer {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as StreamedAnswer).stream instanceof Readable &&
    typeof (value as StreamedAnswer).bytes === "number"
  );
}

/**
 * Sends the stream with its length. A stream that fails before its first byte is an error answer (the
 * envelope); after it, Fastify destroys the connection, so the client gets fewer bytes than Content-Length
 * said and no gzip end: it sees a failed download, never a short file that looks whole. A client that goes
 * away has the stream destroyed, which closes its file.
 */
export function sendStreamed(reply: FastifyReply, answer: StreamedAnswer): FastifyReply {
  return reply.header("content-length", String(answer.bytes)).send(answer.stream);
}

/**
 * True when `error` is the work stopped because its client went away (clientGone): nobody is left to answer,
 * and it is no failure to log with a stack. Answered 499 (nginx's "client closed request") for the logs only.
 */
export function stoppedForGoneClient(reply: FastifyReply, gone: AbortSignal, error: unknown): boolean {
  if (!gone.aborted || (error as Error | undefined)?.name !== "AbortError") return false;
  reply.log.info({ requestId: reply.request.id }, "the client went away; its request was stopped");
  reply.status(499).send();
  return true;
}

/**
 * Aborted when the client goes away before its answer is whole: the work it waits for (a backup being made)
 * stops instead of finishing for nobody.
 */
export function clientGone(reply: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply.raw.once("close", () => {
    if (!reply.raw.writableFinished) gone.abort();
  });
  return gone.signal;
}
