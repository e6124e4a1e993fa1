import type { KyselyPlugin } from "kysely";
import type { DatabaseHandle } from "../../db/open-database.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { billingContext } from "./billing-fixtures.ts";

/**
 * Counts the statements sent through the contexts it makes, for the tests that hold a read to its number of
 * statements (a page costs what one row costs, a read without its sums one fewer). Statements sent through
 * `handle.db` itself, as fixtures send theirs, are not counted.
 */
export function statementCounter() {
  let statements = 0;
  const counting: KyselyPlugin = {
    transformQuery: (args) => {
      statements++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return {
    /** A billing context at `now` whose database counts every statement. */
    context(handle: DatabaseHandle, now: Date): ServiceContext {
      return { ...billingContext(handle, {}, now), db: handle.db.withPlugin(counting) };
    },
    /** Runs a read: its answer and the statements it sent. */
    async counted<T>(run: () => Promise<T>): Promise<{ answer: T; statements: number }> {
      const before = statements;
      const answer = await run();
      return { answer, statements: statements - before };
    },
  };
}
