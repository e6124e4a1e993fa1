import { createServer } from "node:net";
import { ServiceError } from "../kernel/errors.ts";
import { UnfitConfigurationError } from "./unfit-configuration.ts";

// `serve` on a port another program holds (8080 often is) ended with Node's "Error: listen EADDRINUSE" and a
// stack trace, exit code 1. A port taken is a conflict, as a DATA_DIR another serve holds is (exit 4); a port
// this user may not open, or a HOST that is not this machine's (or no machine's), is a setting to change (exit 78).

/** The settings a person changes: the host's ("HOST"), and the one that chose a port ("PORT"), if known. */
export interface ListenSettings {
  host: string;
  portOf(port: number): string | undefined;
}

/** The one-line refusal for a failed listen, naming the setting to change; undefined for any other error. */
export function listenRefusal(error: unknown, settings: ListenSettings): Error | undefined {
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  // A host name no resolver knows (HOST=billing.example.invalid, a typo) fails before listening, in the name's
  // lookup: it ended with "error: Error: getaddrinfo ENOTFOUND …" and a stack trace, exit 1.
  if (e instanceof Error && e.syscall === "getaddrinfo" && e.code === "ENOTFOUND")
    return new UnfitConfigurationError(
      `${e.hostname ?? "the host name"} is not a name of this machine (no address found for it): set ${settings.host} to one of its addresses or names`,
    );
  if (!(e instanceof Error) || e.syscall !== "listen") return undefined;
  const where = e.port === undefined ? e.address : `${e.address}:${e.port}`;
  const setting = (e.port === undefined ? undefined : settings.portOf(e.port)) ?? "the port";
  switch (e.code) {
    case "EADDRINUSE":
      return new ServiceError(
        "CONFLICT",
        `${where} is in use by another program (another tokenbill serve?): stop it, or set ${setting} to a free port`,
      );
    case "EACCES":
      return new UnfitConfigurationError(
        `not allowed to listen on ${where} (ports below 1024 need privileges): set ${setting} to 1024 or above`,
      );
    case "EADDRNOTAVAIL":
      return new UnfitConfigurationError(
        `${e.address} is not an address of this machine: set ${settings.host} to one`,
      );
    default:
      return undefined;
  }
}

/**
 * Listens on `host:port` and lets go at once: a port another program holds, or one this user may not open,
 * fails here with the error the real listen would give, before serve opens (or creates) the database and
 * starts the sandbox. Until 2026-12-06 that came after both: a taken port left a new data directory behind.
 * The real listen still refuses a port taken in between.
 */
export async function probeListen(host: string, port: number): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", reject);
    probe.listen({ host, port, exclusive: true }, resolve);
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}
