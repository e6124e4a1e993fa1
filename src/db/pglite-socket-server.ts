import { chmodSync, existsSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join, resolve } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketHandler, type PGLiteSocketHandlerOptions } from "@electric-sql/pglite-socket";
import { NotificationScanner } from "./notification-scanner.ts";
import type { PgliteSessionQueue } from "./pglite-socket-session.ts";

// `serve` shares its embedded database with the CLI over a Unix socket in DATA_DIR (docs/ARCHITECTURE.md,
// "Many processes"). pglite-socket's PGLiteSocketHandler speaks the wire protocol of one connection; the
// turns on PGlite's one session are ours (pglite-socket-session.ts), shared with serve's own queries.
//
// No password: the socket sits in DATA_DIR, which is 0700 (data-dir-lock.ts), and is itself 0600, so only
// the owner of the database files, who could open them anyway, can connect.

/** pg connects to `<host>/.s.PGSQL.<port>` when host is a directory; the port only names the file. */
export const SOCKET_PORT = 5432;
export const SOCKET_NAME = `.s.PGSQL.${SOCKET_PORT}`;
/** sun_path holds 108 bytes on Linux (104 on macOS): a deeper DATA_DIR cannot be shared. */
export const MAX_SOCKET_PATH = 103;

export function socketPathOf(dataDir: string): string {
  return join(resolve(dataDir), SOCKET_NAME);
}

/** Where a CLI may connect: the socket's directory, when a sharing serve left its socket there. */
export function sharedSocketDir(dataDir: string): string | undefined {
  return existsSync(socketPathOf(dataDir)) ? resolve(dataDir) : undefined;
}

// ReadyForQuery ('Z', length 5, status): the last message of every cycle. Status 'I' is idle: no
// transaction open, no cycle pending, so the session may go to someone else.
const READY_FOR_QUERY = [0x5a, 0, 0, 0, 5];
const IDLE = 0x49;
// A Sync message closes whatever extended-protocol cycle a departed client left half done.
const SYNC = new Uint8Array([0x53, 0, 0, 0, 4]);

/** True when the output ended with ReadyForQuery(idle). */
function endsIdle(tail: Uint8Array): boolean {
  if (tail.length < 6) return false;
  const start = tail.length - 6;
  return READY_FOR_QUERY.every((byte, i) => tail[start + i] === byte) && tail[start + 5] === IDLE;
}

function lastBytes(previous: Uint8Array, chunk: Uint8Array, n: number): Uint8Array {
  if (chunk.length >= n) return chunk.slice(chunk.length - n);
  const joined = new Uint8Array(previous.length + chunk.length);
  joined.set(previous);
  joined.set(chunk, previous.length);
  return joined.slice(Math.max(0, joined.length - n));
}

/**
 * What PGLiteSocketHandler calls on its queue (the three methods of pglite-socket 0.1.6's own
 * QueryQueueManager, which the package does not export), routed through our session turns.
 */
function handlerQueue(db: PGlite, session: PgliteSessionQueue, notifications?: SharedNotifications) {
  // One scanner a connection: a message may be split across two of its outputs.
  const scanners = new Map<number, NotificationScanner>();
  const scannerOf = (handlerId: number) => {
    if (!notifications) return undefined;
    let scanner = scanners.get(handlerId);
    if (!scanner) {
      scanner = new NotificationScanner(notifications.onNotification);
      scanners.set(handlerId, scanner);
    }
    return scanner;
  };
  return {
    async enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void) {
      let size = 0;
      let tail: Uint8Array = new Uint8Array(0);
      const scanner = scannerOf(handlerId);
      await session.take(handlerId, async () => {
        await db.runExclusive(() =>
          db.execProtocolRawStream(message, {
            onRawData: (data) => {
              size += data.length;
              tail = lastBytes(tail, data, 6);
              scanner?.push(data);
              onData(data);
            },
          }),
        );
        return !endsIdle(tail);
      });
      return size;
    },
    clearQueueForHandler(handlerId: number) {
      scanners.delete(handlerId);
      session.drop(handlerId, new Error("the connection closed"));
    },
    /**
     * A connection that closes hands the session back as serve keeps it: not mid-cycle or mid-transaction,
     * and without what the connection set for itself (sessionReset).
     */
    // The library calls it without a catch, so it never rejects (a closed database has nothing to clean).
    async clearTransactionIfNeeded(handlerId: number) {
      await session
        .take(handlerId, async () => {
          try {
            if (session.holder === handlerId) {
              await db.runExclusive(() => db.execProtocolRaw(SYNC));
              if (db.isInTransaction()) await db.exec("ROLLBACK");
            }
            await db.exec(sessionReset(notifications?.channels ?? []));
          } catch {
            // Nobody is left to wait for: the session goes back to the others whatever this left.
          }
          return false;
        })
        .catch(() => {});
    },
  };
}

