import {
  createDiscount,
  type Discount,
  deleteDiscount,
  getDiscount,
  listDiscounts,
  updateDiscount,
} from "../../services/discounts/discounts.ts";
import { listClientGroups } from "../../services/client-groups/client-groups.ts";
import { wholeOrText } from "./pricing-form-kit.ts";
import type { ResourcePages } from "./pricing-resource-pages.ts";

// Discounts: a multiplier (0.95 = 5 % off) owned by a client group or by one customer (billing-rules §3).

export const discountPages: ResourcePages<Discount> = {
  slug: "discounts",
  title: "Discounts",
  singular: "discount",
  intro:
    "A discount multiplies the price: 0.95 is 5 % off. It belongs to a client group or to one customer; group discounts apply first, then in position order.",
  headers: [
    { text: "Name" },
    { text: "Multiplier", num: true },
    { text: "Applies to" },
    { text: "Position", num: true },
  ],
  keyOf: (d) => String(d.id),
  nameOf: (d) => d.name,
  keyInput: (id) => ({ id }),
  cells: (d) => [
    { text: d.name },
    { text: d.multiplier, num: true },
    {
      text:
        d.client_group_id !== null ? `client group ${d.client_group_id}` : `customer ${d.customer_id ?? ""}`,
    },
    { text: String(d.position), num: true },
  ],
  fields: async (ctx) => {
    const groups = await listClientGroups({ ctx, input: { page: 1, per_page: 500 } });
    return [
      { name: "name", label: "Name", required: true },
      { name: "description", label: "Description" },
      {
        name: "multiplier",
        label: "Multiplier",
        hint: "Between 0 and 1: 0.95 is 5 % off",
        inputmode: "decimal",
      },
      {
        name: "client_group_id",
        label: "Client group",
        type: "select",
        options: [
          { value: "", text: "(none: one customer)" },
          ...groups.data.map((g) => ({ value: String(g.id), text: g.name })),
        ],
        createOnly: true,
      },
      {
        name: "customer_id",
        label: "Or customer id",
        hint: "For a discount of one customer; leave empty for a group's",
        inputmode: "numeric",
        createOnly: true,
      },
      {
        name: "position",
        label: "Position",
        hint: "Order among the owner's discounts, 0 first",
        inputmode: "numeric",
      },
    ];
  },
  valuesOf: (d) => ({
    name: d.name,
    description: d.description,
    multiplier: d.multiplier,
    client_group_id: d.client_group_id === null ? "" : String(d.client_group_id),
    customer_id: d.customer_id === null ? "" : String(d.customer_id),
    position: String(d.position),
  }),
  inputOf: (f, mode) => ({
    name: (f["name"] ?? "").trim(),
    description: f["description"] ?? "",
    multiplier: (f["multiplier"] ?? "").trim(),
    position: wholeOrText(f["position"] || "0"),
    ...(mode === "create" && f["client_group_id"] ? { client_group_id: f["client_group_id"] } : {}),
    ...(mode === "create" && f["customer_id"]?.trim() ? { customer_id: f["customer_id"].trim() } : {}),
  }),
  verbs: {
    list: listDiscounts,
    get: getDiscount,
    create: createDiscount,
    update: updateDiscount,
    remove: deleteDiscount,
  },
};
