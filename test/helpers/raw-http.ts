import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { WAIT_CEILING_MS } from "./wait-until.ts";

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One HTTP request with the path sent exactly as given: fetch() and URL normalise dot segments, doubled
 * slashes and percent-encoding, which are precisely the spellings the access tests must try.
 */
export function rawRequest(
  base: string,
  options: { method: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: hostname, port, method: options.method, path: options.path, headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** A raw socket to the server, for requests that must arrive slowly or malformed. */
export function openSocket(base: string): Promise<Socket> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.on("error", reject);
  });
}

/**
 * Everything the server writes until it closes the connection, or `closed: false` once `ms` pass: the wait's
 * ceiling, which only a close that never comes reaches. A shorter bound is a race: on a loaded machine a
 * process unscheduled for seconds finds the server's close and the bound due together, and the bound won
 * (until 2026-12-07 callers passed 3–8 s, for closes that take 1–2 s on a quiet machine).
 */
export function readUntilClose(
  socket: Socket,
  ms = WAIT_CEILING_MS,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = "";
    const timer = setTimeout(() => resolve({ text, closed: false }), ms);
    socket.on("data", (c: Buffer) => {
      text += c.toString();
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.on("error", () => undefined);
  });
}
