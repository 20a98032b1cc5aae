import { test, expect } from "@playwright/test";
import { register, send, uniqueLogin, waitForHydration, watchConsole } from "./helpers";

test("a reply streams in, and a tool step appears", async ({ page }) => {
  const errors = watchConsole(page);
  await register(page, uniqueLogin("agent"), "Agent Person");
  await waitForHydration(page);
  await send(page, "Hello there, model");
  await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
  // Words arrive one by one in the streaming bubble before the reply is stored.
  await expect(page.locator(".message.streaming")).toBeVisible();
  await expect(page.locator(".message.streaming")).toHaveCount(0);
  await expect(page.locator(".message.assistant").last()).toHaveText(/You said: Hello there, model/);

  await send(page, "please search Hello");
  await expect(page.locator(".step summary").last()).toContainText("Searched your chats for 'Hello': 2 results");
  // Wait for the stored reply (the streaming bubble is replaced by it), not the stream.
  await expect(page.locator(".message.streaming")).toHaveCount(0);
  await expect(page.locator(".message.assistant").last()).toContainText("I searched and found 2.");
  // The step is stored with the reply: it is still there after a reload.
  await page.reload();
  await expect(page.locator(".step summary")).toContainText(["Searched your chats for 'Hello'"]);
  expect(errors).toEqual([]);
});

test("a run can be stopped and what arrived is kept", async ({ page }) => {
  await register(page, uniqueLogin("stop"), "Stop Person");
  await waitForHydration(page);
  await send(page, "tell a slow story");
  await expect(page.locator(".message.streaming")).toContainText("word2");
  await page.getByRole("button", { name: "Stop", exact: true }).click();
  const reply = page.locator(".message.assistant").last();
  await expect(reply.locator(".stopped-note")).toHaveText("Stopped");
  await expect(reply).toContainText("word0");
  await expect(reply).not.toContainText("word79");
  // The chat stays usable.
  await expect(page.getByRole("button", { name: "Stop", exact: true })).toHaveCount(0);
  await send(page, "and now?");
  await expect(page.locator(".message.assistant").last()).toContainText("You said: and now?");
});

test("a model error shows Retry and the message survives a reload", async ({ page }) => {
  await register(page, uniqueLogin("err"), "Error Person");
  await waitForHydration(page);
  await send(page, "this will fail");
  await expect(page.getByRole("alert")).toContainText("could not be reached");
  await expect(page.getByRole("button", { name: "Retry" })).toBeVisible();
  await page.reload();
  await expect(page.locator(".message.user")).toContainText("this will fail");
  await expect(page.getByText("This message has no answer yet.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Retry" })).toBeVisible();
});
