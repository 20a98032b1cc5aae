import { test, expect } from "./fixtures";
import { register, send, uniqueLogin, waitForHydration, watchConsole } from "./helpers";

test("a code block is highlighted while it streams and after a reload, and Copy copies it", async ({ page, context }) => {
  const errors = watchConsole(page);
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await register(page, uniqueLogin("code"), "Code Person");
  await send(page, "show me some code");
  // Highlighted in the streaming bubble already (the browser renders the same Markdown).
  await expect(page.locator(".message.streaming .code-block .hl-k").first()).toHaveText("fn");
  await expect(page.locator(".message.streaming")).toHaveCount(0);
  const block = page.locator(".message.assistant").last().locator(".code-block");
  await expect(block.locator(".code-lang")).toHaveText("rust");
  await expect(block.locator(".hl-s").first()).toHaveText('"hello, {}"');
  await expect(block.locator(".hl-c")).toHaveText("// greet");
  await expect(block.locator(".hl-n")).toHaveText("42");

  const copy = block.getByRole("button", { name: "Copy" });
  await copy.click();
  await expect(block.getByRole("button", { name: "Copied" })).toBeVisible();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(
    'fn main() {\n    println!("hello, {}", 42); // greet\n' +
      '    let line = "a long line that goes on well past the width of a phone screen, so it scrolls inside its block";\n}\n',
  );
  // The button says Copy again after a moment.
  await expect(block.getByRole("button", { name: "Copy" })).toBeVisible();

  // The server renders the same highlighted block.
  const response = await page.request.get(page.url());
  const html = await response.text();
  expect(html).toContain('<span class="code-lang">rust</span>');
  expect(html).toContain('<span class="hl-k">fn</span> main()');
  // On a phone-width screen a long line scrolls inside its block, not the page.
  await page.setViewportSize({ width: 360, height: 740 });
  await send(page, "the code again");
  await expect(page.locator(".message.streaming")).toHaveCount(0);
  const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(pageWidth).toBeLessThanOrEqual(360);
  expect(errors).toEqual([]);
});

test("shortcuts: Ctrl+K searches, Ctrl+Shift+O starts a chat, Escape stops an answer, ? lists them", async ({ page }) => {
  await register(page, uniqueLogin("keys"), "Keys Person");
  await waitForHydration(page);
  await send(page, "tell a slow story");
  await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
  await expect(page.locator(".message.streaming")).toContainText("word1");

  // Escape in the message box stops the answer; what arrived is kept.
  const box = page.getByRole("textbox", { name: "Message" });
  await box.focus();
  await box.press("Escape");
  await expect(page.locator(".message.assistant").last().locator(".stopped-note")).toHaveText("Stopped");

  await page.keyboard.press("Control+k");
  await expect(page.getByRole("searchbox", { name: "Search your chats" })).toBeFocused();
  await page.keyboard.type("slow");
  await expect(page.locator(".search-hit").first()).toBeVisible();
  await page.keyboard.press("Escape");

  const chatUrl = page.url();
  // Works from anywhere, the search box included.
  await page.keyboard.press("Control+Shift+O");
  await expect(page).toHaveURL(/\/chat$/);
  await expect(page.getByRole("heading", { name: "What would you like to talk about?" })).toBeVisible();
  await expect(page.getByRole("textbox", { name: "Message" })).toBeFocused();

  // From a page that is not a chat, Ctrl+K goes to the chats and focuses the search.
  await page.goto("/profile");
  await waitForHydration(page);
  await page.keyboard.press("Control+k");
  await expect(page).toHaveURL(/\/chat$/);
  await expect(page.getByRole("searchbox", { name: "Search your chats" })).toBeFocused();

  // ? opens the list (not while typing); Escape closes it and focus returns.
  await page.goto(chatUrl);
  await waitForHydration(page);
  const box2 = page.getByRole("textbox", { name: "Message" });
  await box2.fill("what?");
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await box2.fill("");
  const menuButton = page.getByRole("button", { name: "Keys Person" });
  await menuButton.focus();
  await page.keyboard.press("?");
  const dialog = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("Search your chats");
  await expect(dialog).toContainText("Start a new chat");
  await expect(dialog).toContainText("Stop the answer");
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(menuButton).toBeFocused();
  // The user menu offers the same list.
  await menuButton.click();
  await page.getByRole("menuitem", { name: "Keyboard shortcuts" }).click();
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(dialog).toBeHidden();
});
