-- Tokens held by agent runs in flight against a daily limit, so a burst of requests cannot
-- spend the day's quota many times over: a run admitted under a limit reserves an estimate
-- here, and its row goes when the run ends (its real usage is in run_usage by then). A
-- process that dies leaves rows that stop counting at `expires_at`.
create table token_reservations (
    id         text primary key,
    owner      text not null references users (id) on delete cascade,
    tokens     bigint not null,
    expires_at bigint not null
);
create index token_reservations_owner on token_reservations (owner, expires_at);