/**
 * What undoes a departed connection's own settings on the one session. A client's `SET search_path`, time
 * zone or role stayed for serve's queries after it left: found by QA on 2026-12-06, where a psql session's
 * `SET search_path TO pg_catalog` made every admin API call fail (`relation "job" does not exist`) until a
 * restart, and the `tokenbill migrate` that followed built a second schema in pg_catalog, which then hid the
 * real one. serve sets nothing on its PGlite session that RESET ALL would undo (open-database.ts: its
 * settings are start parameters, which RESET returns to), holds no temporary tables, cursors or session
 * advisory locks, and LISTENs on its channels again (a client may have run UNLISTEN *). A client's prepared
 * statements stay: serve's own share the namespace, and they cost only memory.
 */
export function sessionReset(channels: readonly string[]): string {
  for (const channel of channels)
    if (!CHANNEL_NAME.test(channel)) throw new Error(`not a channel name: ${channel}`);
  return [
    "RESET SESSION AUTHORIZATION",
    "RESET ALL",
    "CLOSE ALL",
    "DISCARD TEMP",
    "UNLISTEN *",
    ...channels.map((channel) => `LISTEN ${channel}`),
  ].join("; ");
}

/**
 * Channels `serve`'s session LISTENs on, and who is told when a socket client's commit notifies one of them
 * (notification-scanner.ts): how a job a command writes wakes `serve`'s runner.
 */
export interface SharedNotifications {
  channels: string[];
  onNotification: (channel: string, payload: string) => void;
}

const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PgliteSocketServer {
  path: string;
  close(): Promise<void>;
}

/** Listens on DATA_DIR's socket; undefined (and nothing started) when the path is too long for a socket. */
export async function shareOverSocket(
  db: PGlite,
  session: PgliteSessionQueue,
  dataDir: string,
  notifications?: SharedNotifications,
): Promise<PgliteSocketServer | undefined> {
  const path = socketPathOf(dataDir);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) return undefined;
  // Before anyone connects: the session's LISTEN makes PostgreSQL send the notifications into its output.
  for (const channel of notifications?.channels ?? []) {
    if (!CHANNEL_NAME.test(channel)) throw new Error(`not a channel name: ${channel}`);
    await db.exec(`LISTEN ${channel}`);
  }
  // This process holds DATA_DIR's lock, so a socket file left there is a crashed server's.
  rmSync(path, { force: true });
  const queue = handlerQueue(
    db,
    session,
    notifications,
  ) as unknown as PGLiteSocketHandlerOptions["queryQueue"];
  const handlers = new Set<PGLiteSocketHandler>();
  const server: Server = createServer((socket) => {
    const handler = new PGLiteSocketHandler({ queryQueue: queue, closeOnDetach: true });
    handlers.add(handler);
    handler.addEventListener("close", () => handlers.delete(handler));
    handler.addEventListener("error", () => handlers.delete(handler));
    handler.attach(socket).catch(() => socket.destroy());
  });
  await new Promise<void>((listening, failed) => {
    server.once("error", failed);
    server.listen(path, () => {
      server.off("error", failed);
      listening();
    });
  });
  // Owner only; DATA_DIR's 0700 already keeps others out, this keeps it so if the directory is loosened.
  chmodSync(path, 0o600);
  return {
    path,
    close: async () => {
      await new Promise<void>((closed) => {
        server.close(() => closed());
        for (const handler of handlers) handler.detach(true).catch(() => {});
      });
      rmSync(path, { force: true });
    },
  };
}
