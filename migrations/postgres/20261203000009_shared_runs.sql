-- Agent runs every process can see (several processes run on PostgreSQL only; SQLite's one
-- process keeps them in memory). A chat has at most one live run (ended_at null): its row is
-- the chat's turn for the whole instance, kept alive by the owning process's heartbeat and
-- taken over when that goes stale (the process died). The owner writes the run's events in
-- order; followers on any process read them; Stop from any process sets stop_requested,
-- which the owner reads with its heartbeat. Ended runs are purged after a minute.
create table runs (
    id             text    primary key,
    chat_id        text    not null,
    owner          text    not null,
    started_at     bigint  not null,
    heartbeat_at   bigint  not null,
    stop_requested boolean not null default false,
    ended_at       bigint
);
create unique index runs_one_live_per_chat on runs (chat_id) where ended_at is null;
create index runs_ended_at on runs (ended_at);

create table run_events (
    run_id text    not null references runs (id) on delete cascade,
    seq    integer not null,
    event  text    not null,
    primary key (run_id, seq)
);
