import { describe, expect, it } from "vitest";
import { DOCTOR_NOT_CHECKED_EXIT_CODE, doctorExitCode, doctorSummary } from "./doctor-summary.ts";

const passed = { name: "connection", ok: true, detail: "reached" };
const failed = { name: "registration off", ok: false, detail: "on", fix: "run setup" };
const notMade = { name: "billing user ids", ok: true, not_checked: true as const, detail: "not checked yet" };

describe("doctor's summary of its checks", () => {
  it("is ok only when every check was made and passed", () => {
    expect(doctorSummary([passed])).toEqual({ ok: true, failing: [], not_checked: [] });
    expect(doctorSummary([passed, notMade])).toEqual({
      ok: false,
      failing: [],
      not_checked: ["billing user ids"],
    });
    expect(doctorSummary([failed, notMade])).toEqual({
      ok: false,
      failing: ["registration off"],
      not_checked: ["billing user ids"],
    });
  });

  it("gives the command 1 for a failure, 7 for a check not made, 0 for a pass", () => {
    expect(doctorExitCode(doctorSummary([passed]))).toBe(0);
    expect(doctorExitCode(doctorSummary([passed, notMade]))).toBe(DOCTOR_NOT_CHECKED_EXIT_CODE);
    expect(DOCTOR_NOT_CHECKED_EXIT_CODE).toBe(7);
    expect(doctorExitCode(doctorSummary([failed, notMade]))).toBe(1);
  });
});
