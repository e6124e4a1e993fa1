import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { SolusioCall } from "../call-log.ts";
import { SolusioApi } from "../solusio-api.ts";
import { SolusioClient } from "../solusio-client.ts";

export interface PageServer {
  /** A SolusioApi on a real SolusioClient (fast retries), pointed at this server. */
  api: SolusioApi;
  /** Each request's path and query, in order. */
  requests: { path: string; query: Record<string, string> }[];
  /** Every attempt the client recorded (the call log's view). */
  calls: SolusioCall[];
  close(): Promise<void>;
}

/** An answer sent as this exact text: for JSON that a JS value cannot stand for (an integer beyond 2^53). */
export class RawJson {
  constructor(readonly text: string) {}
}

/**
 * A stand-in for SolusIO at the network edge, for answers the emulator never gives: each request gets the
 * next of `answers` as JSON, or that status when the answer is `{ status }` or `{ status, body }` (the body
 * sent as JSON, `{}` without one; the retry gets the next answer).
 */
export async function startPageServer(answers: unknown[]): Promise<PageServer> {
  const requests: PageServer["requests"] = [];
  const queue = [...answers];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    requests.push({ path: url.pathname, query: Object.fromEntries(url.searchParams) });
    const answer = queue.shift();
    const status = isStatus(answer) ? answer.status : 200;
    res.writeHead(status, { "content-type": "application/json" });
    if (answer instanceof RawJson) res.end(answer.text);
    else res.end(JSON.stringify(isStatus(answer) ? (answer.body ?? {}) : (answer ?? null)));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const calls: SolusioCall[] = [];
  const client = new SolusioClient({
    baseUrl: `http://127.0.0.1:${port}/api/v1`,
    token: "page-server-token",
    backoffBaseMs: 1,
    backoffCapMs: 5,
    recorder: (c) => calls.push(c),
  });
  return {
    api: new SolusioApi(client),
    requests,
    calls,
    close: async () => {
      await client.close();
      server.close();
      await once(server, "close");
    },
  };
}

function isStatus(answer: unknown): answer is { status: number; body?: unknown } {
  if (typeof answer !== "object" || answer === null) return false;
  const keys = Object.keys(answer).sort().join();
  return keys === "status" || keys === "body,status";
}
