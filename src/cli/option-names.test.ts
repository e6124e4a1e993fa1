import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { ServiceError } from "../kernel/errors.ts";
import { inOptionTerms, optionForField } from "./option-names.ts";

function command(argv: string[]): Command {
  const cmd = new Command("record")
    .exitOverride()
    .option("--invoice <id>")
    .option("--customer <id>")
    .option("--amount <amount>")
    .option("--as-of <instant>")
    .option("--date <date>");
  cmd.parse(argv, { from: "user" });
  return cmd;
}

describe("a verb's field as the command's option", () => {
  it("finds the option by the field's name, without _id, in camel case, or by its alias", () => {
    const cmd = command([]);
    expect(optionForField(cmd, "amount")).toBe("--amount");
    expect(optionForField(cmd, "customer_id")).toBe("--customer");
    expect(optionForField(cmd, "as_of")).toBe("--as-of");
    expect(optionForField(cmd, "paid_at")).toBe("--date");
    expect(optionForField(cmd, "reference")).toBeUndefined();
  });

  it("names a secret read from stdin by --password-stdin, the option given, and by --password otherwise", () => {
    const create = () =>
      new Command("create").exitOverride().option("--password-stdin").option("--password <p>");
    const piped = create();
    piped.parse(["--password-stdin"], { from: "user" });
    // It said "--password: must be at least 12 characters" of a password the person had piped in.
    expect(optionForField(piped, "password")).toBe("--password-stdin");
    const typed = create();
    typed.parse(["--password", "x"], { from: "user" });
    expect(optionForField(typed, "password")).toBe("--password");
  });

  it("takes `id` for the one <id> option given on the command line, and for none when two were", () => {
    expect(optionForField(command(["--invoice", "inv_1"]), "id")).toBe("--invoice");
    expect(optionForField(command(["--customer", "7"]), "id")).toBe("--customer");
    expect(optionForField(command(["--invoice", "inv_1", "--customer", "7"]), "id")).toBeUndefined();
  });

  it("takes `id` for the command's <id> argument when no option carries it (`payments show <id>`)", () => {
    const show = new Command("show").exitOverride().argument("<id>").option("--json");
    show.parse(["pay_x"], { from: "user" });
    // It said "id: must be a payment id", naming no argument or option the person typed.
    const reworded = inOptionTerms(ServiceError.validation("id", "must be a payment id (pay_…)"), show);
    expect((reworded as ServiceError).message).toBe("<id>: must be a payment id (pay_…)");
    const revoke = new Command("revoke").exitOverride().argument("<key>");
    revoke.parse(["key_x"], { from: "user" });
    expect(optionForField(revoke, "id")).toBeUndefined();
  });

  it("rewords a refusal worded from its fields, keeping the fields no option carries", () => {
    const cmd = command(["--customer", "7"]);
    const two = new ServiceError("VALIDATION", "paid_at: must be a date; reference: too long", [
      { field: "paid_at", message: "must be a date" },
      { field: "reference", message: "too long" },
    ]);
    const reworded = inOptionTerms(two, cmd) as ServiceError;
    expect(reworded.message).toBe("--date: must be a date; reference: too long");
    expect(reworded.issues).toEqual([
      { field: "--date", message: "must be a date" },
      { field: "reference", message: "too long" },
    ]);
    expect(reworded.code).toBe("VALIDATION");
  });

  it("rewords a conflict or a not-found worded from its fields the same way, keeping its code", () => {
    const cmd = command(["--invoice", "inv_1"]);
    // It said "invoice_id: invoice inv_1 is void; …" and "paid_at: …", the verb's names for --invoice, --date.
    const conflict = new ServiceError("CONFLICT", "invoice_id: invoice inv_1 is void", [
      { field: "invoice_id", message: "invoice inv_1 is void" },
    ]);
    const reworded = inOptionTerms(conflict, cmd) as ServiceError;
    expect([reworded.code, reworded.message]).toEqual(["CONFLICT", "--invoice: invoice inv_1 is void"]);
    expect(reworded.issues).toEqual([{ field: "--invoice", message: "invoice inv_1 is void" }]);
    const date = new ServiceError("CONFLICT", "paid_at: after the refund", [
      { field: "paid_at", message: "after the refund" },
    ]);
    expect((inOptionTerms(date, cmd) as ServiceError).message).toBe("--date: after the refund");
    const missing = new ServiceError("NOT_FOUND", "customer_id: customer 7 not found", [
      { field: "customer_id", message: "customer 7 not found" },
    ]);
    expect(inOptionTerms(missing, cmd)).toMatchObject({
      code: "NOT_FOUND",
      message: "--customer: customer 7 not found",
    });
    const unmapped = new ServiceError("CONFLICT", "status: refund ref_1 is failed already", [
      { field: "status", message: "refund ref_1 is failed already" },
    ]);
    expect(inOptionTerms(unmapped, cmd)).toBe(unmapped);
  });

  it("names the options, not the fields, that the refusal's words mention (`received_from`)", () => {
    const cmd = command(["--customer", "7"]);
    const refusal = new ServiceError("VALIDATION", "paid_at: must be before invoice_id inv_1 was issued", [
      { field: "paid_at", message: "must be before invoice_id inv_1 was issued" },
    ]);
    expect((inOptionTerms(refusal, cmd) as ServiceError).issues).toEqual([
      { field: "--date", message: "must be before --invoice inv_1 was issued" },
    ]);
    // A word no option of the command carries stays as it was.
    const other = ServiceError.validation("amount", "more than the refund_total left");
    expect((inOptionTerms(other, cmd) as ServiceError).message).toBe(
      "--amount: more than the refund_total left",
    );
  });

  it("leaves other errors, and a refusal with a message of its own, as they were", () => {
    const cmd = command([]);
    const own = new ServiceError("VALIDATION", "name exactly one of --invoice and --customer", [
      { field: "invoice", message: "name exactly one" },
    ]);
    expect(inOptionTerms(own, cmd)).toBe(own);
    const missing = new ServiceError("NOT_FOUND", "customer 7 not found");
    expect(inOptionTerms(missing, cmd)).toBe(missing);
    const plain = new Error("boom");
    expect(inOptionTerms(plain, cmd)).toBe(plain);
    const unmapped = ServiceError.validation("reference", "too long");
    expect(inOptionTerms(unmapped, cmd)).toBe(unmapped);
    expect(inOptionTerms(ServiceError.validation("amount", "too big"), undefined)).toBeInstanceOf(
      ServiceError,
    );
  });
});
