import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import type { StaffRole } from "../../db/schema.ts";
import { actors } from "../../kernel/actor.ts";
import { ServiceError } from "../../kernel/errors.ts";
import type { TxContext } from "../../kernel/transaction.ts";
import type { SolusioIntegration } from "../../solusio/integration.ts";
import { SolusioError } from "../../solusio/solusio-error.ts";
import { NOT_CONFIGURED } from "../sync/require-solusio.ts";
import { createStaffUser } from "../staff/staff-users.ts";
import { solusioDoctor } from "./solusio-console.ts";

// The console's SolusIO page when the doctor cannot run at all: its line is worded by the reader's role as
// the doctor's own lines are, since a failure's message can name SolusIO's host and port (until 2026-12-07
// the page showed the message to every role).

const HOST = "solusio.internal.example:8443";

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

/** A SolusIO side whose connection fails before any check runs, with an error that names where it is. */
function failingSolusio(error: Error): SolusioIntegration {
  return {
    get connection(): never {
      throw error;
    },
    limitGroupId: async () => undefined,
  };
}

/** The doctor as a member of staff of `role` reads it, with `solusio` as the SolusIO side. */
async function doctorAs(ctx: TxContext, role: StaffRole, solusio: SolusioIntegration | undefined) {
  const input = { email: `problem-${role}@example.com`, role, password: `problem ${role} password` };
  const user = await createStaffUser({ ctx, input });
  return solusioDoctor({ ctx: { ...ctx, actor: actors.staff(user.id), solusio }, input: {} });
}

function refused(): SolusioError {
  const error = new SolusioError(`connect ECONNREFUSED ${HOST}`, null, true);
  error.noAnswer = { kind: "network", code: "ECONNREFUSED" };
  return error;
}

describe("the SolusIO page's problem line", () => {
  it("names the host to an admin only; billing and support read how the call failed", async () => {
    await withRollback(handle.db, async (ctx) => {
      const admin = await doctorAs(ctx, "admin", failingSolusio(refused()));
      expect(admin.checks).toEqual([]);
      expect(admin.problem).toContain(HOST);
      for (const role of ["billing", "support"] as const) {
        const view = await doctorAs(ctx, role, failingSolusio(refused()));
        expect(view.problem, role).toBe("no answer from SolusIO (ECONNREFUSED)");
      }
    });
  });

  it("words an UPSTREAM_UNAVAILABLE naming a host by role too", async () => {
    const named = () => new ServiceError("UPSTREAM_UNAVAILABLE", `SolusIO at https://${HOST}/api/v1 failed`);
    await withRollback(handle.db, async (ctx) => {
      expect((await doctorAs(ctx, "owner", failingSolusio(named()))).problem).toContain(HOST);
      for (const role of ["billing", "support"] as const) {
        const { problem } = await doctorAs(ctx, role, failingSolusio(named()));
        expect(problem, role).toBe("SolusIO could not be checked: an admin's SolusIO page shows why");
      }
    });
  });

  it("says that no SolusIO is configured to every role, as it names settings only", async () => {
    await withRollback(handle.db, async (ctx) => {
      for (const role of ["admin", "support"] as const)
        expect((await doctorAs(ctx, role, undefined)).problem, role).toBe(NOT_CONFIGURED);
    });
  });
});
