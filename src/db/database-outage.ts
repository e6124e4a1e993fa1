import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from "kysely";
import type pg from "pg";
import { ServiceError, UpstreamError } from "../kernel/errors.ts";
import { ConnectionStatements, type PoolStatements } from "./named-statements.ts";

// A PostgreSQL that cannot be reached (restarting, failing over, refusing connections, a network down) is an
// outside system that failed, not a bug: callers see it as an UpstreamError, which every adapter already
// answers as UPSTREAM_UNAVAILABLE (HTTP 503 with Retry-After, exit code 6), never as an internal error. The
// pool reconnects by itself once the database is back; nothing has to restart.

/** The database could not be reached; `cause` keeps node-postgres's error (with its address) for the logs. */
export class DatabaseUnreachableError extends UpstreamError {
  constructor(reason: string, cause: unknown) {
    // The address stays out of the message: the message is what an API client is told.
    // `reason` is always this file's own words (outageReason's tables): staff read the message whole.
    super("the database", `cannot be reached (${reason}); try again shortly`, null, true, "staff");
    this.name = "DatabaseUnreachableError";
    this.cause = cause;
  }
}

/**
 * PostgreSQL answered, but would not let tokenbill in: a wrong password or role, a database that does not
 * exist, TLS that one side will not speak. Waiting does not help, DATABASE_URL must change, so the message
 * says that instead of "try again shortly"; for a command it is one line (exit code 6), not a stack trace.
 */
export class DatabaseRefusedError extends UpstreamError {
  constructor(reason: string, cause: unknown) {
    // PostgreSQL's own text (it names the role or database) goes to the logs with `cause`, not to clients.
    // `reason` is loginRefusalReason's own words, never PostgreSQL's text.
    super("the database", `refused the connection (${reason}): check DATABASE_URL`, null, false, "staff");
    this.name = "DatabaseRefusedError";
    this.cause = cause;
  }
}

// SQLSTATEs of a connection the server refused at login (PostgreSQL's appendix A).
const LOGIN_REFUSALS: Record<string, string> = {
  "28P01": "the password was not accepted",
  "28000": "the role may not log in: it does not exist, or pg_hba.conf does not admit it",
  "3D000": "the database does not exist",
};

/** Why PostgreSQL refused to let tokenbill in, or undefined when the error is something else. */
export function loginRefusalReason(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && LOGIN_REFUSALS[code]) return LOGIN_REFUSALS[code];
  // node-postgres's own TLS refusals carry no code.
  if (/does not support SSL connections/.test(error.message))
    return "the server does not speak TLS (sslmode)";
  return undefined;
}

/**
 * The database is up but did not carry out a statement, for a reason that passes: a 503 with Retry-After (the
 * HTTP layer's answer to a retryable UpstreamError) and a job's retry, rather than an internal error with a
 * stack. The subclasses say why.
 */
abstract class StatementNotDoneError extends UpstreamError {
  constructor(name: string, message: string, cause: unknown) {
    // Each subclass's message is fixed: a deadlock or a busy row is told as it is, not as "no answer".
    super("the database", message, null, true, "staff");
    this.name = name;
    this.cause = cause;
  }
}

/**
 * PostgreSQL refused a named statement inside a transaction (named-statements.ts: its table's columns changed,
 * or a pooler lost it), which aborted the transaction. Nothing of it was kept and the statement will be
 * named afresh or not at all, so running the whole request or job again works.
 */
export class StatementRefusedError extends StatementNotDoneError {
  constructor(cause: unknown) {
    super(
      "StatementRefusedError",
      "refused a prepared statement, which ended the transaction; try again",
      cause,
    );
  }
}

/**
 * A statement gave up waiting for a lock (55P03, after `lock_timeout`: serve's DATABASE_LOCK_TIMEOUT_MS):
 * another session held the row or table longer than tokenbill's own transactions ever do (a `psql`
 * transaction left open, a migration run beside the instances). Not the request's fault, and over once the
 * holder ends, like an outage, though the database is up.
 */
export class DatabaseBusyError extends StatementNotDoneError {
  constructor(cause: unknown) {
    super(
      "DatabaseBusyError",
      "is busy: a row or table this needs stayed locked by another session; try again shortly",
      cause,
    );
  }
}

/**
 * The database stopped a statement (57014, query_canceled): DATABASE_URL's `statement_timeout` ran out (the
 * limit docs/operations.md suggests), or an operator cancelled it (`pg_cancel_backend`). Until 2026-12-05 a
 * 500 with a stack. A statement that always outlives the limit keeps failing this way; the message names the
 * setting to look at.
 */
export class StatementCancelledError extends StatementNotDoneError {
  constructor(cause: unknown) {
    super(
      "StatementCancelledError",
      "stopped a statement before it finished (its statement_timeout, or an operator cancelled it); try again",
      cause,
    );
  }
}

