import { test, expect } from "./fixtures";
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

test("a model stream cut off midway is a failed answer with Retry, not a whole one", async ({ page }) => {
  await register(page, uniqueLogin("cut"), "Cut Person");
  await waitForHydration(page);
  await send(page, "this answer gets cut");
  const reply = page.locator(".message.assistant").last();
  await expect(reply).toContainText("Half an answer");
  await expect(reply.locator(".failed-note")).toContainText("broke off before it was finished");
  await expect(page.getByRole("button", { name: "Retry" })).toBeVisible();
  await page.reload();
  await expect(page.locator(".message.assistant .failed-note")).toContainText("broke off");
  await expect(page.getByRole("button", { name: "Retry" })).toBeVisible();
});

test("a reload mid-answer follows the run from its start, with Stop and no Retry", async ({ page }) => {
  const errors = watchConsole(page);
  await register(page, uniqueLogin("reload"), "Reload Person");
  await waitForHydration(page);
  await send(page, "tell a slow story");
  await expect(page.locator(".message.streaming")).toContainText("word2");
  // One question at a time: Send waits for the answer and says why.
  await expect(page.getByText("The agent is answering; you can send when it has finished")).toBeVisible();
  await page.reload();
  await waitForHydration(page);
  const streaming = page.locator(".message.streaming");
  await expect(streaming).toContainText("word0");
  await expect(streaming).toContainText("word4");
  await expect(page.getByRole("button", { name: "Retry" })).toHaveCount(0);
  await expect(page.getByText("This message has no answer yet.")).toHaveCount(0);
  await expect(page.locator(".message.user")).toHaveCount(1);
  await page.getByRole("button", { name: "Stop", exact: true }).click();
  const reply = page.locator(".message.assistant").last();
  await expect(reply.locator(".stopped-note")).toHaveText("Stopped");
  await expect(reply).toContainText("word0 word1 word2");
  expect(errors).toEqual([]);
});

test("a second tab sees the answer stream in and can stop it", async ({ page, context }) => {
  await register(page, uniqueLogin("tabs"), "Tabs Person");
  await waitForHydration(page);
  await send(page, "tell a slow story");
  await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
  await expect(page.locator(".message.streaming")).toContainText("word1");
  const second = await context.newPage();
  await second.goto(page.url());
  await waitForHydration(second);
  await expect(second.locator(".message.streaming")).toContainText("word0");
  await expect(second.locator(".message.streaming")).toContainText("word5");
  await second.getByRole("button", { name: "Stop", exact: true }).click();
  // Both tabs end with the same stored, stopped reply.
  for (const tab of [second, page]) {
    const reply = tab.locator(".message.assistant").last();
    await expect(reply.locator(".stopped-note")).toHaveText("Stopped");
    await expect(reply).toContainText("word0 word1");
  }
  await second.close();
});

test("the latest message can be edited and resent, and the latest answer regenerated", async ({ page }) => {
  const errors = watchConsole(page);
  await register(page, uniqueLogin("edit"), "Edit Person");
  await waitForHydration(page);
  await send(page, "first version");
  await expect(page.locator(".message.assistant").last()).toHaveText(/You said: first version/);
  await page.getByRole("button", { name: "Edit", exact: true }).click();
  await page.getByLabel("Edit your message").fill("second version");
  await page.getByRole("button", { name: "Save and resend" }).click();
  await expect(page.locator(".message.assistant").last()).toHaveText(/You said: second version/);
  await expect(page.locator(".message.user")).toHaveCount(1);
  await expect(page.locator(".message.user")).toContainText("second version");
  // The chat keeps the title its first message gave it; the message itself is replaced.
  await expect(page.locator(".messages").getByText("first version")).toHaveCount(0);

  const before = await page.locator(".message.assistant").getAttribute("id");
  await page.getByRole("button", { name: "Regenerate" }).click();
  // A new answer replaces the old one (a new message, not a second copy).
  await expect(page.locator(".message.assistant")).not.toHaveAttribute("id", before!);
  await expect(page.locator(".message.streaming")).toHaveCount(0);
  await expect(page.locator(".message.assistant")).toHaveCount(1);
  await expect(page.locator(".message.assistant")).toHaveText(/You said: second version/);
  // The server agrees: after a reload, one question and one answer.
  await page.reload();
  await expect(page.locator(".message.user")).toHaveCount(1);
  await expect(page.locator(".message.assistant")).toHaveCount(1);
  expect(errors).toEqual([]);
});
