import { describe, expect, it } from "vitest";
import { serverPerFile } from "../../test/helpers/server-per-file.ts";

// A query parameter's refusal names it `query.<name>` (docs/security.md), whether the route's schema refuses it
// or the verb does: the verbs name their fields bare (`tph`), which the CLI rewords into its options (`--tph`).
// Before, `?tph=abc` was told `tph` and `?tph=7.5` on the same route `query.tph` was not (until 2026-12-06).

const file = serverPerFile();

async function issuesOf(path: string): Promise<{ status: number; fields: string[]; message: string }> {
  const r = await file.server.api("GET", path);
  return {
    status: r.status,
    fields: (r.body.error?.issues ?? []).map((i: { field: string }) => i.field),
    message: r.body.error?.message ?? "",
  };
}

describe("query parameters refused by the verb", () => {
  it("are named query.<name>, in the issues and in the message", async () => {
    for (const [path, field] of [
      ["/api/v1/pricing/plans?tph=abc", "query.tph"],
      ["/api/v1/pricing/plans?tph=7,,14", "query.tph"],
      ["/api/v1/pricing/plans?tph=7&currency=XYZ", "query.currency"],
      ["/api/v1/pricing/conversion?currency=XYZ", "query.currency"],
    ] as const) {
      const answer = await issuesOf(path);
      expect([answer.status, answer.fields], path).toEqual([400, [field]]);
      expect(answer.message.startsWith(`${field}: `), answer.message).toBe(true);
    }
  });

  it("are named so as the schema's own refusals are", async () => {
    expect((await issuesOf(`/api/v1/pricing/plans?tph=${"7,".repeat(300)}7`)).fields).toEqual(["query.tph"]);
  });
});
