import { once } from "node:events";
import { createServer, request as forward, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestServer } from "./test-server.ts";

export interface AnswerHoldingRelay {
  /** The relay's API base, to configure in place of the target's. */
  apiUrl: string;
  /**
   * Resolves once a request matching `method` and a path ending in `pathEnd` was carried out by the target
   * (its answer received); that answer, and every later one for such a request, is held, never relayed.
   */
  holdAnswerOf(method: string, pathEnd: string): Promise<{ status: number }>;
  close(): Promise<void>;
}

/**
 * An HTTP relay in front of a SolusIO (the emulator) that can keep an answer from its caller: the target has
 * done the work, the caller waits on. For a job cut short while its SolusIO call is in flight, after SolusIO
 * carried it out.
 */
export async function startAnswerHoldingRelay(targetApiUrl: string): Promise<AnswerHoldingRelay> {
  const target = new URL(targetApiUrl);
  const held: ServerResponse[] = [];
  let hold: { method: string; pathEnd: string; landed: (answer: { status: number }) => void } | undefined;
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const path = incoming.url ?? "/";
      const upstream = forward(
        {
          host: target.hostname,
          port: target.port,
          method: incoming.method,
          // The caller's path already carries the API base (/api/v1/...): the relay only changes the host.
          path,
          headers: { ...incoming.headers, host: target.host },
        },
        (answer) => {
          const body: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => body.push(chunk));
          answer.on("end", () => {
            const pathname = new URL(path, "http://x").pathname;
            if (hold && incoming.method === hold.method && pathname.endsWith(hold.pathEnd)) {
              held.push(outgoing);
              hold.landed({ status: answer.statusCode ?? 0 });
              return;
            }
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            outgoing.end(Buffer.concat(body));
          });
        },
      );
      upstream.on("error", () => outgoing.destroy());
      upstream.end(Buffer.concat(chunks));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    apiUrl: `http://127.0.0.1:${port}${target.pathname.replace(/\/+$/, "")}`,
    holdAnswerOf: (method, pathEnd) =>
      new Promise((landed) => {
        hold = { method, pathEnd, landed };
      }),
    close: async () => {
      for (const response of held) response.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * A customer created through `server`'s admin API while `startRunner`'s runner reaches SolusIO through `relay`:
 * its creation's POST users lands in SolusIO and the relay keeps the answer from the runner. The customer's id.
 */
export async function customerWhoseUserAnswerIsHeld(
  relay: AnswerHoldingRelay,
  server: Pick<TestServer, "api">,
  startRunner: () => Promise<void>,
  email: string,
): Promise<number> {
  const landed = relay.holdAnswerOf("POST", "/users");
  await startRunner();
  const created = await server.api("POST", "/api/v1/customers", { email, country: "DE", currency: "EUR" });
  if (created.status !== 201) throw new Error(`creating ${email}: ${created.status}`);
  const answer = await landed;
  if (answer.status !== 201) throw new Error(`POST users for ${email} answered ${answer.status}`);
  return created.body.data.id;
}
