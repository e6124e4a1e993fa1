import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isServiceError } from "../kernel/errors.ts";
import {
  CONTROL_DROPPED,
  installPageTextCheck,
  NOT_UNICODE_DROPPED,
  refuseFormText,
} from "./page-text-input.ts";

// The pages' text check on a form that shows itself again, given a lone surrogate. No form body carries one
// (page-form-body.ts takes undecodable bytes out first), but a body parsed another way can: JSON's "\ud800"
// is one. Until 2026-12-07 the check left it in the entry, and the form's page was not drawn again (the
// generic 400 page, what was typed lost); it is now taken out and named beside the field.

let app: FastifyInstance;

beforeAll(async () => {
  app = Fastify();
  installPageTextCheck(app);
  // What a reshowsForm page does: refuseFormText first, its refusal shown with the cleaned entry.
  app.post("/form", { config: { reshowsForm: true, lineFields: ["rates"] } }, async (request) => {
    try {
      refuseFormText(request);
      return { refused: false, body: request.body };
    } catch (error) {
      if (!isServiceError(error)) throw error;
      return { refused: true, body: request.body, issues: error.issues };
    }
  });
  await app.ready();
});
afterAll(() => app?.close());

const post = async (body: Record<string, string>) => {
  const answer = await app.inject({ method: "POST", url: "/form", payload: body });
  return { status: answer.statusCode, ...answer.json() };
};

describe("a form that shows itself again", () => {
  it("takes a lone surrogate out of a field and says so beside it, in a one-line and a line field", async () => {
    const answer = await post({ name: "Ada\uD800 King\uDC00", rates: "VAT = 20\n\uDBFFCity = 6" });
    expect(answer).toEqual({
      status: 200,
      refused: true,
      body: { name: "Ada King", rates: "VAT = 20\nCity = 6" },
      issues: [
        { field: "name", message: NOT_UNICODE_DROPPED },
        { field: "rates", message: NOT_UNICODE_DROPPED },
      ],
    });
  });

  it("keeps a character of two surrogates (an emoji) and names the lone one when a control character is beside it", async () => {
    const kept = await post({ name: "Ada 😀" });
    expect(kept).toEqual({ status: 200, refused: false, body: { name: "Ada 😀" } });
    const both = await post({ name: "Ada\u0007\uD800 😀" });
    expect(both).toMatchObject({
      refused: true,
      body: { name: "Ada 😀" },
      issues: [{ field: "name", message: NOT_UNICODE_DROPPED }],
    });
    const control = await post({ name: "Ada\u0007 😀" });
    expect(control).toMatchObject({ issues: [{ field: "name", message: CONTROL_DROPPED }] });
  });
});
