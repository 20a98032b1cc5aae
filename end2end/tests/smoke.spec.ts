import { test, expect } from "@playwright/test";
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
  expect(script).toMatch(/^\/pkg\/maruntime\.[^/]+\.js$/);
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
