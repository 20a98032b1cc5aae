import { test, expect } from "./fixtures";
import { PASSWORD, expectAccessible, send, waitForHydration, watchConsole } from "./helpers";
import { ownerPort } from "../playwright.config";

// An instance of its own: empty, by invite only, so the first account here is its admin.
test.use({ baseURL: `http://127.0.0.1:${ownerPort}` });

test("the owner invites bob, limits him, disables him, and his open tab goes to the login page", async ({ page, browser }) => {
  const errors = watchConsole(page);

  // The empty instance says its first account runs it.
  await page.goto("/register");
  await waitForHydration(page);
  await expect(page.getByText("will be its administrator")).toBeVisible();
  await page.getByLabel("Login").fill("owner");
  await page.getByLabel("Display name").fill("The Owner");
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/chat$/);

  // Administration is in the admin's user menu.
  await waitForHydration(page);
  await page.getByRole("button", { name: "The Owner" }).click();
  await page.getByRole("menuitem", { name: "Administration" }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByRole("heading", { name: "Administration" })).toBeVisible();
  await waitForHydration(page);
  await expectAccessible(page, "/admin");

  // An invite link, shown once.
  await page.getByRole("button", { name: "Create invite" }).click();
  const link = page.getByRole("textbox", { name: "Invite link" });
  await expect(link).toHaveValue(/\/register\?invite=/);
  const url = await link.inputValue();

  // Bob registers with it in his own browser and opens a chat.
  const bobContext = await browser.newContext();
  const bob = await bobContext.newPage();
  const bobErrors = watchConsole(bob);
  await bob.goto(url);
  await waitForHydration(bob);
  await expect(bob.getByText("You were invited")).toBeVisible();
  await bob.getByLabel("Login").fill("bob");
  await bob.getByLabel("Display name").fill("Bob");
  await bob.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await bob.getByRole("button", { name: "Create account" }).click();
  await expect(bob).toHaveURL(/\/chat$/);
  await waitForHydration(bob);

  // The used invite says so; bob is in the table.
  await page.reload();
  await waitForHydration(page);
  await expect(page.getByText(/^used /)).toBeVisible();
  await page.getByRole("searchbox", { name: "Search accounts" }).fill("bo");
  const bobRow = page.getByRole("row", { name: /bob/ });
  await expect(bobRow).toBeVisible();
  await expect(page.getByRole("row", { name: /owner/ })).toHaveCount(0);

  // A daily limit of 0 tokens: bob's next message is refused in his composer.
  await page.getByRole("spinbutton", { name: "Daily token limit of bob" }).fill("0");
  await page.getByRole("button", { name: "Save the daily limit of bob" }).click();
  await expect(page.getByRole("status").filter({ hasText: "bob may use 0 tokens a day." })).toBeVisible();
  await send(bob, "hello?");
  await expect(bob.getByText("You have used your 0 tokens for today")).toBeVisible();

  // Disabling asks first: the question takes the focus, Cancel and Escape give it back.
  const disable = page.getByRole("button", { name: "Disable bob" });
  await disable.click();
  await expect(page.getByRole("button", { name: "Yes, disable bob" })).toBeFocused();
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(disable).toBeFocused();
  await disable.press("Enter");
  await page.keyboard.press("Escape");
  await expect(disable).toBeFocused();
  await disable.click();
  await page.getByRole("button", { name: "Yes, disable bob" }).click();
  const outcome = page.getByRole("status").filter({ hasText: "bob is disabled" });
  await expect(outcome).toBeVisible();
  await expect(outcome).toBeFocused();
  await expect(bobRow.getByText("disabled", { exact: true })).toBeVisible();

  // Bob's open tab: his next action lands on the login page, which refuses him.
  await send(bob, "still there?");
  await expect(bob).toHaveURL(/\/login\?next=/);
  await waitForHydration(bob);
  await bob.getByLabel("Login").fill("bob");
  await bob.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await bob.getByRole("button", { name: "Log in" }).click();
  await expect(bob.getByText("This account is disabled.")).toBeVisible();

  // Enabled again, he can log in.
  await page.getByRole("button", { name: "Enable bob" }).click();
  await expect(page.getByRole("status").filter({ hasText: "bob is enabled" })).toBeVisible();
  await bob.getByRole("button", { name: "Log in" }).click();
  await expect(bob.getByRole("button", { name: "Bob" })).toBeVisible();

  // For him, /admin is a page that does not exist.
  const answer = await bob.goto("/admin");
  expect(answer?.status()).toBe(404);
  await expect(bob.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await expect(bob.getByRole("link", { name: "Administration" })).toHaveCount(0);

  // The owner's own row offers no role, disable or delete (the API refuses the last admin
  // with 409; tests/api/admin.rs covers it).
  await page.getByRole("searchbox", { name: "Search accounts" }).fill("");
  const ownRow = page.getByRole("row", { name: /owner/ });
  await expect(ownRow.getByText("Your own account")).toBeVisible();
  await expect(ownRow.getByRole("button", { name: /Disable|Delete|Make/ })).toHaveCount(0);
  await bobContext.close();
  expect(errors).toEqual([]);
  expect(bobErrors).toEqual([]);
});
