import { test, expect } from "./fixtures";
import OpenAI from "openai";
import { PASSWORD, logIn, uniqueLogin, waitForHydration } from "./helpers";

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

// A framework agent's own tool, through the official client: the model's call comes back as
// OpenAI sends it, the client answers it, the run goes on; then the same in one chat,
// streamed, and the web UI shows the steps after a reload.
test("the OpenAI client runs its own tools through the gateway", async ({ page, request, baseURL }) => {
  const login = uniqueLogin("tools");
  expect((await request.post("/auth/register", { data: { login, password: PASSWORD, display_name: "Tool User" } })).status()).toBe(201);
  const { key } = await (await request.post("/auth/api-keys", { data: { name: "sdk", password: PASSWORD } })).json();
  const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: key });
  const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
    {
      type: "function",
      function: {
        name: "get_weather",
        description: "Current weather in a city",
        parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
      },
    },
  ];
  const question: OpenAI.Chat.Completions.ChatCompletionMessageParam = { role: "user", content: "What is the weather today?" };

  const first = await client.chat.completions.create({ model: "memory-agent", messages: [question], tools });
  expect(first.choices[0].finish_reason).toBe("tool_calls");
  const call = first.choices[0].message.tool_calls![0];
  expect(call.type).toBe("function");
  if (call.type !== "function") throw new Error("a function call");
  expect(call.function.name).toBe("get_weather");
  expect(JSON.parse(call.function.arguments)).toEqual({ city: "Paris" });

  const second = await client.chat.completions.create({
    model: "memory-agent",
    tools,
    messages: [question, first.choices[0].message, { role: "tool", tool_call_id: call.id, content: "sunny and 24 C" }],
  });
  expect(second.choices[0].finish_reason).toBe("stop");
  expect(second.choices[0].message.content).toBe("The tool said: sunny and 24 C");

  // Streamed, in one chat: the SDK assembles the call from its fragments.
  const { data: stream, response } = await client.chat.completions
    .create({ model: "memory-agent", messages: [question], tools, stream: true })
    .withResponse();
  const chatId = response.headers.get("x-chat-id")!;
  let name = "";
  let args = "";
  let id = "";
  let finish: string | null = null;
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    for (const part of choice?.delta?.tool_calls ?? []) {
      id ||= part.id ?? "";
      name += part.function?.name ?? "";
      args += part.function?.arguments ?? "";
    }
    finish = choice?.finish_reason ?? finish;
  }
  expect(finish).toBe("tool_calls");
  expect(name).toBe("get_weather");
  expect(JSON.parse(args)).toEqual({ city: "Paris" });
  const followUp = await client.chat.completions.create({
    model: "memory-agent",
    tools,
    messages: [
      question,
      { role: "assistant", content: null, tool_calls: [{ id, type: "function", function: { name, arguments: args } }] },
      { role: "tool", tool_call_id: id, content: "rain by noon" },
    ],
    // maruntime's own parameter: continue that chat.
    ...({ chat_id: chatId } as object),
  });
  expect(followUp.choices[0].message.content).toBe("The tool said: rain by noon");

  // The chat in the web UI shows the call and the result, and the answer.
  await logIn(page, login, "Tool User");
  await page.goto(`/chat/${chatId}`);
  await waitForHydration(page);
  await expect(page.locator(".step.client-call summary")).toHaveText("Asked the client to run get_weather");
  await expect(page.locator(".tool-result summary")).toContainText(`The client's result for call ${id}`);
  await expect(page.locator("article.message.assistant").last()).toContainText("The tool said: rain by noon");
});
