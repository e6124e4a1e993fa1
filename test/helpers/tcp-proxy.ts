import { createServer, connect, type Server, type Socket } from "node:net";

/**
 * A loopback TCP relay in front of a server (PostgreSQL in the outage tests), which a test can cut: every
 * relayed connection is dropped and new ones are refused until it is restored. It stands for a database
 * that restarts or a network that fails, without touching the real server other tests share.
 */
export interface TcpProxy {
  port: number;
  /** Connections refused while cut: how often clients tried to reach the server meanwhile. */
  refused: number;
  /** Drops every relayed connection and refuses new ones. */
  cut(): void;
  /**
   * Cuts as soon as a client next sends something (a statement): that client is then lent out with its
   * statement unanswered, the case that ended `serve` until 2026-12-02. Resolves once cut.
   */
  cutOnNextSend(): Promise<void>;
  /**
   * Stops relaying without closing anything, as a network that drops packets does (a host that died, a
   * firewall that forgot the connection): open connections fall silent, new ones are accepted and never reach
   * the server. Nothing tells the client; only its own timeouts can.
   */
  stall(): void;
  /** Relays new connections again; connections opened or silenced while cut or stalled stay dead. */
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  /** Each relayed connection's two sockets, to silence them (stall) without closing them. */
  const pairs = new Set<[Socket, Socket]>();
  let cut = false;
  let stalled = false;
  let onSend: (() => void) | undefined;
  const server: Server = createServer((client) => {
    if (cut) {
      proxy.refused++;
      client.destroy();
      return;
    }
    if (stalled) {
      // Accepted, never relayed: the client's connection attempt waits, as one to a dead host does.
      open.add(client);
      client.on("error", () => {});
      client.on("close", () => open.delete(client));
      return;
    }
    const upstream = connect(target.port, target.host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    upstream.on("close", () => pairs.delete(pair));
    client.on("data", () => onSend?.());
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      open.add(from);
      from.on("error", () => to.destroy());
      from.on("close", () => {
        open.delete(from);
        to.destroy();
      });
      from.pipe(to);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const cutNow = () => {
    cut = true;
    onSend = undefined;
    for (const socket of open) socket.destroy();
  };
  const proxy: TcpProxy = {
    port: typeof address === "object" && address ? address.port : 0,
    refused: 0,
    cut: cutNow,
    cutOnNextSend: () =>
      new Promise<void>((resolve) => {
        onSend = () => {
          cutNow();
          resolve();
        };
      }),
    stall() {
      stalled = true;
      onSend = undefined;
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    restore() {
      if (stalled) for (const socket of open) socket.destroy();
      cut = false;
      stalled = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return proxy;
}

/** A relay in front of the server of a postgres:// URL, and that URL through the relay. */
export async function relayPostgres(url: string): Promise<{ proxy: TcpProxy; url: string }> {
  const target = new URL(url);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const viaProxy = new URL(url);
  viaProxy.port = String(proxy.port);
  return { proxy, url: viaProxy.toString() };
}
