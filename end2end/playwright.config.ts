import { defineConfig, devices } from "@playwright/test";
import * as os from "node:os";
import * as path from "node:path";
import * as fs from "node:fs";

// The release server runs on its own port with a throwaway database and memory directory.
const port = Number(process.env.E2E_PORT ?? 3210);
const llmPort = port + 1;
// A second app without a model: the memory agent answers in recall mode there.
export const recallPort = port + 2;
// A third app, empty and by invite only, whose first account is its admin.
export const ownerPort = port + 3;
// Two servers on one PostgreSQL database (only when MARUNTIME_TEST_POSTGRES_URL is set).
export const pairPorts = [port + 4, port + 5];
export const postgres = process.env.MARUNTIME_TEST_POSTGRES_URL;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "maruntime-e2e-"));

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: {
          executablePath: "/usr/bin/chromium",
          args: [
            "--no-sandbox",
            "--headless",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
          ],
        },
      },
    },
  ],
  webServer: [
  {
    command: `node fake-llm.mjs`,
    url: `http://127.0.0.1:${llmPort}/`,
    reuseExistingServer: false,
    timeout: 10_000,
    env: { FAKE_LLM_PORT: String(llmPort) },
  },
  {
    command: "../scripts/serve-release.sh",
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      DATABASE_URL: `sqlite://${dataDir}/maruntime.db`,
      MARUNTIME_MEMORY_DIR: `${dataDir}/memory`,
      MARUNTIME_COOKIE_SECURE: "false",
      MARUNTIME_REGISTER_LIMIT: "1000",
      MARUNTIME_LLM_BASE_URL: `http://127.0.0.1:${llmPort}/v1`,
      MARUNTIME_LLM_MODEL: "fake",
      RUST_LOG: "warn",
    },
  },
  {
    command: "../scripts/serve-release.sh",
    url: `http://127.0.0.1:${recallPort}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      LEPTOS_SITE_ADDR: `127.0.0.1:${recallPort}`,
      DATABASE_URL: `sqlite://${dataDir}/recall.db`,
      MARUNTIME_MEMORY_DIR: `${dataDir}/recall-memory`,
      MARUNTIME_COOKIE_SECURE: "false",
      MARUNTIME_REGISTER_LIMIT: "1000",
      RUST_LOG: "warn",
    },
  },
  {
    command: "../scripts/serve-release.sh",
    url: `http://127.0.0.1:${ownerPort}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      LEPTOS_SITE_ADDR: `127.0.0.1:${ownerPort}`,
      DATABASE_URL: `sqlite://${dataDir}/owner.db`,
      MARUNTIME_MEMORY_DIR: `${dataDir}/owner-memory`,
      MARUNTIME_COOKIE_SECURE: "false",
      MARUNTIME_REGISTRATION: "invite",
      MARUNTIME_LLM_BASE_URL: `http://127.0.0.1:${llmPort}/v1`,
      MARUNTIME_LLM_MODEL: "fake",
      RUST_LOG: "warn",
    },
  },
  ...(postgres
    ? [
        {
          command: `./serve-pair.sh ${pairPorts[0]} ${pairPorts[1]}`,
          url: `http://127.0.0.1:${pairPorts[1]}/healthz`,
          reuseExistingServer: false,
          timeout: 60_000,
          stdout: "ignore" as const,
          stderr: "pipe" as const,
          env: {
            MARUNTIME_TEST_POSTGRES_URL: postgres,
            MARUNTIME_COOKIE_SECURE: "false",
            MARUNTIME_LLM_BASE_URL: `http://127.0.0.1:${llmPort}/v1`,
            MARUNTIME_LLM_MODEL: "fake",
            RUST_LOG: "warn",
          },
        },
      ]
    : []),
  ],
});
