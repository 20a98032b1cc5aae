-- History brought from other products. A chat imported from an export remembers where it
-- came from (`chatgpt:<conversation id>`, …) and each of its messages its id there, so
-- importing the same export again adds nothing, and a newer export of a conversation that
-- grew adds only its new messages. Unique per account: another account importing the same
-- file gets chats of its own.
alter table chats add column source text;
create unique index chats_user_source on chats (user_id, source) where source is not null;
alter table messages add column source_id text;

-- Imports under way and the latest one finished, one row per import. Every process reads
-- the progress here, and at most one import per account runs at once: the partial unique
-- index refuses a second running row. A running row whose `updated_at` stopped moving
-- belongs to a process that died; the next import takes it over.
create table imports (
    id                  text primary key,
    user_id             text not null references users (id) on delete cascade,
    -- running, done or failed
    state               text not null,
    -- receiving, checking, importing (while running)
    phase               text not null,
    bytes_total         bigint,
    bytes_done          bigint not null default 0,
    conversations_total bigint,
    conversations_done  bigint not null default 0,
    imported            bigint not null default 0,
    skipped             bigint not null default 0,
    messages            bigint not null default 0,
    -- what went wrong, for a person (failed only)
    error               text,
    started_at          bigint not null,
    updated_at          bigint not null
);
create unique index imports_one_running on imports (user_id) where state = 'running';
create index imports_user_started on imports (user_id, started_at desc);
