// The benchmarks that open the database themselves (not through `serve`) name statements as `serve` does: on,
// unless DATABASE_NAMED_STATEMENTS=off, so that one run can be compared with the other (src/db/named-statements.ts).
export function namedStatements(): boolean {
  return process.env["DATABASE_NAMED_STATEMENTS"] !== "off";
}
