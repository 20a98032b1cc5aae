import { test, expect } from "./fixtures";
import { register, uniqueLogin, userMenu, waitForHydration, watchConsole } from "./helpers";

/** A Claude.ai export of `count` conversations; the first one in Russian. */
function claudeExport(count: number): Buffer {
  const conversations = [];
  for (let i = 0; i < count; i++) {
    const first = i === 0;
    conversations.push({
      uuid: `conv-${i}`,
      name: first ? "Рецепт борща" : `Imported conversation ${i}`,
      created_at: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
      chat_messages: [
        {
          uuid: `q-${i}`,
          sender: "human",
          text: first ? "Как варить борщ со свёклой?" : `Question number ${i} about gardens and rivers`,
          created_at: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
        },
        {
          uuid: `a-${i}`,
          sender: "assistant",
          content: [
            { type: "thinking", thinking: "not shown" },
            { type: "text", text: first ? "Свёклу тушат отдельно." : `Answer ${i}: `.padEnd(1500, "lorem ipsum ") },
          ],
          created_at: new Date(Date.UTC(2024, 0, 1) + i * 60_000 + 5_000).toISOString(),
        },
      ],
    });
  }
  return Buffer.from(JSON.stringify(conversations));
}

test("chats are imported from the profile page with the server's progress, then opened", async ({ page }) => {
  const errors = watchConsole(page);
  await register(page, uniqueLogin("imp"), "Importer");
  await waitForHydration(page);
  await userMenu(page, "Importer", "Profile");
  await expect(page).toHaveURL(/\/profile$/);
  await waitForHydration(page);

  const card = page.getByRole("region", { name: "Import chats" });
  // Large enough that the import takes a few seconds: the bar has time to show.
  await card.getByLabel("Export file").setInputFiles({
    name: "conversations.json",
    mimeType: "application/json",
    buffer: claudeExport(1500),
  });
  await card.getByRole("button", { name: "Import", exact: true }).click();

  const bar = card.getByRole("progressbar", { name: "Import progress" });
  await expect(bar).toBeVisible();
  await expect(card.getByRole("status").first()).toContainText(/Uploading|Checking|Importing: \d+ of 1500 conversations/);
  await expect(card.getByText("Imported 1500 chats (3000 messages).")).toBeVisible({ timeout: 60_000 });
  await expect(bar).toBeHidden();

  // The links lead to the chats; the imported one in Russian keeps its text.
  await card.getByRole("link", { name: "Рецепт борща" }).click();
  await expect(page).toHaveURL(/\/chat\/[0-9a-f-]+$/);
  await expect(page.getByText("Как варить борщ со свёклой?")).toBeVisible();
  await expect(page.getByText("Свёклу тушат отдельно.")).toBeVisible();
  await expect(page.getByText("not shown")).toHaveCount(0);

  // Importing the same file again adds nothing.
  await userMenu(page, "Importer", "Profile");
  await waitForHydration(page);
  await card.getByLabel("Export file").setInputFiles({
    name: "conversations.json",
    mimeType: "application/json",
    buffer: claudeExport(1500),
  });
  await card.getByRole("button", { name: "Import", exact: true }).click();
  await expect(card.getByText(/Imported 0 chats \(0 messages\)\. 1500 skipped/)).toBeVisible({ timeout: 60_000 });

  // A file that is not an export says so and imports nothing.
  await card.getByLabel("Export file").setInputFiles({ name: "photo.png", mimeType: "image/png", buffer: Buffer.from("\x89PNG not an export") });
  await card.getByRole("button", { name: "Import", exact: true }).click();
  await expect(card.getByRole("alert")).toContainText("neither a .zip nor a .json export");
  expect(errors).toEqual([]);
});

test("a very long imported message is cut, shown in part, and whole on request", async ({ page }) => {
  const errors = watchConsole(page);
  await register(page, uniqueLogin("long"), "Long Reader");
  await waitForHydration(page);
  await userMenu(page, "Long Reader", "Profile");
  await waitForHydration(page);
  // 60,000 characters (under the 256 KB import limit, over a page's 32,000), then the end.
  const long = "paragraph of a pasted document. ".repeat(1875) + "THE VERY END";
  const card = page.getByRole("region", { name: "Import chats" });
  await card.getByLabel("Export file").setInputFiles({
    name: "conversations.json",
    mimeType: "application/json",
    buffer: Buffer.from(
      JSON.stringify([
        {
          uuid: "long-1",
          name: "A pasted document",
          chat_messages: [
            { uuid: "q", sender: "human", text: "Summarise this" },
            { uuid: "a", sender: "assistant", text: long },
          ],
        },
      ]),
    ),
  });
  await card.getByRole("button", { name: "Import", exact: true }).click();
  await card.getByRole("link", { name: "A pasted document" }).click();
  await waitForHydration(page);
  const reply = page.locator(".message.assistant");
  await expect(reply).toContainText("paragraph of a pasted document.");
  await expect(reply).not.toContainText("THE VERY END");
  await expect(reply).toContainText("the first 32,000 characters are shown");
  await reply.getByRole("button", { name: "Show the whole message" }).click();
  await expect(reply).toContainText("THE VERY END");
  await expect(reply.getByRole("button", { name: "Show the whole message" })).toHaveCount(0);
  expect(errors).toEqual([]);
});
