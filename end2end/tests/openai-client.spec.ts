import { test, expect } from "./fixtures";
import OpenAI from "openai";
import { PASSWORD, uniqueLogin } from "./helpers";

// The official OpenAI JS client, unchanged, against the gateway.
test("the OpenAI client works against /v1, streaming and not", async ({ request, baseURL }) => {
  const login = uniqueLogin("sdk");
  expect((await request.post("/auth/register", { data: { login, password: PASSWORD, display_name: "SDK User" } })).status()).toBe(201);
  const created = await request.post("/auth/api-keys", { data: { name: "sdk", password: PASSWORD } });
  const { key } = await created.json();

  const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: key });
  const models = await client.models.list();
  expect(models.data.map((m) => m.id)).toContain("memory-agent");

  const reply = await client.chat.completions.create({
    model: "memory-agent",
    messages: [{ role: "user", content: "ping from the sdk" }],
    temperature: 0.3,
  });
  expect(reply.choices[0].message.content).toBe("You said: ping from the sdk");

  const stream = await client.chat.completions.create({
    model: "memory-agent",
    messages: [{ role: "user", content: "stream from the sdk" }],
    stream: true,
  });
  let text = "";
  let chunks = 0;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? "";
    chunks += 1;
  }
  expect(text).toBe("You said: stream from the sdk");
  expect(chunks).toBeGreaterThan(3);

  // A wrong key is an authentication error the client recognises.
  const stranger = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: "mrt_wrong" });
  await expect(stranger.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  await expect(
    client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "x" }] }),
  ).rejects.toBeInstanceOf(OpenAI.NotFoundError);

  // The exchanges appear in the user's chat list.
  const chats = await (await request.get("/v1/chats")).json();
  expect(chats.data.length).toBe(2);
});
