import { test, expect } from "./fixtures";
import { pairPorts, postgres } from "../playwright.config";
import { register, send, uniqueLogin, waitForHydration } from "./helpers";

// Two server processes on one PostgreSQL database: a page on each, the same chat. The run
// goes on in the first process; the second follows it from the database and stops it there.
test("a page on another process sees the answer stream in and stops it", async ({ page, context }) => {
  test.skip(!postgres, "needs PostgreSQL: set MARUNTIME_TEST_POSTGRES_URL (scripts/test.sh says so)");
  const [a, b] = pairPorts.map((p) => `http://127.0.0.1:${p}`);
  await register(page, uniqueLogin("pair"), "Pair Person", undefined, a);
  await waitForHydration(page);
  await send(page, "tell a slow story");
  await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
  await expect(page.locator(".message.streaming")).toContainText("word1");
  // Cookies belong to the host, not the port: the same session on the other process.
  const second = await context.newPage();
  await second.goto(page.url().replace(a, b));
  await waitForHydration(second);
  await expect(second.locator(".message.streaming")).toContainText("word0");
  await expect(second.locator(".message.streaming")).toContainText("word5");
  await second.getByRole("button", { name: "Stop", exact: true }).click();
  for (const tab of [second, page]) {
    const reply = tab.locator(".message.assistant").last();
    await expect(reply.locator(".stopped-note")).toHaveText("Stopped");
    await expect(reply).toContainText("word0 word1");
  }
  await second.close();
});