/**
 * PostgreSQL ended the transaction to break a deadlock (40P01): two transactions each waited for a lock the
 * other held, and this one was rolled back whole, so sending the request again works. tokenbill's own
 * transactions lock a customer before its invoices (a billing run's finalizer the customers holding credit
 * before its drafts, finalize-invoices.ts), so this takes a session that locks the other way round, or a
 * customer who gained credit between a batch's two locks. Until 2026-12-05 a 500 with a stack.
 */
export class DeadlockError extends StatementNotDoneError {
  constructor(cause: unknown) {
    super(
      "DeadlockError",
      "ended this transaction to resolve a deadlock with another one; nothing of it was kept; try again",
      cause,
    );
  }
}

/** deadlock_detected: PostgreSQL chose this transaction to roll back. */
const DEADLOCK_DETECTED = "40P01";

/** query_canceled: statement_timeout, or a cancel request (tokenbill sends none of its own). */
const QUERY_CANCELED = "57014";

/** lock_not_available: lock_timeout ran out (tokenbill asks for no lock with NOWAIT, the other source of it). */
const LOCK_NOT_AVAILABLE = "55P03";

// SQLSTATEs that say the database cannot serve tokenbill right now, whatever the statement (PostgreSQL's
// appendix A). Not here, on purpose: a login refused for its password, role or database (LOGIN_REFUSALS: a
// configuration to fix, not an outage to wait out) and a statement's own failures (57014, a statement
// timeout or a cancel, is StatementCancelledError above: the database is up).
const SQLSTATE_REASONS: Record<string, string> = {
  "57P01": "the server ended the connection",
  "57P02": "the server crashed",
  "57P03": "the server is starting up or shutting down",
  "57P04": "the database was dropped",
  "57P05": "the server ended an idle connection",
  "53300": "too many connections",
  // A write sent to a standby: after a failover, the address (or a connection opened before it) reaches the
  // old primary, now read-only. tokenbill opens no read-only transaction of its own, so it is never ours.
  "25006": "the server is read-only (a standby)",
};

// SQLSTATEs that mean an outage when PostgreSQL answers them to a login, and something else in a statement:
// 55000 (object_not_in_prerequisite_state) is "database X is not currently accepting connections" at login
// (ALTER DATABASE … ALLOW_CONNECTIONS false, during maintenance), but `currval` before `nextval` in a
// statement.
const LOGIN_OUTAGES: Record<string, string> = {
  "55000": "the database is not accepting connections",
};
const CONNECTION_EXCEPTION_CLASS = "08";
/**
 * In class 08 but the client's fault, not the connection's: a message the server could not take (a statement
 * with more than 65,535 parameters, for one). Reported as the error it is, not as an outage to wait out; when
 * the server also ends the connection, the next statement fails as a lost connection.
 */
const PROTOCOL_VIOLATION = "08P01";

// Node's socket errors on the way to the server.
const ERRNO_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection lost",
  EPIPE: "connection lost",
  ETIMEDOUT: "timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name not resolved",
};

// node-postgres's own errors for a lost or never-made connection carry no code, only these messages.
const MESSAGE_REASONS: [RegExp, string][] = [
  [/^Connection terminated due to connection timeout/, "timed out connecting"],
  [/^timeout exceeded when trying to connect/, "no connection became free in time"],
  [/^Connection terminated/, "connection lost"],
  [/^Client has encountered a connection error/, "connection lost"],
];

/** Why an error means the database could not be reached, or undefined when it means something else. */
export function outageReason(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    const reason = SQLSTATE_REASONS[code] ?? ERRNO_REASONS[code];
    if (reason) return reason;
    if (code.length === 5 && code.startsWith(CONNECTION_EXCEPTION_CLASS) && code !== PROTOCOL_VIOLATION)
      return "connection failure";
  }
  for (const [pattern, reason] of MESSAGE_REASONS) if (pattern.test(error.message)) return reason;
  return undefined;
}

/** Why a failed login means the database cannot serve tokenbill now (outageReason, and LOGIN_OUTAGES). */
export function loginOutageReason(error: unknown): string | undefined {
  const reason = outageReason(error);
  if (reason || !(error instanceof Error)) return reason;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? LOGIN_OUTAGES[code] : undefined;
}

function rethrowOutage(
  error: unknown,
  reasonOf: (error: unknown) => string | undefined = outageReason,
): never {
  const reason = reasonOf(error);
  if (reason) throw new DatabaseUnreachableError(reason, error);
  const refused = loginRefusalReason(error);
  throw refused ? new DatabaseRefusedError(refused, error) : error;
}

/** A connection's login failed: its refusals are read as a login's (loginOutageReason). */
function rethrowLoginFailure(error: unknown): never {
  return rethrowOutage(error, loginOutageReason);
}

