import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type Actor, actorLabel, actors } from "../../kernel/actor.ts";
import { ApiKey } from "./api-keys.ts";

// A key's `created_by` is its creator's actor label. Every actor that may create one (requireStaffRole lets
// operators and admin staff through) must be among the forms the API's description and docs/security.md list:
// the first start's key answered `system:bootstrap`, which neither named (until 2026-12-06).

const CREATORS: Actor[] = [
  actors.staff("stf_3f9a0c1b2d4e5f60"),
  actors.adminKey("key_3f9a0c1b2d4e", "admin"),
  actors.cli(),
  actors.envKey(),
  // The one system job that creates a key: ensureBootstrapKey, as src/app/server.ts runs it.
  actors.system("bootstrap"),
];

/** The backticked labels of a text (`staff:stf_…`), each as a regular expression (… is any id). */
function labelsIn(text: string): RegExp[] {
  return [...text.matchAll(/`([a-z-]+(?::[a-z_]*…?)?[a-z]*)`/g)].map(
    ([, label]) => new RegExp(`^${label!.replace("…", ".+")}$`),
  );
}

function unnamed(text: string): string[] {
  const labels = labelsIn(text);
  return CREATORS.map(actorLabel).filter((label) => !labels.some((form) => form.test(label)));
}

describe("created_by", () => {
  it("is described with every creator's label form in the API", () => {
    const description = ApiKey.shape.created_by.meta()?.description ?? "";
    expect(unnamed(description)).toEqual([]);
  });

  it("is described so in docs/security.md", () => {
    const docs = readFileSync(new URL("../../../docs/security.md", import.meta.url), "utf8");
    const sentence = /Every key records who created it[^.]*\./s.exec(docs)?.[0] ?? "";
    expect(unnamed(sentence)).toEqual([]);
  });
});
