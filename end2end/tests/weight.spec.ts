import * as zlib from "node:zlib";
import { test, expect } from "./fixtures";
import { register, send, userMenu, waitForHydration, watchConsole } from "./helpers";
import type { Page } from "@playwright/test";

// Everything a page ships (its WASM, JS and CSS, compressed with gzip at level 9) stays under
// 400 KB. Each part of the site has its own bundle (src/page_bundle.rs); this loads every page
// in the browser, totals what came from /pkg, and checks the page came to life with it.
const LIMIT = 400_000;

async function shipped(page: Page, path: string): Promise<{ total: number; files: string[] }> {
  const bodies = new Map<string, Promise<Buffer>>();
  const collect = (response: import("@playwright/test").Response) => {
    const url = new URL(response.url());
    if (url.pathname.startsWith("/pkg/") && !bodies.has(url.pathname)) {
      bodies.set(url.pathname, response.body());
    }
  };
  page.on("response", collect);
  await page.goto(path, { waitUntil: "load" });
  await waitForHydration(page);
  page.off("response", collect);
  let total = 0;
  const files: string[] = [];
  for (const [name, body] of bodies) {
    const gzip = zlib.gzipSync(await body, { level: 9 }).length;
    total += gzip;
    files.push(`${name}: ${gzip} B gzip`);
  }
  return { total, files };
}

test("the public pages ship under 400 KB of WASM, JS and CSS (gzip -9)", async ({ page }) => {
  const errors = watchConsole(page);
  await withoutCache(page);
  const sizes: string[] = [];
  for (const path of ["/", "/login", "/register", "/no-such-page"]) await check(page, path, sizes);
  console.log(`shipped per page (gzip -9): ${sizes.join(", ")}`);
  expect(errors).toEqual([]);
});

test("the profile and administration pages ship under 400 KB (gzip -9)", async ({ page }) => {
  const errors = watchConsole(page);
  await withoutCache(page);
  await register(page, `weighs${Date.now().toString(36)}`, "Weighing Person");
  await waitForHydration(page);
  const sizes: string[] = [];
  for (const path of ["/profile", "/admin"]) await check(page, path, sizes);
  console.log(`shipped per page (gzip -9): ${sizes.join(", ")}`);
  expect(errors).toEqual([]);
});

test("the chat pages ship under 400 KB of WASM, JS and CSS (gzip -9)", async ({ page }) => {
  const errors = watchConsole(page);
  await withoutCache(page);
  await register(page, `weight${Date.now().toString(36)}`, "Weight Person");
  await waitForHydration(page);
  await send(page, "Hello there, model");
  await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
  await expect(page.locator(".message.assistant").last()).toHaveText(/You said: Hello there, model/);
  const chat = new URL(page.url()).pathname;
  const sizes: string[] = [];
  // Both pages are measured before any verdict, so the log has all the figures.
  for (const path of ["/chat", chat]) await check(page, path, sizes, false);
  console.log(`shipped per page (gzip -9): ${sizes.join(", ")}`);
  expect(errors).toEqual([]);
  for (const line of sizes) expect(Number(line.split(": ")[1].split(" ")[0]), line).toBeLessThan(LIMIT);
});

/** The browser's cache would hide what a second page downloads. */
async function withoutCache(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
}

/** Loads `path`, checks it came to life with a WASM, and (unless told not to) that it is light. */
async function check(page: Page, path: string, sizes: string[], assert = true) {
  const { total, files } = await shipped(page, path);
  sizes.push(`${path}: ${total} B`);
  expect(files.some((f) => f.includes(".wasm")), `${path} loads a WASM`).toBe(true);
  if (assert) expect(total, `${path} ships ${total} B gzip -9:\n  ${files.join("\n  ")}`).toBeLessThan(LIMIT);
}

test("a link to another part of the site loads that part's page and bundle", async ({ page }) => {
  const errors = watchConsole(page);
  await register(page, `parts${Date.now().toString(36)}`, "Parts Person");
  await waitForHydration(page);
  const wasmOf = () => page.evaluate(() =>
    performance.getEntriesByType("resource").map((e) => e.name).filter((n) => n.endsWith(".wasm")));
  const onChat = await wasmOf();
  // From the chat's user menu to the profile: a page load of the profile's own bundle.
  await userMenu(page, "Parts Person", "Profile");
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole("heading", { name: "Profile" })).toBeVisible();
  await waitForHydration(page);
  const onProfile = await wasmOf();
  expect(onProfile).toHaveLength(1);
  expect(onProfile).not.toEqual(onChat);
  expect(errors).toEqual([]);
});
