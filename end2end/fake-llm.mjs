// A fake OpenAI-compatible model server for the browser tests. Its behaviour follows the
// user's last message, so tests need no scripting:
//   contains "fail"   -> HTTP 500 (every time)
//   contains "slow"   -> a long answer, one word every 150 ms (to be stopped)
//   contains "search" -> a chat_history_search tool call, then a short answer
//   contains "code"   -> a reply with a fenced Rust block, a few characters every 40 ms
//   contains "cut"    -> three words, then the body ends with neither finish_reason nor
//                        [DONE], as a connection a proxy cut
//   contains "weather", with a client tool get_weather offered -> a call to it, then
//                        "The tool said: <its result>"
//   otherwise         -> "You said: <message>", one word every 150 ms (slow enough that
//                        a test sees the reply streaming before it is stored)
import http from "node:http";

const port = Number(process.env.FAKE_LLM_PORT ?? 3211);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const chunk = (delta) =>
  `data: ${JSON.stringify({ id: "fake", object: "chat.completion.chunk", created: 0, model: "fake", choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;

async function streamWords(res, words, delay) {
  for (const w of words) {
    if (res.destroyed) return;
    res.write(chunk({ content: w }));
    await sleep(delay);
  }
  res.end("data: [DONE]\n\n");
}

http
  .createServer((req, res) => {
    if (req.method === "GET") return res.end("ok");
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", async () => {
      const request = JSON.parse(body);
      const messages = request.messages;
      const last = messages[messages.length - 1];
      const lastUser = [...messages].reverse().find((m) => m.role === "user")?.content ?? "";
      if (lastUser.includes("fail")) {
        res.writeHead(500, { "content-type": "application/json" });
        return res.end(JSON.stringify({ error: { message: "the fake model failed on purpose" } }));
      }
      res.writeHead(200, { "content-type": "text/event-stream" });
      if (lastUser.includes("cut") && last.role === "user") {
        for (const w of ["Half ", "an ", "answer"]) {
          res.write(chunk({ content: w }));
          await sleep(20);
        }
        return res.end();
      }
      if (last.role === "tool") {
        let found = null;
        try {
          found = JSON.parse(last.content).results?.length ?? null;
        } catch {}
        if (found === null) return streamWords(res, `The tool said: ${last.content}`.split(/(?<= )/), 20);
        return streamWords(res, ["I ", "searched ", "and ", `found ${found}.`], 20);
      }
      const offers = (name) => (request.tools ?? []).some((t) => t.function?.name === name);
      if (lastUser.includes("weather") && offers("get_weather")) {
        res.write(chunk({ tool_calls: [{ index: 0, id: "call_weather", type: "function", function: { name: "get_weather", arguments: "" } }] }));
        res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city": "Paris"}' } }] }));
        return res.end("data: [DONE]\n\n");
      }
      if (lastUser.includes("search") && request.tools) {
        const query = lastUser.replace(/.*search\s*/i, "") || lastUser;
        res.write(chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "chat_history_search", arguments: "" } }] }));
        const args = JSON.stringify({ query, scope: "all" });
        for (const piece of [args.slice(0, 5), args.slice(5)]) {
          res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
        }
        return res.end("data: [DONE]\n\n");
      }
      if (lastUser.includes("code")) {
        const reply = 'Here it is:\n\n```rust\nfn main() {\n    println!("hello, {}", 42); // greet\n    let line = "a long line that goes on well past the width of a phone screen, so it scrolls inside its block";\n}\n```\n\nThat is all.';
        return streamWords(res, reply.match(/[\s\S]{1,6}/g), 40);
      }
      if (lastUser.includes("slow")) {
        return streamWords(res, Array.from({ length: 80 }, (_, i) => `word${i} `), 150);
      }
      return streamWords(res, `You said: ${lastUser}`.split(/(?<= )/), 150);
    });
  })
  .listen(port, "127.0.0.1");
