// PGlite is one PostgreSQL session. When `serve` shares it over a socket (pglite-socket-server.ts), serve's
// own queries and every CLI connection take turns on that one session, and a turn must not end in the
// middle of someone's work: an open transaction (BEGIN … COMMIT), or an extended-protocol cycle (Parse …
// Sync) whose unnamed statement another client would overwrite. So the session stays with its holder until
// the holder is idle again; everyone else waits in arrival order.
//
// pglite-socket 0.1.6's own queue does not do this: it lets another connection's statement run between a
// client's Parse and Sync, and a connection's statements run inside serve's transaction (it only sees
// transactions opened over the socket). This queue replaces it (PGLiteSocketHandler takes it as an option).

/** Who is using the session: serve's own Kysely, or a socket connection by its handler id. */
export type SessionOwner = "serve" | number;

interface Turn {
  owner: SessionOwner;
  /** Does the work; true when the owner must keep the session after it (mid-transaction, mid-cycle). */
  work: () => Promise<boolean>;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class PgliteSessionQueue {
  #turns: Turn[] = [];
  #holder: SessionOwner | undefined;
  #running = false;

  /** Who keeps the session between turns (undefined: nobody, the session is idle). */
  get holder(): SessionOwner | undefined {
    return this.#holder;
  }

  /** Turns waiting for the session: serve's own queries and socket connections' messages. */
  get waiting(): number {
    return this.#turns.length;
  }

  /** Runs `work` when the session is this owner's; its result says whether the owner keeps the session. */
  take(owner: SessionOwner, work: () => Promise<boolean>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#turns.push({ owner, work, resolve, reject });
      void this.#pump();
    });
  }

  /**
   * Takes an idle session at once, without queueing (serve's every query asks, and it is nearly always
   * idle); the caller must call the returned release. Undefined when someone holds or waits for it.
   */
  takeIfIdle(): (() => void) | undefined {
    if (this.#running || this.#holder !== undefined || this.#turns.length > 0) return undefined;
    this.#running = true;
    return () => {
      this.#running = false;
      void this.#pump();
    };
  }

  /** Refuses the owner's waiting turns (its connection is gone). */
  drop(owner: SessionOwner, reason: Error): void {
    const mine = this.#turns.filter((t) => t.owner === owner);
    this.#turns = this.#turns.filter((t) => t.owner !== owner);
    for (const turn of mine) turn.reject(reason);
  }

  async #pump(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      for (;;) {
        const index = this.#holder === undefined ? 0 : this.#turns.findIndex((t) => t.owner === this.#holder);
        const turn = index >= 0 ? this.#turns[index] : undefined;
        if (!turn) return;
        this.#turns.splice(index, 1);
        try {
          const keep = await turn.work();
          this.#holder = keep ? turn.owner : undefined;
          turn.resolve();
        } catch (error) {
          // The session's state after a failed turn is unknown: the owner keeps it until its connection's
          // cleanup (or the owner's next turn) settles it.
          this.#holder = turn.owner;
          turn.reject(error as Error);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
