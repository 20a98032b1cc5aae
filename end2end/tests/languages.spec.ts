import { test, expect } from "./fixtures";
import { PASSWORD, register, uniqueLogin, userMenu, waitForHydration, watchConsole } from "./helpers";

test.describe("a browser that asks for Russian", () => {
  // Playwright sends Accept-Language: ru-RU and sets navigator.language.
  test.use({ locale: "ru-RU" });

  test("gets the Russian login page, with lang=\"ru\" in the server's HTML and no flash of English", async ({ page }) => {
    const errors = watchConsole(page);
    // What the server sends, before any script runs.
    // (`<!>` are hydration markers between a text and what follows it.)
    const response = await page.request.get("/login", { headers: { "Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5" } });
    const html = (await response.text()).replaceAll("<!>", "");
    expect(html).toMatch(/<html[^>]* lang="ru"/);
    expect(html).toContain("Вход</h1>");
    expect(html).not.toContain("Log in</h1>");

    await page.goto("/login");
    await expect(page.locator("html")).toHaveAttribute("lang", "ru");
    await expect(page.getByRole("heading", { name: "Вход" })).toBeVisible();
    await waitForHydration(page);
    // Still Russian once the WASM runs (it reads the language from <html lang>).
    await expect(page.getByRole("heading", { name: "Вход" })).toBeVisible();
    await expect(page.getByLabel("Логин")).toBeVisible();
    await expect(page.getByRole("button", { name: "Войти" })).toBeVisible();
    // A failed login says so in Russian: the server words its message in the page's language.
    await page.getByLabel("Логин").fill("nobody-at-all");
    await page.getByLabel("Пароль", { exact: true }).fill("wrong-password-1");
    await page.getByRole("button", { name: "Войти" }).click();
    await expect(page.getByRole("alert")).toHaveText("Неверный логин или пароль");
    expect(errors).toEqual([]);
  });
});

test("the language chosen on the profile page stays across a reload and a new login", async ({ page }) => {
  const login = uniqueLogin("lang");
  await register(page, login, "Lang Person");
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await userMenu(page, "Lang Person", "Profile");
  await waitForHydration(page);
  await page.getByLabel("Language of the pages").selectOption("ru");
  // The page changes at once, and says it saved.
  await expect(page.getByRole("heading", { name: "Ваш профиль", level: 1 })).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "ru");
  await expect(page.getByText("Сохранено.")).toBeVisible();

  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("lang", "ru");
  await expect(page.getByRole("heading", { name: "Ваш профиль", level: 1 })).toBeVisible();
  await waitForHydration(page);
  await expect(page.getByLabel("Язык страниц")).toHaveValue("ru");

  // Logged out, this (English) browser gets English; logged in again, the account's Russian.
  await page.getByRole("button", { name: "Выйти" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  await waitForHydration(page);
  await page.getByLabel("Login").fill(login);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/chat$/);
  await expect(page.locator("html")).toHaveAttribute("lang", "ru");
  await expect(page.getByRole("heading", { name: "О чём хотите поговорить?" })).toBeVisible();

  // And back to the browser's language.
  await page.goto("/profile");
  await waitForHydration(page);
  await page.getByLabel("Язык страниц").selectOption("");
  await expect(page.getByRole("heading", { name: "Your profile", level: 1 })).toBeVisible();
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
});
