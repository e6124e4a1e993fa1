import type { IncomingMessage } from "node:http";
import proxyAddr from "@fastify/proxy-addr";
import type { Config } from "../config.ts";

// Which address a request comes from, for every per-address limit (wrong secrets, logins, links). Behind a
// reverse proxy the socket's address is the proxy's, and the client's is in X-Forwarded-For, which nginx
// ($proxy_add_x_forwarded_for) and most proxies append to: "whatever the client sent, <client>". Walking
// from the socket back through that header, only hops TRUST_PROXY names are believed (one hop, a number
// of hops, or the proxies' addresses); the first address not believed is the client's. Fastify's `true`,
// which TRUST_PROXY=true passed until 2026-12-04, believed every hop, so the left-most entry (written by the
// client) was the address, and a client chose its own for every limit.

/** Whether the address at `hop` (0: the socket's peer) is a proxy whose X-Forwarded-For is believed. */
export type ProxyTrust = (address: string, hop: number) => boolean;

/** TRUST_PROXY as a trust function, for Fastify's `trustProxy` and for clientAddress; false when off. */
export function proxyTrust(setting: Config["TRUST_PROXY"]): ProxyTrust | false {
  if (setting === false) return false;
  if (typeof setting === "number") return (_address, hop) => hop < setting;
  return proxyAddr.compile([...setting]);
}

/** The client address of a raw request, as Fastify's request.ip has it with the same trust. */
export function clientAddress(req: IncomingMessage, trust: ProxyTrust | false): string {
  if (trust === false) return req.socket.remoteAddress ?? "";
  return proxyAddr(req, trust);
}
