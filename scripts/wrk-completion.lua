-- wrk script for scripts/bench.sh agent: non-streamed completions, each answered only after
-- its reply is stored. The API key comes in the Authorization header (-H).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"memory-agent","messages":[{"role":"user","content":"hello"}]}'
