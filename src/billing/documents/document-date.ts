import { ServiceError } from "../../kernel/errors.ts";

/** Midnight UTC of a calendar date: a PDF's CreationDate taken from its document keeps the bytes reproducible. */
export function dayInstant(date: string, field: string): Date {
  const instant = /^\d{4}-\d{2}-\d{2}$/.test(date) ? new Date(`${date}T00:00:00Z`) : null;
  // Date rolls "2026-02-31" over to March; only a date that reads back unchanged is real.
  if (instant === null || Number.isNaN(instant.getTime()) || instant.toISOString().slice(0, 10) !== date) {
    throw ServiceError.validation(field, `must be a date YYYY-MM-DD (got "${date}")`);
  }
  return instant;
}
