import type { PGlite } from "@electric-sql/pglite";
import type {
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  TransactionSettings,
} from "kysely";
import { PgliteDialect } from "./pglite-driver.ts";
import type { PgliteSessionQueue } from "./pglite-socket-session.ts";

// serve's own Kysely on a PGlite it shares over the socket: every connection it takes (one query, or a
// whole transaction) is a turn on the session, so a CLI's statement never lands inside serve's transaction
// and serve's never inside a CLI's (pglite-socket-session.ts).

class TurnTakingDriver implements Driver {
  #release: (() => void) | undefined;

  constructor(
    private readonly inner: Driver,
    private readonly session: PgliteSessionQueue,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = this.session.takeIfIdle();
    if (release) {
      try {
        const connection = await this.inner.acquireConnection();
        this.#release = release;
        return connection;
      } catch (error) {
        release();
        throw error;
      }
    }
    return new Promise((granted, failed) => {
      this.session
        .take("serve", async () => {
          granted(await this.inner.acquireConnection());
          // The turn lasts until Kysely gives the connection back; serve's turns never keep the session.
          await new Promise<void>((released) => {
            this.#release = released;
          });
          return false;
        })
        .catch(failed);
    });
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await this.inner.releaseConnection(connection);
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

export class PgliteSharedDialect implements Dialect {
  readonly #inner: PgliteDialect;

  constructor(
    client: PGlite,
    private readonly session: PgliteSessionQueue,
  ) {
    this.#inner = new PgliteDialect(client);
  }

  createDriver(): Driver {
    return new TurnTakingDriver(this.#inner.createDriver(), this.session);
  }

  /** Turns waiting for the session; serve's own wait there too, as its inner driver is only ever taken in a turn. */
  waiting(): number {
    return this.session.waiting;
  }

  createAdapter(): DialectAdapter {
    return this.#inner.createAdapter();
  }

  createQueryCompiler(): QueryCompiler {
    return this.#inner.createQueryCompiler();
  }

  // biome-ignore lint/suspicious/noExplicitAny: Kysely's Dialect takes any database
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return this.#inner.createIntrospector(db);
  }
}
