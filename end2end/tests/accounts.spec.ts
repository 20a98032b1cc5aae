import { test, expect } from "./fixtures";
import { PASSWORD, logIn, register, uniqueLogin, userMenu, waitForHydration, watchConsole } from "./helpers";

test("register, log out, log in, edit the profile and change the password", async ({ page }) => {
  const errors = watchConsole(page);
  const login = uniqueLogin("ann");
  await register(page, login, "Ann Example");

  // Log out from the user menu, then log back in.
  await waitForHydration(page);
  await userMenu(page, "Ann Example", "Log out");
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("link", { name: "Log in" })).toBeVisible();
  await logIn(page, login, "Ann Example");
  await expect(page).toHaveURL(/\/chat$/);

  // Edit the profile.
  await waitForHydration(page);
  await userMenu(page, "Ann Example", "Profile");
  await expect(page).toHaveURL(/\/profile$/);
  await waitForHydration(page);
  await page.getByLabel("Display name").fill("Анна Example");
  await page.getByLabel("About you").fill("Writes Rust, drinks tea.");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
  await expect(page.getByRole("link", { name: "Анна Example" })).toBeVisible();

  // A wrong current password is reported next to the field; the right one works.
  await page.getByLabel("Current password").fill("not-my-password");
  await page.getByLabel("New password").fill("a-brand-new-passphrase");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("The current password is incorrect.")).toBeVisible();
  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByLabel("New password").fill("a-brand-new-passphrase");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("Password changed.")).toBeVisible();

  // The new password is the one that works now.
  await page.reload();
  await expect(page.getByLabel("Display name")).toHaveValue("Анна Example");
  const check = await page.request.post("/auth/login", { data: { login, password: "a-brand-new-passphrase" } });
  expect(check.status()).toBe(200);
  expect(errors).toEqual([]);
});

test("the sessions list shows this session and ends another", async ({ page, browser }) => {
  const login = uniqueLogin("sess");
  await register(page, login, "Sessions Person");

  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await logIn(otherPage, login, "Sessions Person");

  await page.goto("/profile");
  await waitForHydration(page);
  const sessions = page.locator("ul.sessions > li");
  await expect(sessions).toHaveCount(2);
  await expect(page.getByText("This session")).toBeVisible();
  await sessions.getByRole("button", { name: "End" }).click();
  await expect(sessions).toHaveCount(1);

  const me = await otherPage.request.get("/auth/me");
  expect(me.status()).toBe(401);
  await other.close();
});

test("an API key is shown once, works, and stops working when revoked", async ({ page }) => {
  await register(page, uniqueLogin("keys"), "Key Person");
  await page.goto("/profile");
  await waitForHydration(page);
  await page.getByLabel("Key name").fill("laptop script");
  await page.getByLabel("Your password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Create key" }).click();
  const keyInput = page.getByLabel("New API key");
  await expect(keyInput).toBeVisible();
  const key = await keyInput.inputValue();
  expect(key).toMatch(/^mrt_/);
  await expect(page.locator("ul.keys > li")).toHaveCount(1);

  const api = await page.request.get("/v1/me", { headers: { authorization: `Bearer ${key}` } });
  expect(api.status()).toBe(200);

  await page.getByRole("button", { name: "Revoke key laptop script" }).click();
  await expect(page.getByText("No keys yet.")).toBeVisible();
  const refused = await page.request.get("/v1/me", { headers: { authorization: `Bearer ${key}` } });
  expect(refused.status()).toBe(401);

  // A reload never shows the key again.
  await page.reload();
  await expect(page.getByLabel("New API key")).toHaveCount(0);
});

test("a logged-out visit to /profile lands on /login and returns after login", async ({ page, browser }) => {
  const login = uniqueLogin("next");
  const setup = await browser.newContext();
  const setupPage = await setup.newPage();
  await register(setupPage, login, "Next Person");
  await setup.close();

  await page.goto("/profile");
  await expect(page).toHaveURL(/\/login\?next=%2Fprofile|\/login\?next=\/profile/);
  await waitForHydration(page);
  await page.getByLabel("Login").fill(login);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole("heading", { name: "Your profile" })).toBeVisible();
});

test("registration errors appear next to the field and keep the form usable", async ({ page }) => {
  await page.goto("/register");
  await waitForHydration(page);
  await page.getByLabel("Login").fill("x");
  await page.getByLabel("Display name").fill("Someone");
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.locator("#field-login-error")).toContainText("3 to 50 characters");

  // The show/hide toggle reveals the password.
  const password = page.getByLabel("Password", { exact: true });
  await expect(password).toHaveAttribute("type", "password");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(password).toHaveAttribute("type", "text");
});

test("the login form works before the WASM loads (plain form post)", async ({ browser }) => {
  const setup = await browser.newContext();
  const login = uniqueLogin("nojs");
  await register(await setup.newPage(), login, "No Script");
  await setup.close();

  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Login").fill(login);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/chat$/);
  await expect(page.getByRole("button", { name: "No Script" })).toBeVisible();
  await context.close();
});
