import { test, expect } from "./fixtures";
import { expectAccessible, register, send, uniqueLogin, userMenu, waitForHydration } from "./helpers";

// axe-core on every page, light and dark: no serious or critical violations. (The admin
// page is checked in admin.spec.ts, where its instance's owner is.)

test("the landing, login and register pages have no serious accessibility faults", async ({ page }) => {
  for (const path of ["/", "/login", "/register"]) {
    await page.goto(path);
    await waitForHydration(page);
    await expectAccessible(page, path);
  }
  // With a form error shown.
  await page.goto("/login");
  await waitForHydration(page);
  await page.getByLabel("Login").fill("nobody-here");
  await page.getByLabel("Password", { exact: true }).fill("wrong-password-1");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await expectAccessible(page, "/login with an error");
});

test("a chat, while a reply streams and after, and the profile have no serious faults", async ({ page }) => {
  await register(page, uniqueLogin("a11y"), "Access Person");
  await expectAccessible(page, "/chat (new chat)");
  await send(page, "show me some code");
  await expect(page.locator(".message.streaming")).toBeVisible();
  await expectAccessible(page, "a chat with a reply streaming");
  await expect(page.locator(".message.streaming")).toHaveCount(0);
  await send(page, "and a plain answer");
  await expect(page.locator(".message.streaming")).toHaveCount(0);
  await expectAccessible(page, "a chat with messages and a code block");
  // The streamed text itself is not a live region; the whole reply is announced once.
  await expect(page.locator(".messages[aria-live]")).toHaveCount(0);
  await expect(page.getByRole("status").filter({ hasText: "answered: You said: and a plain answer" })).toHaveCount(1);

  // The phone-width drawer: opening moves focus into it, Escape closes it and returns focus.
  await page.setViewportSize({ width: 390, height: 800 });
  const drawerButton = page.getByRole("button", { name: "Show chats" });
  await drawerButton.click();
  await expect(page.getByRole("searchbox", { name: "Search your chats" })).toBeFocused();
  await expectAccessible(page, "the chat drawer open");
  await page.keyboard.press("Escape");
  await expect(drawerButton).toBeFocused();
  await expect(drawerButton).toHaveAttribute("aria-expanded", "false");
  await page.setViewportSize({ width: 1280, height: 720 });

  // The open user menu and the shortcuts dialog.
  await page.getByRole("button", { name: "Access Person" }).click();
  await expectAccessible(page, "the user menu open");
  await page.getByRole("menuitem", { name: "Keyboard shortcuts" }).click();
  await expect(page.getByRole("dialog", { name: "Keyboard shortcuts" })).toBeVisible();
  await expectAccessible(page, "the shortcuts dialog");
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog")).toHaveCount(0);

  await userMenu(page, "Access Person", "Profile");
  await expect(page).toHaveURL(/\/profile$/);
  await waitForHydration(page);
  await expectAccessible(page, "/profile");
});
