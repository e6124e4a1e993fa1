import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../config.ts";
import { getTokenPricingCheck, userAreaCheck } from "./address-checks.ts";

// The doctor's lines for an owner or admin name the user area's and GetTokenPricing's URLs (the CLI's doctor,
// GET /api/v1/solusio/doctor, the console's doctor card). `tokenbill config` and the settings page show those
// settings masked (a password, query values, token-like path segments); the doctor must not show them whole,
// nor quote them through fetch's refusal ("Request cannot be constructed from a URL that includes
// credentials: …").

const M = "SECRETMARKER";
let server: Server;
let port = 0;

beforeAll(async () => {
  server = createServer((_request, response) => response.writeHead(200).end("ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const text = (check: object) => JSON.stringify(check);

describe("the doctor's address checks, as an admin reads them", () => {
  it("name the user area without its password or query token, whether it answers or not", async () => {
    const answering = await userAreaCheck(`http://127.0.0.1:${port}/?token=${M}1`, true);
    const refused = await userAreaCheck(`http://panel:${M}2@127.0.0.1:${port}/`, true);
    expect(text(answering)).not.toContain(M);
    expect(text(refused)).not.toContain(M);
    expect(answering).toMatchObject({ ok: true, detail: expect.stringContaining(`127.0.0.1:${port}`) });
    expect(refused).toMatchObject({ ok: false, detail: expect.stringContaining(`127.0.0.1:${port}`) });
  });

  it("name GetTokenPricing's URL without the password TOKENBILL_PUBLIC_URL holds", async () => {
    const config = parseConfig({ TOKENBILL_PUBLIC_URL: `http://billing:${M}3@127.0.0.1:${port}` });
    const check = await getTokenPricingCheck(config, true);
    expect(text(check)).not.toContain(M);
    expect(check.detail).toContain(`127.0.0.1:${port}`);
  });
});
