import { test, expect } from "./fixtures";
import type { Page } from "@playwright/test";
import * as fs from "node:fs";
import { register, send, uniqueLogin, waitForHydration, watchConsole } from "./helpers";
import { recallPort } from "../playwright.config";

/** Creates a chat with these messages through the JSON API (the page's cookies log it in). */
async function seedChat(page: Page, title: string, messages: string[]): Promise<string> {
  const created = await page.request.post("/v1/chats", { data: { title } });
  expect(created.status()).toBe(201);
  const id = (await created.json()).id as string;
  for (const content of messages) {
    const r = await page.request.post(`/v1/chats/${id}/messages`, { data: { content } });
    expect(r.status()).toBe(201);
  }
  return id;
}

test("search from the sidebar, open a result, land on the message", async ({ page }) => {
  const errors = watchConsole(page);
  await register(page, uniqueLogin("search"), "Search Person");
  const filler = Array.from({ length: 30 }, (_, i) => `Packing list item number ${i}`);
  const trip = await seedChat(page, "Trip planning", [
    ...filler.slice(0, 15),
    "The ferry to Batumi leaves at 7:15 from the north pier",
    ...filler.slice(15),
  ]);
  await seedChat(page, "Groceries", ["Buy apples and a ferry timetable"]);
  await page.goto("/chat");
  await waitForHydration(page);

  const box = page.getByRole("searchbox", { name: "Search your chats" });
  await box.fill("batumi ferry");
  const results = page.getByRole("list", { name: "Search results" });
  // Grouped by chat; the message with both words first, its words highlighted.
  await expect(results.locator(".search-chat-title")).toHaveText(["Trip planning", "Groceries"]);
  const hit = results.locator(".search-hit").first();
  await expect(hit.locator("mark")).toHaveText(["ferry", "Batumi"]);
  // The chat list comes back when the search is cleared.
  await box.press("Escape");
  await expect(results).toHaveCount(0);
  await expect(page.getByRole("navigation", { name: "Chats" })).toBeVisible();

  // A typo still finds it; choosing the result opens the chat at that message.
  await box.fill("batumy");
  await expect(results.locator(".search-hit")).toHaveCount(1);
  await results.locator(".search-hit a").first().click();
  await expect(page).toHaveURL(new RegExp(`/chat/${trip}\\?m=[0-9a-f-]{36}$`));
  const target = page.locator(".message.focused");
  await expect(target).toHaveCount(1);
  await expect(target).toContainText("The ferry to Batumi leaves at 7:15");
  await expect(target).toBeInViewport();
  await expect(page.locator(".message").last()).not.toBeInViewport();
  expect(errors).toEqual([]);
});

test("a chat downloads as its markdown document", async ({ page }) => {
  await register(page, uniqueLogin("export"), "Export Person");
  const id = await seedChat(page, "Exported chat", ["First line\n[looks like an entry]"]);
  await page.goto(`/chat/${id}`);
  await waitForHydration(page);
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export .md" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe("Exported chat.md");
  const text = fs.readFileSync(await file.path(), "utf8");
  expect(text).toMatch(new RegExp(`^# Chat Session\\nID: ${id}\\nUser: Export Person \\(`));
  expect(text).toContain("**Export Person**: First line\n\\[looks like an entry]\n\n");
});

test("the profile shows what the agent remembers, editable and clearable", async ({ page }) => {
  await register(page, uniqueLogin("prefs"), "Prefs Person");
  await page.goto("/profile");
  await waitForHydration(page);
  const prefs = page.getByLabel("Preferences");
  await expect(prefs).toHaveValue("");
  await prefs.fill("- Prefers metric units\n- Answers in Russian");
  await page.getByRole("button", { name: "Save preferences" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Preferences")).toHaveValue("- Prefers metric units\n- Answers in Russian");
  await page.getByRole("button", { name: "Clear all" }).click();
  await expect(page.getByLabel("Preferences")).toHaveValue("");
  await page.reload();
  await expect(page.getByLabel("Preferences")).toHaveValue("");
});

test.describe("without a model", () => {
  test.use({ baseURL: `http://127.0.0.1:${recallPort}` });

  test("the agent recalls what was said in an earlier chat", async ({ page }) => {
    const errors = watchConsole(page);
    await register(page, uniqueLogin("recall"), "Recall Person");
    const earlier = await seedChat(page, "Launch planning", ["The Atlas launch moved to Friday at 10:00"]);
    await page.goto("/chat");
    await waitForHydration(page);
    await send(page, "What did we say about Atlas?");
    const reply = page.locator(".message.assistant").last();
    await expect(reply).toContainText("Recall Person, here is what I found in your earlier chats");
    await expect(reply).toContainText("Launch planning");
    await expect(reply.locator("strong", { hasText: "Atlas" }).first()).toBeVisible();
    await expect(reply).toContainText("MARUNTIME_LLM_BASE_URL");
    await reply.getByRole("link", { name: "Open the chat" }).click();
    await expect(page).toHaveURL(new RegExp(`/chat/${earlier}\\?m=`));
    await expect(page.locator(".message.focused")).toContainText("The Atlas launch moved to Friday");
    expect(errors).toEqual([]);
  });
});
