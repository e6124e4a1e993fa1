import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import { createStaffUser } from "../../services/staff/staff-users.ts";
import { startCheckout } from "./start-checkout.ts";

// A checkout writes a session row and an audit row: staff need a role that may take payments, checked
// before anything else (here no payment provider is configured, so a role that passes meets that refusal).
let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

describe("startCheckout checks the staff role first", () => {
  it("refuses support staff and lets billing staff through to the provider check", async () => {
    await withRollback(handle.db, async (ctx) => {
      const make = (email: string, role: "support" | "billing") =>
        createStaffUser({ ctx, input: { email, role, password: "a long enough password" } });
      const support = await make("support@example.com", "support");
      const billing = await make("billing@example.com", "billing");
      const input = { invoice_id: "inv_0123abcd" };
      await expect(
        startCheckout({ ctx: { ...ctx, actor: actors.staff(support.id) }, input }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
      const passed = await startCheckout({ ctx: { ...ctx, actor: actors.staff(billing.id) }, input }).catch(
        (e: { code?: string }) => e,
      );
      expect(passed).toMatchObject({ code: expect.any(String) });
      expect((passed as { code: string }).code).not.toBe("FORBIDDEN");
    });
  });
});
