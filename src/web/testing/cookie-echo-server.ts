import { createServer } from "node:http";

/**
 * A server for testing a client's cookie jar: it sets the Set-Cookie lines a request names (`?set=`, repeated)
 * and answers with JSON of the Cookie header it was sent and the address the request came from.
 */
export async function startCookieEchoServer(): Promise<{ base: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://test");
    response.setHeader("set-cookie", url.searchParams.getAll("set"));
    response.setHeader("content-type", "application/json");
    response.end(
      JSON.stringify({ cookie: request.headers.cookie ?? "", from: request.socket.remoteAddress }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return { base, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The query that makes the echo server set `lines`. */
export const setCookiesQuery = (...lines: string[]) =>
  `?${lines.map((line) => `set=${encodeURIComponent(line)}`).join("&")}`;
