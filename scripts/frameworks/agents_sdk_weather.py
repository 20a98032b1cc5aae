"""An OpenAI Agents SDK agent with its own tool, driven through maruntime's gateway.

The agent's model is maruntime (its chat-completions model class); the tool runs here, in
the framework. Run by scripts/framework-demo.sh, which starts the server and the fake model.
"""
import asyncio
import os

from agents import Agent, OpenAIChatCompletionsModel, Runner, function_tool, set_tracing_disabled
from openai import AsyncOpenAI

calls = []


@function_tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    calls.append(city)
    return f"sunny and 24 C in {city}"


async def main() -> None:
    set_tracing_disabled(True)  # no calls to OpenAI's tracing service
    client = AsyncOpenAI(base_url=os.environ["MARUNTIME_URL"] + "/v1", api_key=os.environ["MARUNTIME_KEY"])
    agent = Agent(
        name="Weather",
        instructions="Answer weather questions with the get_weather tool.",
        tools=[get_weather],
        model=OpenAIChatCompletionsModel(model="memory-agent", openai_client=client),
    )
    result = await Runner.run(agent, "What is the weather today?")
    print("tool called with:", calls)
    print("final output:", result.final_output)
    assert calls == ["Paris"], calls
    assert result.final_output == "The tool said: sunny and 24 C in Paris", result.final_output


asyncio.run(main())
