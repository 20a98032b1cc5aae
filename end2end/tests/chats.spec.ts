import { test, expect } from "./fixtures";
import type { Page } from "@playwright/test";
import { register, uniqueLogin, userMenu, waitForHydration, watchConsole } from "./helpers";

async function startChat(page: Page, text: string) {
  await page.getByRole("link", { name: "+ New Chat" }).click();
  await expect(page).toHaveURL(/\/chat$/);
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
  await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
  await expect(page.locator(".message.user").last()).toContainText(text);
  await replyDone(page);
}

// The fake model's reply has finished and is stored: its run no longer moves the chat's last
// activity, so the sidebar's order is the test's alone.
async function replyDone(page: Page) {
  await expect(page.locator(".message.assistant").last()).toContainText("You said:");
  await expect(page.getByRole("button", { name: "Stop", exact: true })).toHaveCount(0);
}

const sidebar = (page: Page) => page.getByRole("complementary", { name: "Your chats" });

test("chats: create, send, switch, rename, delete, and the same state after reload", async ({ page }) => {
  const errors = watchConsole(page);
  await register(page, uniqueLogin("chat"), "Chat Person");
  await waitForHydration(page);

  await startChat(page, "Planning the Atlas launch");
  await startChat(page, "Погода в Москве на выходные");
  await startChat(page, "Recipe ideas 🍲");
  const items = sidebar(page).locator("li.chat-item");
  await expect(items).toHaveCount(3);
  // Newest activity first, titles taken from the first message.
  await expect(items.nth(0)).toContainText("Recipe ideas 🍲");
  await expect(items.nth(2)).toContainText("Planning the Atlas launch");

  // Switching chats is client-side: a marker on window survives.
  await page.evaluate(() => ((window as any).__stillHere = true));
  await sidebar(page).getByRole("link", { name: "Planning the Atlas launch" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Planning the Atlas launch");
  await expect(page.locator(".message.user")).toHaveText([/Planning the Atlas launch/]);
  await expect(sidebar(page).getByRole("link", { name: "Planning the Atlas launch" })).toHaveAttribute("aria-current", "page");
  expect(await page.evaluate(() => (window as any).__stillHere)).toBe(true);

  // A second message in this chat moves it to the top.
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill("Line one");
  await box.press("Shift+Enter");
  await box.type("line two");
  await expect(box).toHaveValue("Line one\nline two");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.locator(".message.user").last()).toContainText("line two");
  await expect(box).toHaveValue("");
  await expect(items.nth(0)).toContainText("Planning the Atlas launch");
  await replyDone(page);

  // Rename inline: Escape cancels, Enter saves.
  await sidebar(page).getByRole("button", { name: "Rename chat Recipe ideas 🍲" }).click();
  const rename = sidebar(page).getByRole("textbox", { name: "Chat title" });
  await rename.fill("Never mind");
  await rename.press("Escape");
  await expect(sidebar(page).getByRole("link", { name: "Recipe ideas 🍲" })).toBeVisible();
  await sidebar(page).getByRole("button", { name: "Rename chat Recipe ideas 🍲" }).click();
  await sidebar(page).getByRole("textbox", { name: "Chat title" }).fill("Soups");
  await sidebar(page).getByRole("textbox", { name: "Chat title" }).press("Enter");
  await expect(sidebar(page).getByRole("link", { name: "Soups" })).toBeVisible();

  // Delete with a confirmation.
  await sidebar(page).getByRole("button", { name: "Delete chat Погода в Москве на выходные" }).click();
  await sidebar(page).getByRole("button", { name: "Delete", exact: true }).click();
  await expect(items).toHaveCount(2);

  // The server agrees after a reload.
  await page.reload();
  await expect(items).toHaveCount(2);
  await expect(items.nth(0)).toContainText("Planning the Atlas launch");
  await expect(items.nth(1)).toContainText("Soups");
  await expect(page.locator(".message.user")).toHaveCount(2);
  expect(errors).toEqual([]);
});

test("a message that fails to send stays in the box with the error", async ({ page }) => {
  await register(page, uniqueLogin("fail"), "Fail Person");
  await waitForHydration(page);
  await page.route("**/api/send_message*", (route) => route.abort());
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill("Do not lose me");
  await box.press("Enter");
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(box).toHaveValue("Do not lose me");
  await page.unroute("**/api/send_message*");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
  await expect(page.locator(".message.user")).toContainText("Do not lose me");
});

test("empty messages are not sent and a direct link opens the chat", async ({ page }) => {
  await register(page, uniqueLogin("link"), "Link Person");
  await waitForHydration(page);
  await expect(page.getByRole("button", { name: "Send" })).toBeDisabled();
  await page.getByRole("textbox", { name: "Message" }).fill("   ");
  await expect(page.getByRole("button", { name: "Send" })).toBeDisabled();
  await startChat(page, "Direct link target");
  const url = page.url();
  await page.goto("/");
  await page.goto(url);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Direct link target");
  await expect(page.locator(".message.user")).toContainText("Direct link target");
});

test("a logged-out visit to a chat goes to login and back", async ({ page, browser }) => {
  const login = uniqueLogin("away");
  await register(page, login, "Away Person");
  await waitForHydration(page);
  await startChat(page, "Come back here");
  const path = new URL(page.url()).pathname;

  const other = await browser.newContext();
  const visitor = await other.newPage();
  await visitor.goto(path);
  await expect(visitor).toHaveURL(new RegExp(`/login\\?next=${encodeURIComponent(path).replace(/%2F/g, "(%2F|/)")}`));
  await other.close();
});

test("the user menu works by keyboard and logs out", async ({ page }) => {
  await register(page, uniqueLogin("menu"), "Menu Person");
  await waitForHydration(page);
  const trigger = page.getByRole("button", { name: "Menu Person" });
  await trigger.focus();
  await page.keyboard.press("ArrowDown");
  await expect(page.getByRole("menuitem", { name: "Profile" })).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(page.getByRole("menuitem", { name: "Keyboard shortcuts" })).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(page.getByRole("menuitem", { name: "Log out" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("menu")).toBeHidden();
  await expect(trigger).toBeFocused();
  // An outside click closes it too.
  await trigger.click();
  await expect(page.getByRole("menu")).toBeVisible();
  await page.locator(".messages").click();
  await expect(page.getByRole("menu")).toBeHidden();
  await userMenu(page, "Menu Person", "Log out");
  await expect(page).toHaveURL(/\/login$/);
});

test("on a phone-width screen the sidebar is a drawer", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 800 });
  await register(page, uniqueLogin("phone"), "Phone Person");
  await waitForHydration(page);
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill("From my phone");
  await box.press("Enter");
  await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);

  await expect(sidebar(page)).toBeHidden();
  await page.getByRole("button", { name: "Show chats" }).click();
  await expect(sidebar(page)).toBeVisible();
  await sidebar(page).getByRole("link", { name: "+ New Chat" }).click();
  await expect(sidebar(page)).toBeHidden();
  await expect(page).toHaveURL(/\/chat$/);
});
