import type { Kysely, Selectable } from "kysely";
import { z } from "zod";
import type { Database, SolusioBindingTable } from "../db/schema.ts";
import { ServiceError } from "../kernel/errors.ts";
import type { SolusioConnection } from "./connect-solusio.ts";
import { page, SolusioUser } from "./schemas.ts";
import { SharedCheck } from "./shared-check.ts";
import { SolusioError } from "./solusio-error.ts";

// Which SolusIO a database belongs to. The first instance that reaches a SolusIO writes
// its identity; billing, user sync, server polls and the scheduler then refuse to work against any other
// one. Without this, a production database started without SOLUSIO_URL fell into sandbox mode, billed last
// month against the empty emulator, and recorded that month as done with 0 invoices.
//
// The identity is the installation's first user (id and creation time; it is the admin the installer
// created): it survives token rotation, a new admin and a moved hostname, and differs between any two
// installations, the sandbox emulator included. [OURS] — SolusIO exposes no installation id we know of.

export type SolusioBinding = Selectable<SolusioBindingTable>;

export interface SolusioIdentity {
  kind: "solusio" | "sandbox";
  apiUrl: string;
  identity: string;
}

/** `signal` cancels its calls (a billing run's stop: solusio-client.ts, `signal`). */
export async function identifySolusio(
  connection: Pick<SolusioConnection, "api" | "apiUrl" | "sandbox">,
  signal?: AbortSignal,
): Promise<SolusioIdentity> {
  const api = connection.api.stoppedBy(signal);
  const first = await api.client.call("GET", "users", {
    query: { page: 1 },
    schema: page(SolusioUser),
  });
  const oldest = [...first.data].sort((a, b) => a.id - b.id)[0];
  const account = oldest ?? (await api.account());
  return {
    kind: connection.sandbox ? "sandbox" : "solusio",
    apiUrl: withoutCredentials(connection.apiUrl),
    identity: `first-user:${account.id}:${String(account.created_at ?? "")}`,
  };
}

/** The URL as stored and shown: user-info and query (where credentials hide) removed. */
function withoutCredentials(url: string): string {
  const u = new URL(url);
  u.username = "";
  u.password = "";
  u.search = "";
  return u.toString();
}

export function readBinding(db: Kysely<Database>): Promise<SolusioBinding | undefined> {
  return db.selectFrom("solusio_binding").selectAll().executeTakeFirst();
}

const describe = (b: { kind: string; api_url?: string; apiUrl?: string }) =>
  `${b.kind === "sandbox" ? "the sandbox emulator" : "SolusIO"} at ${b.api_url ?? b.apiUrl}`;

/** Why `found` is not the SolusIO this database belongs to; undefined when it is. */
export function bindingMismatch(bound: SolusioBinding, found: SolusioIdentity): string | undefined {
  if (bound.kind === found.kind && bound.identity === found.identity) return undefined;
  const refusal =
    "Billing, user sync and the scheduler refuse to work against another SolusIO. Configure the right " +
    "SOLUSIO_URL, or, if the change is deliberate, run `tokenbill solusio bind --force`.";
  // The same installation reached as the other kind: the sandbox emulator's URL set as SOLUSIO_URL (or the
  // reverse). The message named the same URL and identity twice (until 2026-12-06), with nothing to tell apart.
  if (bound.identity === found.identity)
    return (
      `this database belongs to ${describe(bound)}, which this process reaches as ${kindOf(found)} ` +
      `(${found.kind === "sandbox" ? "the sandbox, SOLUSIO_URL unset" : "SOLUSIO_URL"}): a sandbox database ` +
      `is not a real SolusIO's, nor the other way round. ${refusal}`
    );
  return (
    `this database belongs to ${describe(bound)} (identity ${bound.identity}), but this process talks to ` +
    `${describe(found)} (identity ${found.identity}). ${refusal}`
  );
}

const kindOf = (found: SolusioIdentity) =>
  found.kind === "sandbox" ? "the sandbox emulator" : "a real SolusIO";

/**
 * Refuses (CONFLICT) when the database belongs to another SolusIO than `connection`'s; binds nothing. For a
 * comparison with SolusIO's users (reconciliation): against another SolusIO every customer was reported
 * missing, and `--fix` said "1 customers synced" while each sync refused.
 */
export async function refuseAnotherSolusio(
  db: Kysely<Database>,
  connection: Pick<SolusioConnection, "api" | "apiUrl" | "sandbox">,
): Promise<void> {
  const bound = await readBinding(db);
  if (!bound) return;
  const problem = bindingMismatch(bound, await identifySolusio(connection));
  if (problem) throw new ServiceError("CONFLICT", problem);
}

/**
 * Binds the database to `found` when it belongs to none yet; refuses (CONFLICT) when it belongs to another.
 * A new URL for the same installation is recorded (the host moved). Returns the binding in force.
 */
export async function bindOrCheck(db: Kysely<Database>, found: SolusioIdentity): Promise<SolusioBinding> {
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto("solusio_binding")
      .values({ kind: found.kind, api_url: found.apiUrl, identity: found.identity })
      .onConflict((oc) => oc.doNothing())
      .execute();
    const bound = await trx.selectFrom("solusio_binding").selectAll().forUpdate().executeTakeFirstOrThrow();
    const problem = bindingMismatch(bound, found);
    if (problem) throw new ServiceError("CONFLICT", problem);
    if (bound.api_url === found.apiUrl) return bound;
    return trx
      .updateTable("solusio_binding")
      .set({ api_url: found.apiUrl })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

/** Replaces the binding with `found`: the operator's deliberate move to another SolusIO. */
export async function rebind(db: Kysely<Database>, found: SolusioIdentity): Promise<SolusioBinding> {
  return db
    .insertInto("solusio_binding")
    .values({ kind: found.kind, api_url: found.apiUrl, identity: found.identity })
    .onConflict((oc) =>
      oc.column("singleton").doUpdateSet({
        kind: found.kind,
        api_url: found.apiUrl,
        identity: found.identity,
        bound_at: new Date(),
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

const checks = new WeakMap<SolusioConnection, SharedCheck>();

/** What a caller whose signal aborted is answered: the check may go on for others. */
const stopped = () => new SolusioError("binding check: cancelled, the process is stopping", null, false);

/**
 * Resolves once this connection's SolusIO is known to be the database's own (checked once per connection
 * and process; a refusal or an unreachable SolusIO is asked again next time, so a fix needs no restart).
 * `signal` (the work's stop: a billing run's, serve's) ends the wait at once, and the check's calls once
 * no caller waits on them any more; concurrent callers share one check (serve's start, the schedules).
 */
export function ensureBound(
  db: Kysely<Database>,
  connection: SolusioConnection,
  signal?: AbortSignal,
): Promise<void> {
  if (signal?.aborted) return Promise.reject(stopped());
  let check = checks.get(connection);
  if (!check) {
    const forget = () => {
      if (checks.get(connection) === made) checks.delete(connection);
    };
    const made = new SharedCheck(
      (cancel) => identifySolusio(connection, cancel).then((found) => bindOrCheck(db, found).then(() => {})),
      forget,
    );
    made.done.catch(forget);
    checks.set(connection, made);
    check = made;
  }
  return check.wait(signal, stopped);
}

export const BindingView = z.object({
  kind: z.enum(["solusio", "sandbox"]),
  api_url: z.string(),
  identity: z.string(),
  bound_at: z.string(),
});
