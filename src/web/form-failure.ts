import { asServiceError, type ServiceError } from "../kernel/errors.ts";
import { sentence } from "./page-sentence.ts";
import { hiddenFieldText } from "./page-text-input.ts";
import type { FieldErrors } from "./render.ts";

// A verb's refusal as what a page's form shows: each message beside the field it names, the rest above the
// form. The console's forms and both faces' list filters use it (list-filters.ts).

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

/**
 * A verb's refusal of a list row's button (Retry on the failed jobs or the failing payment events) as one
 * sentence above the list, which has no field to show it beside; undefined as formFailureOf.
 */
export function listActionFailureOf(error: unknown): FormFailure | undefined {
  const failure = formFailureOf(error, []);
  if (!failure) return undefined;
  const why = failure.errors["form"] ?? Object.values(failure.errors).join(" ");
  return { status: failure.status, errors: { form: sentence(why) } };
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
