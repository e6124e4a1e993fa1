import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

// A stand-in for a billing system's GetTokenPricing endpoint (solusio-api.md §8), at the network edge only.

export const SEED_PRICING = {
  base_token_unit_cost: 1.34,
  user_token_unit_cost: 1.0812,
  currency: {
    code: "GBP",
    display_prefix: "£",
    display_suffix: " GBP",
    thousands_separator: ",",
    decimals_separator: ".",
  },
  discounts: [
    { name: "Special Client Group Discount", description: "5% Recurring Discount", multipler: 0.95 },
  ],
  taxes: {
    compound: true,
    rates: [
      { label: "City Tax", rate: 6 },
      { label: "State Tax", rate: 2 },
    ],
  },
};

export type StubMode = "ok" | "error500" | "not-json" | "malformed" | "hang";

export interface PricingStub {
  url: string;
  mode: StubMode;
  answer: unknown;
  requests: { contentType: string; body: string }[];
  close(): Promise<void>;
}

export async function startPricingStub(): Promise<PricingStub> {
  const hanging = new Set<() => void>();
  const stub: PricingStub = {
    url: "",
    mode: "ok",
    answer: SEED_PRICING,
    requests: [],
    close: () =>
      new Promise((resolve) => {
        for (const end of hanging) end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", () => {
      stub.requests.push({ contentType: String(req.headers["content-type"] ?? ""), body });
      switch (stub.mode) {
        case "ok":
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stub.answer));
          return;
        case "error500":
          res
            .writeHead(500, { "content-type": "application/json" })
            .end('{"error":{"code":"INTERNAL","message":"boom"}}');
          return;
        case "not-json":
          res.writeHead(200, { "content-type": "text/html" }).end("<html>maintenance</html>");
          return;
        case "malformed":
          res.writeHead(200, { "content-type": "application/json" }).end('{"user_token_unit_cost":"cheap"}');
          return;
        case "hang":
          hanging.add(() => res.destroy());
          return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/solusio/api/`;
  return stub;
}
