// Time to interactive on the chat page, as a person on a slow phone meets it: a fresh browser
// (empty cache) opens an existing chat with messages; "interactive" is the moment the WASM has
// hydrated the page (the app sets data-hydrated="true"), measured from navigation start.
// Runs each case 5 times, unthrottled and with the CPU slowed 4x (Lighthouse's mobile preset).
// Usage: node bench-ui.mjs URL COOKIE CHAT_PATH   (from end2end/; scripts/bench-ui.sh runs it)
import { chromium } from "@playwright/test";

const [url, cookie, chatPath] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--headless"] });
for (const slowdown of [1, 4]) {
  for (const path of ["/login", chatPath]) {
    const times = [];
    for (let i = 0; i < 5; i++) {
      const context = await browser.newContext();
      const [name, value] = cookie.split(/=(.*)/s);
      if (path !== "/login") await context.addCookies([{ name, value, url }]);
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send("Emulation.setCPUThrottlingRate", { rate: slowdown });
      await page.goto(url + path, { waitUntil: "commit" });
      await page.locator('.app[data-hydrated="true"]').waitFor({ timeout: 60_000 });
      const t = await page.evaluate(() => performance.now());
      const fcp = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? 0);
      times.push([t, fcp]);
      await context.close();
    }
    times.sort((a, b) => a[0] - b[0]);
    const median = times[2];
    console.log(`${path === "/login" ? "/login" : "a chat page"}, CPU ${slowdown}x: interactive (hydrated) median ${median[0].toFixed(0)} ms, first contentful paint ${median[1].toFixed(0)} ms (runs: ${times.map((t) => t[0].toFixed(0)).join(", ")})`);
  }
}
await browser.close();
