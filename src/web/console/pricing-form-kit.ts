import { asServiceError, type ServiceError } from "../../kernel/errors.ts";
import type { FieldErrors } from "../render.ts";
import { sentence } from "../page-sentence.ts";
import { hiddenFieldText } from "../page-text-input.ts";

// What the console's money forms share (pricing, invoices, credit notes): the form's field descriptions for
// console-pricing-field.eta, and turning a verb's refusal into messages next to the fields. Verbs validate;
// a page never re-implements their rules.

export interface FormField {
  name: string;
  label: string;
  /**
   * "textarea" only for a field read line by line (its route names it in `lineFields`): a line break in any
   * other field is refused like every control character, and a single-line input cannot send one.
   */
  type?: "text" | "select" | "checkbox" | "textarea" | "date";
  options?: readonly { value: string; text: string }[];
  hint?: string;
  required?: boolean;
  inputmode?: "numeric" | "decimal";
  /** Shown only when creating (a currency's code cannot change). */
  createOnly?: boolean;
}

export interface FormFailure {
  status: number;
  errors: FieldErrors;
}

/**
 * A verb's VALIDATION (400, each message next to its field) or CONFLICT (409, above the form, or next to
 * the field it names: a currency's exponent once amounts are held in it) as what the
 * form shows; undefined for any other error, which the page's error handler answers. `fieldOf` maps an
 * issue's path to the form field it came from ("rates.0.rate" → "rates"); a field the form does not show
 * goes above the form with its name, so no message is lost.
 */
export function formFailureOf(
  error: unknown,
  shown: readonly string[],
  fieldOf: (path: string) => string = (path) => path.split(".")[0] ?? path,
): FormFailure | undefined {
  const e = asServiceError(error);
  if (!e) return undefined;
  if (e.code === "CONFLICT") return conflictFailure(e, shown, fieldOf);
  if (e.code !== "VALIDATION") return undefined;
  const errors: FieldErrors = {};
  const above: string[] = [];
  for (const issue of e.issues.length > 0 ? e.issues : [{ field: "", message: e.message }]) {
    const field = fieldOf(issue.field);
    // An issue inside a list field ("rates.1.rate") names the line the person typed it on.
    const index = /^[^.]+\.(\d+)(\.|$)/.exec(issue.field)?.[1];
    const message = index === undefined ? issue.message : `line ${Number(index) + 1}: ${issue.message}`;
    if (shown.includes(field)) errors[field] ??= sentence(message);
    else {
      const text =
        hiddenFieldText(issue) ?? (issue.field ? `${issue.field}: ${issue.message}` : issue.message);
      if (!above.includes(text)) above.push(text);
    }
  }
  if (above.length > 0) errors["form"] = sentence(above.join("; "));
  return { status: 400, errors };
}

function conflictFailure(
  e: ServiceError,
  shown: readonly string[],
  fieldOf: (path: string) => string,
): FormFailure {
  const fields = e.issues.map((i) => fieldOf(i.field));
  if (fields.length === 0 || !fields.every((f) => shown.includes(f)))
    return { status: 409, errors: { form: e.message } };
  const errors: FieldErrors = {};
  e.issues.forEach((issue, i) => {
    errors[fields[i]!] ??= sentence(issue.message);
  });
  return { status: 409, errors };
}

/** Digits become a number (a JSON-style integer field); anything else stays text for the verb to refuse. */
export function wholeOrText(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  return /^\d{1,15}$/.test(v) ? Number(v) : v;
}
