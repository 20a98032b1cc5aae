-- Chats and their messages. Every chat belongs to one user and goes when the user goes.

create table chats (
    id         text primary key,
    user_id    text not null references users (id) on delete cascade,
    title      text not null,
    agent      text not null,
    created_at bigint not null,
    -- moves on every new message; the chat list is ordered by it
    updated_at bigint not null
);
create index chats_user_updated on chats (user_id, updated_at desc, id desc);

create table messages (
    -- insertion order: never ties, and it is what message cursors point at
    seq        integer primary key autoincrement,
    id         text not null unique,
    chat_id    text not null references chats (id) on delete cascade,
    role       text not null check (role in ('user', 'assistant', 'tool', 'system')),
    content    text not null,
    -- JSON: tool calls and agent steps, when the message has them
    data       text,
    created_at bigint not null
);
create index messages_chat_seq on messages (chat_id, seq);
