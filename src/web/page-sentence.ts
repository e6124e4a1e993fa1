// Verbs word their refusals for the API ("must be at most 200 characters"); a page shows them as sentences
// beside a field or above a form. One rule for both faces, so that no page shows a bare fragment.

/** The text as a sentence: trimmed, a capital first and a full stop last (unless it ends in . ! or ?). */
export function sentence(text: string): string {
  const t = text.trim();
  const capital = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
