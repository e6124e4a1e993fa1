import { fieldError } from "../errors.ts";

// Query strings as PHP clients send them: brackets URL-encoded (`filter%5Bsearch%5D=a%2Bb%40x.test`),
// spaces as `+`. URLSearchParams decodes all of that, so keys come out as `filter[search]`.

export class Query {
  readonly #params: URLSearchParams;

  constructor(params: URLSearchParams) {
    this.#params = params;
  }

  get(key: string): string | undefined {
    const all = this.#params.getAll(key);
    return all.length > 0 ? all[all.length - 1] : undefined;
  }

  /** `filter[name]`; an empty value means "no filter", as the WHMCS module sends `filter[search]=` . */
  filter(name: string): string | undefined {
    const value = this.get(`filter[${name}]`)?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  /** An integer filter; a non-numeric value is a 422, not a silently empty list. */
  intFilter(name: string): number | undefined {
    const value = this.filter(name);
    if (value === undefined) return undefined;
    if (!/^\d{1,15}$/.test(value))
      throw fieldError(`filter.${name}`, `The filter[${name}] must be an integer.`);
    return Number(value);
  }

  entries(): [string, string][] {
    return [...this.#params.entries()];
  }
}
