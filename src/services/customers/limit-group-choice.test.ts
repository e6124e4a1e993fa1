import { describe, expect, it } from "vitest";
import { parseConfig } from "../../config.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { assertConfiguredLimitGroup } from "./limit-group-choice.ts";

// A customer's limit group must be a configured one: "Platinum" (in neither SOLUSIO_LIMIT_GROUPS nor SolusIO)
// was stored, and its sync reported in_sync while the SolusIO user stayed in the default group.

const config = parseConfig({
  SOLUSIO_LIMIT_GROUPS: JSON.stringify([
    { name: "Default", vms: 3, running_vms: 2, additional_ips: 1 },
    { name: "Gold", vms: 50, running_vms: 50, additional_ips: 10 },
  ]),
});

function refusal(run: () => void): ServiceError {
  try {
    run();
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error("not refused");
}

describe("assertConfiguredLimitGroup", () => {
  it("lets a configured name, null (the default group) and no change through", () => {
    for (const name of ["Default", "Gold", null, undefined]) assertConfiguredLimitGroup(config, name);
  });

  it("refuses any other name with a VALIDATION naming limit_group and listing the configured groups", () => {
    for (const name of ["Platinum", "gold", " Gold", ""]) {
      const error = refusal(() => assertConfiguredLimitGroup(config, name));
      expect(error).toBeInstanceOf(ServiceError);
      expect(error.code).toBe("VALIDATION");
      expect(error.issues).toEqual([
        {
          field: "limit_group",
          message:
            'must be one of the configured limit groups (SOLUSIO_LIMIT_GROUPS): "Default", "Gold"; or null for the default group',
        },
      ]);
    }
  });

  it("with no groups configured, allows only null", () => {
    const none = parseConfig({ SOLUSIO_LIMIT_GROUPS: "[]", SOLUSIO_DEFAULT_LIMIT_GROUP: "" });
    assertConfiguredLimitGroup(none, null);
    expect(refusal(() => assertConfiguredLimitGroup(none, "Default")).message).toMatch(
      /limit_group: no limit groups are configured/,
    );
  });
});
