import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { type Browser, chromium, type Page } from "playwright-core";
import { expect } from "vitest";

// What every browser test shares: Debian's Chromium through playwright-core (never a downloaded browser),
// an axe-core scan, the two widths every page must work at, and screenshots in test/browser/screenshots/
// (git-ignored: made anew by every run; the README's two come from there). Tests skip, saying why, where
// /usr/bin/chromium is missing.

export const CHROMIUM = "/usr/bin/chromium";
export const noBrowser = !existsSync(CHROMIUM);
if (noBrowser) console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

const SHOTS = new URL("../browser/screenshots/", import.meta.url);
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** The serious and critical axe-core violations on the page, as "rule (impact, count)". */
export async function axeProblems(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the page's strict CSP (no inline script) stays as it is.
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await (
      window as unknown as {
        axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> };
      }
    ).axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, count: v.nodes.length }));
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}, ${v.count})`);
}

/** Checks a page at 375 and 1440 px: no serious accessibility problem, nothing wider than the screen, a shot. */
export async function checkPage(page: Page, name: string): Promise<void> {
  for (const width of [375, 1440]) {
    await page.setViewportSize({ width, height: 900 });
    expect(await axeProblems(page), `${name} at ${width}px`).toEqual([]);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${name} scrolls sideways at ${width}px`).toBeLessThanOrEqual(0);
    // Text wider than its card runs under the next card, which hides it: "ada@exa" on the customer page
    // at 1440 px until 2026-12-05. The page itself did not scroll, so the check above could not see it.
    expect(await spilledCards(page), `${name}: text wider than its card at ${width}px`).toEqual([]);
    expect(await loneLastCards(page), `${name}: a card alone under a full row at ${width}px`).toEqual([]);
    await page.screenshot({ path: new URL(`${name}-${width}.png`, SHOTS).pathname, fullPage: true });
  }
}

/** The start of the text of each card whose content is wider than the card (none is allowed). */
function spilledCards(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>(".card")]
      .filter((card) => card.scrollWidth > card.clientWidth + 1)
      .map((card) => (card.textContent ?? "").trim().replace(/\s+/g, " ").slice(0, 60)),
  );
}

/**
 * The heading of each grid whose last row is one card under a row of three or more: four cards drew as three
 * and one on the dashboard and the customer page at 1440 px until 2026-12-05; they are two and two.
 */
function loneLastCards(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>(".grid")]
      .filter((grid) => {
        const rows = new Map<number, number>();
        for (const card of grid.querySelectorAll<HTMLElement>(":scope > .card"))
          rows.set(card.offsetTop, (rows.get(card.offsetTop) ?? 0) + 1);
        const counts = [...rows.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n);
        return counts.length >= 2 && counts.at(-1) === 1 && counts.at(-2)! >= 3;
      })
      .map((grid) => (grid.querySelector("h2")?.textContent ?? "").trim()),
  );
}

/** Logs in through a login form (console or portal) and waits for the face's home page. */
export async function logInThroughForm(
  page: Page,
  baseUrl: string,
  face: "console" | "portal",
  email: string,
  password: string,
): Promise<void> {
  await page.goto(`${baseUrl}/${face}/login`);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${baseUrl}/${face}`);
}
