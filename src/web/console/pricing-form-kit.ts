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

/** Digits become a number (a JSON-style integer field); anything else stays text for the verb to refuse. */
export function wholeOrText(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  return /^\d{1,15}$/.test(v) ? Number(v) : v;
}
