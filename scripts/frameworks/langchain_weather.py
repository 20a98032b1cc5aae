"""LangChain's ChatOpenAI with bound tools, in a tool-calling loop, through maruntime.

Run by scripts/framework-demo.sh, which starts the server and the fake model.
"""
import os

from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"rain by noon in {city}"


llm = ChatOpenAI(
    model="memory-agent",
    base_url=os.environ["MARUNTIME_URL"] + "/v1",
    api_key=os.environ["MARUNTIME_KEY"],
    temperature=0.2,
    max_tokens=200,
).bind_tools([get_weather])

messages = [HumanMessage("What is the weather today?")]
for _ in range(4):
    reply = llm.invoke(messages)
    messages.append(reply)
    if not reply.tool_calls:
        break
    for call in reply.tool_calls:
        print("tool call:", call["name"], call["args"])
        messages.append(ToolMessage(get_weather.invoke(call["args"]), tool_call_id=call["id"]))
print("final output:", reply.content)
assert reply.content == "The tool said: rain by noon in Paris", reply.content
