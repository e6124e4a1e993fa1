import { once } from "node:events";
import { createServer, type IncomingMessage, request as forward } from "node:http";
import type { AddressInfo } from "node:net";

// Lost answers the emulator's faults cannot give (its `fail_after_rate` only swaps the answer for a 5xx):
// it sits in front of a real emulator, lets a matching request through so that the emulator really does the
// work, and then drops the connection or stalls past the client's timeout; or it answers a search with an
// empty list, like an index that has not caught up. Everything else passes unchanged.

export type LostAnswer =
  /** The work is done, then 502 with an HTML body, as a proxy in front of a dying backend answers. */
  | "502"
  /** The work is done, then 200 with `<html>ok</html>`: a proxy's own page instead of SolusIO's JSON. */
  | "html-200"
  /** The work is done, then the connection is dropped without an answer. */
  | "drop"
  /** The work is done, then nothing is sent for `stallMs`: the client's timeout fires first. */
  | "stall"
  /** Not forwarded at all: an empty list, like a search index that has not caught up yet. */
  | "empty-list";

export interface LostAnswerRule {
  method: string;
  /** Exact path, without the query string. */
  path: string;
  outcome: LostAnswer;
  /** How many matching requests get the outcome; later ones pass. */
  times: number;
}

export interface LostAnswerProxy {
  /** The API base to give tokenbill: {proxy}/api/v1 */
  apiUrl: string;
  /** Replaces the rules; each rule counts its own matches. */
  setRules(rules: LostAnswerRule[]): void;
  /** How many requests each rule took (by index, for the current rules). */
  taken(): number[];
  close(): Promise<void>;
}

export async function startLostAnswerProxy(target: string, stallMs = 2_000): Promise<LostAnswerProxy> {
  const upstream = new URL(target);
  let rules: { rule: LostAnswerRule; taken: number }[] = [];
  const sockets = new Set<import("node:net").Socket>();

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://proxy.invalid").pathname;
    const match = rules.find(
      (r) => r.taken < r.rule.times && r.rule.method === req.method && r.rule.path === path,
    );
    if (match) match.taken += 1;
    const body = await readAll(req);
    if (match?.rule.outcome === "empty-list") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ data: [], links: {}, meta: { current_page: 1, last_page: 1, total: 0 } }));
      return;
    }
    let answer: Awaited<ReturnType<typeof pass>>;
    try {
      answer = await pass(upstream, req, body);
    } catch {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end("the emulator behind the proxy did not answer");
      return;
    }
    if (!match) {
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
      return;
    }
    if (match.rule.outcome === "html-200") {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>ok</html>");
    } else if (match.rule.outcome === "502") {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<html><body><h1>502 Bad Gateway</h1></body></html>");
    } else if (match.rule.outcome === "drop") {
      req.socket.destroy();
    } else {
      setTimeout(() => req.socket.destroy(), stallMs).unref();
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    apiUrl: `http://127.0.0.1:${port}/api/v1`,
    setRules: (next) => {
      rules = next.map((rule) => ({ rule, taken: 0 }));
    },
    taken: () => rules.map((r) => r.taken),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function pass(
  upstream: URL,
  req: IncomingMessage,
  body: Buffer,
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const out = forward(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: forwardedHeaders(req, upstream, body.length),
      },
      async (answer) => {
        const text = await readAll(answer);
        const type = answer.headers["content-type"];
        resolve({
          status: answer.statusCode ?? 502,
          headers: type ? { "content-type": type } : {},
          body: text,
        });
      },
    );
    out.on("error", reject);
    out.end(body);
  });
}

/** The client's headers for the emulator: its host, and a length for the body read in full. */
function forwardedHeaders(req: IncomingMessage, upstream: URL, length: number) {
  const headers: Record<string, string | string[] | undefined> = { ...req.headers };
  delete headers["transfer-encoding"];
  return { ...headers, host: upstream.host, "content-length": String(length) };
}
