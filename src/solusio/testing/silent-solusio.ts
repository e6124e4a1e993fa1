import { once } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface SilentSolusio {
  /** The API base to configure as SOLUSIO_URL. */
  apiUrl: string;
  /** Resolves with the path of the next request that arrives (the call is then in flight). */
  nextRequest(): Promise<string>;
  close(): Promise<void>;
}

/**
 * A SolusIO that takes every request and never answers: a call to it ends only by its timeout, its signal or
 * the connection's close. For what a stop does to the work waiting on it.
 */
export async function startSilentSolusio(): Promise<SilentSolusio> {
  const held: ServerResponse[] = [];
  let waiting: ((path: string) => void)[] = [];
  const server = createServer((request, response) => {
    held.push(response);
    const path = new URL(request.url ?? "/", "http://x").pathname;
    for (const resolve of waiting) resolve(path);
    waiting = [];
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    apiUrl: `http://127.0.0.1:${port}/api/v1`,
    nextRequest: () => new Promise((resolve) => waiting.push(resolve)),
    close: async () => {
      for (const response of held) response.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
