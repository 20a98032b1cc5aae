import { expect, type Page } from "@playwright/test";

/**
 * Collects console errors and uncaught exceptions so a test can assert there were none.
 * The browser's own note on a 4xx answer is not an error of the page: tests provoke those.
 */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (msg) => {
    const text = msg.text();
    if (msg.type() === "error" && !/status of 4\d\d/.test(text)) errors.push(text);
  });
  page.on("pageerror", (err) => errors.push(err.message));
  return errors;
}

/** Waits until the WASM has hydrated the page (an Effect sets this marker in the browser only). */
export async function waitForHydration(page: Page) {
  await expect(page.locator(".app")).toHaveAttribute("data-hydrated", "true");
}

let counter = 0;
/** A login no other test in this run uses. */
export function uniqueLogin(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`;
}

export const PASSWORD = "plum-orbit-sailcloth-42";

export async function register(page: Page, login: string, displayName: string, password = PASSWORD, origin = "") {
  await page.goto(`${origin}/register`);
  await waitForHydration(page);
  await page.getByLabel("Login").fill(login);
  await page.getByLabel("Display name").fill(displayName);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  // A new account lands on its (empty) chats, with the user menu showing the name.
  await expect(page).toHaveURL(/\/chat$/);
  await expect(page.getByRole("button", { name: displayName })).toBeVisible();
}

/** Logs in through the form and waits for the chats page. */
export async function logIn(page: Page, login: string, displayName: string, password = PASSWORD) {
  await page.goto("/login");
  await waitForHydration(page);
  await page.getByLabel("Login").fill(login);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("button", { name: displayName })).toBeVisible();
}

/** Opens the user menu and picks an item. */
export async function userMenu(page: Page, displayName: string, item: "Profile" | "Log out") {
  await page.getByRole("button", { name: displayName }).click();
  await page.getByRole("menuitem", { name: item }).click();
}

/** Types a message into the composer and sends it with Enter. */
export async function send(page: Page, text: string) {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
}

/**
 * Runs axe-core on the page as it is, in light and then dark colour scheme, and fails on any
 * serious or critical violation (listing each rule, its help text and the elements).
 */
export async function expectAccessible(page: Page, what: string) {
  const { default: AxeBuilder } = await import("@axe-core/playwright");
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    const results = await new AxeBuilder({ page }).analyze();
    const bad = results.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.map((n) => n.target.join(" ")).join("\n    ")}`);
    expect(bad, `axe on ${what} (${colorScheme})`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: null });
}
