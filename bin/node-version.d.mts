/** Why this Node version cannot run tokenbill, or undefined when it can. */
export function unsupportedNode(version: string): string | undefined;
