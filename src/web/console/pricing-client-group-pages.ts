import {
  type ClientGroup,
  createClientGroup,
  deleteClientGroup,
  getClientGroup,
  listClientGroups,
  updateClientGroup,
} from "../../services/client-groups/client-groups.ts";
import type { ResourcePages } from "./pricing-resource-pages.ts";

// Client groups: customers grouped for shared discounts (billing-rules §3).

export const clientGroupPages: ResourcePages<ClientGroup> = {
  slug: "client-groups",
  title: "Client groups",
  singular: "client group",
  intro: "Groups of customers that share discounts. A group with customers in it cannot be deleted.",
  headers: [{ text: "Name" }, { text: "Description" }, { text: "Id", num: true }],
  keyOf: (g) => String(g.id),
  nameOf: (g) => g.name,
  keyInput: (id) => ({ id }),
  cells: (g) => [{ text: g.name }, { text: g.description }, { text: String(g.id), num: true }],
  fields: () => [
    { name: "name", label: "Name", required: true },
    { name: "description", label: "Description" },
  ],
  valuesOf: (g) => ({ name: g.name, description: g.description }),
  inputOf: (f) => ({ name: (f["name"] ?? "").trim(), description: f["description"] ?? "" }),
  verbs: {
    list: listClientGroups,
    get: getClientGroup,
    create: createClientGroup,
    update: updateClientGroup,
    remove: deleteClientGroup,
  },
};
