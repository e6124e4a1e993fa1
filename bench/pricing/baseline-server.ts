import { createServer } from "node:http";

// The baseline: a bare node:http server answering a fixed GetTokenPricing-sized JSON body. It reads the
// request body as tokenbill must, so the comparison is only about what tokenbill adds.
const body = JSON.stringify({
  base_token_unit_cost: 0.001,
  user_token_unit_cost: 0.00102714,
  currency: {
    code: "USD",
    display_prefix: "$",
    display_suffix: "",
    thousands_separator: ",",
    decimals_separator: ".",
    decimals: 2,
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
});

const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
  });
});
server.listen(Number(process.env["PORT"] ?? 0), "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === "object" && address ? address.port : 0}\n`);
});
