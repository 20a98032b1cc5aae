-- Tokens each agent run used: the model's own figures, or estimates (estimated = 1) when it
-- reported none. Kept when the chat is deleted (what was spent stays spent); goes with the user.
create table run_usage (
    run_id            text primary key,
    owner             text not null references users (id) on delete cascade,
    chat_id           text not null,
    at                bigint not null,
    prompt_tokens     bigint not null,
    completion_tokens bigint not null,
    estimated         bigint not null
);
create index run_usage_owner_at on run_usage (owner, at);
