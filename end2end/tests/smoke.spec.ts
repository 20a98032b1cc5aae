import { test, expect } from "./fixtures";
import { waitForHydration, watchConsole } from "./helpers";

test("the landing page loads, hydrates and has no console errors", async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("An AI chat that remembers");
  await waitForHydration(page);

  // The disclosure only opens once the WASM runs.
  const toggle = page.getByRole("button", { name: "How it works" });
  await expect(page.locator("#how-it-works")).toBeHidden();
  await toggle.click();
  await expect(page.locator("#how-it-works")).toBeVisible();
  await expect(page.getByRole("button", { name: "Hide how it works" })).toHaveAttribute("aria-expanded", "true");

  expect(errors).toEqual([]);
});

test("hashed assets are served compressed with long cache lifetimes", async ({ page, request }) => {
  await page.goto("/");
  const script = await page.locator('link[rel="modulepreload"]').getAttribute("href");
  // The landing page's part of the site has its own bundle (src/page_bundle.rs).
  expect(script).toMatch(/^\/pkg\/page-public\.[0-9a-f]+\.js$/);
  const response = await request.get(script!, { headers: { "accept-encoding": "gzip, br" } });
  expect(response.status()).toBe(200);
  expect(response.headers()["cache-control"]).toContain("immutable");
  expect(["gzip", "br"]).toContain(response.headers()["content-encoding"]);
});

test("an unknown page shows the not-found page with status 404", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});

test("pages carry a nonce policy: the app hydrates under it, an injected script does not run", async ({ page, cspViolations }) => {
  const response = await page.goto("/login");
  const headers = response!.headers();
  const policy = headers["content-security-policy"];
  expect(policy).toMatch(/script-src 'self' 'nonce-[^']+'/);
  expect(policy).toContain("frame-ancestors 'none'");
  expect(policy).not.toMatch(/script-src[^;]*unsafe-inline/);
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBeTruthy();
  await waitForHydration(page);

  // What an XSS would try: an inline script without the nonce is refused by the browser.
  await page.evaluate(() => {
    const s = document.createElement("script");
    s.textContent = "window.__injected = true";
    document.body.appendChild(s);
  });
  await expect.poll(() => cspViolations.length).toBeGreaterThan(0);
  expect(await page.evaluate(() => (window as any).__injected)).toBeUndefined();
  cspViolations.length = 0; // provoked on purpose; any other violation still fails the test
});

test("a logged-out visit to a personal page is a real redirect to the login", async ({ request }) => {
  const response = await request.get("/profile", { maxRedirects: 0 });
  expect(response.status()).toBe(303);
  expect(response.headers()["location"]).toBe("/login?next=/profile");
});