/**
 * A read-only server (25006) keeps refusing writes on every connection already open to it, while the address
 * may by now lead to the new primary: such a connection is closed rather than lent out again.
 */
const READ_ONLY_SERVER = "25006";

/** node-postgres's error when a statement outlives DATABASE_URL's `query_timeout` (milliseconds). */
const QUERY_READ_TIMEOUT = "Query read timeout";

/** One pooled client as Kysely sees it, its statements' connection failures made DatabaseUnreachableError. */
class OutageReportingClient implements PostgresPoolClient {
  /** Closed after a statement outlived `query_timeout` or met a read-only server: released for good. */
  private closed = false;

  constructor(
    private readonly client: pg.PoolClient,
    /** With named statements (DATABASE_NAMED_STATEMENTS): which statements go named on this connection. */
    private readonly statements: ConnectionStatements | undefined,
  ) {}

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    what: string | PostgresCursor<R>,
    parameters?: ReadonlyArray<unknown>,
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof what !== "string") return this.client.query(what as never) as PostgresCursor<R>;
    const values = (parameters ?? []) as unknown[];
    const named = this.statements?.prepare(what, values);
    if (named === undefined) return this.#run<R>(what, values);
    return (this.client.query(named.query) as unknown as Promise<PostgresQueryResult<R>>).catch(
      (error: unknown) => {
        // Its name no longer works on this connection (named-statements.ts): run it again unnamed if it may.
        const refusal = this.statements!.refusal(error, named);
        if (refusal === "retry") return this.#run<R>(what, values);
        return this.#failed(what, refusal === "transaction lost" ? new StatementRefusedError(error) : error);
      },
    );
  }

  #run<R>(sql: string, values: unknown[]): Promise<PostgresQueryResult<R>> {
    const pending = this.client.query(sql, values) as unknown as Promise<PostgresQueryResult<R>>;
    return pending.catch((error: unknown) => this.#failed(sql, error));
  }

  #failed(sql: string, error: unknown): never {
    this.statements?.failed(sql);
    if (error instanceof Error && error.message === QUERY_READ_TIMEOUT) {
      // node-postgres gives up on the answer but keeps waiting for it on the connection, so every later
      // statement on it would queue behind one that may never end (a database that stopped answering).
      // Closing it, and releasing it as broken, makes the pool open a new one for the next statement.
      this.closed = true;
      this.client.connection.stream.destroy();
      throw new DatabaseUnreachableError("no answer in time", error);
    }
    const code = (error as { code?: unknown } | undefined)?.code;
    if (code === READ_ONLY_SERVER) this.closed = true;
    if (code === LOCK_NOT_AVAILABLE) throw new DatabaseBusyError(error);
    if (code === QUERY_CANCELED) throw new StatementCancelledError(error);
    if (code === DEADLOCK_DETECTED) throw new DeadlockError(error);
    return rethrowOutage(error);
  }

  release(destroy?: boolean): void {
    this.client.release(destroy || this.closed);
  }
}

/**
 * The pool as Kysely's PostgresDialect takes it: acquiring a connection and running a statement report a
 * database that cannot be reached as DatabaseUnreachableError. One wrapper per pooled client, kept with it,
 * so Kysely's own per-client state (it keys it by the client object) lasts as long as the connection.
 */
export function reportingOutages(
  pool: pg.Pool,
  /** With named statements: what the pool's connections share about them (named-statements.ts). */
  statements?: PoolStatements,
): PostgresPool {
  const wrappers = new WeakMap<pg.PoolClient, OutageReportingClient>();
  return {
    async connect() {
      const client = await pool.connect().catch(rethrowLoginFailure);
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = new OutageReportingClient(
          client,
          statements ? new ConnectionStatements(statements) : undefined,
        );
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}

/** Without `connect_timeout` in DATABASE_URL: how long a statement waits for a pooled connection. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * How long a statement waits for a pooled connection, a new one included, before the database counts as
 * unreachable: DATABASE_URL's `connect_timeout` in seconds, as libpq reads it (0 or less: no limit; 1 means 2),
 * else DEFAULT_CONNECT_TIMEOUT_MS, where libpq would wait without limit. node-postgres itself ignores the
 * parameter. 0 here means no limit.
 */
export function connectTimeoutMs(url: string): number {
  const given = new URL(url).searchParams.get("connect_timeout");
  if (given === null) return DEFAULT_CONNECT_TIMEOUT_MS;
  if (!/^\s*[+-]?\d+\s*$/.test(given))
    throw ServiceError.validation(
      "DATABASE_URL",
      `connect_timeout must be a whole number of seconds, not "${given}"`,
    );
  const seconds = Number(given);
  if (seconds <= 0) return 0;
  return Math.max(2, seconds) * 1000;
}
