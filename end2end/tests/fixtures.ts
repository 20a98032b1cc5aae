import { test as base, expect, type Page } from "@playwright/test";

/**
 * Every test runs with the server's Content-Security-Policy enforced (the browser applies it
 * as it would for anyone) and fails if any page reports a violation in its console: a page
 * that needs something the policy forbids is a bug either way. A test that provokes a
 * violation on purpose takes it out of `cspViolations` after checking it.
 */
export const test = base.extend<{ cspViolations: string[] }>({
  cspViolations: [
    async ({ context }, use) => {
      const violations: string[] = [];
      const watch = (page: Page) =>
        page.on("console", (msg) => {
          if (/Content[ -]Security[ -]Policy/i.test(msg.text())) violations.push(msg.text());
        });
      context.pages().forEach(watch);
      context.on("page", watch);
      await use(violations);
      expect(violations, "Content-Security-Policy violations reported by the browser").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
