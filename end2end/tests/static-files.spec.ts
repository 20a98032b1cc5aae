import { test, expect } from "./fixtures";

// The WASM, JS and CSS, and public/'s files, are compressed once by the release build
// (scripts/build-release.sh: --precompress) and sent as they are, picked by Accept-Encoding.
test("static files are sent precompressed, chosen by Accept-Encoding", async ({ page, request }) => {
  await page.goto("/login");
  const html = await page.content();
  const wasm = html.match(/\/pkg\/[^"']+\.wasm/)?.[0];
  const css = html.match(/\/pkg\/[^"']+\.css/)?.[0];
  expect(wasm && css).toBeTruthy();
  for (const path of [wasm!, css!, "/favicon.svg"]) {
    for (const encoding of ["br", "gzip"]) {
      const response = await request.get(path, { headers: { "Accept-Encoding": encoding } });
      expect(response.status(), path).toBe(200);
      expect(response.headers()["content-encoding"], `${path} with ${encoding}`).toBe(encoding);
      expect(response.headers()["vary"] ?? "", path).toMatch(/accept-encoding/i);
    }
    const plain = await request.get(path, { headers: { "Accept-Encoding": "identity" } });
    expect(plain.headers()["content-encoding"], `${path} uncompressed`).toBeUndefined();
  }
  // Hashed names may be kept for a year; the favicon is revalidated.
  const cached = await request.get(wasm!);
  expect(cached.headers()["cache-control"]).toContain("immutable");
  const icon = await request.get("/favicon.svg");
  const etag = icon.headers()["etag"];
  expect(etag).toBeTruthy();
  const again = await request.get("/favicon.svg", { headers: { "If-None-Match": etag } });
  expect(again.status()).toBe(304);
  // A path that is neither a page nor a file still gets the app's not-found page.
  const missing = await request.get("/no-such-file.txt");
  expect(missing.status()).toBe(404);
  expect(await missing.text()).toContain("</html>");
});
