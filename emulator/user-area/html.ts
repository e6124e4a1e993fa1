// Every value put into the user area goes through `esc`: e-mails, server names and the billing system's
// currency strings are all outside input.

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #1d2330; padding: 0 1rem; }
  header { display: flex; justify-content: space-between; align-items: baseline; border-bottom: 2px solid #2c6ecb; }
  h1 { font-size: 1.4rem; color: #2c6ecb; }
  table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1.5rem; }
  th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid #d8dde6; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .notice { background: #fff4d6; border: 1px solid #e6c35c; padding: 0.6rem 0.8rem; border-radius: 4px; }
  .status-started { color: #1f7a3a; } .status-stopped { color: #8a5a00; } .suspended { color: #b3261e; font-weight: 600; }
  .muted { color: #5c6678; font-size: 0.9rem; }
  button { background: none; border: 1px solid #2c6ecb; color: #2c6ecb; border-radius: 4px; padding: 0.2rem 0.6rem; cursor: pointer; }
</style>
</head>
<body>
${body}
</body>
</html>
`;
}
