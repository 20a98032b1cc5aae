-- Accounts: users, their login sessions and their API keys.
-- Ids are uuid text; times are milliseconds since the epoch (the same on both engines).

create table users (
    id            text primary key,
    login         text not null,
    -- the lowercased login: its unique index makes "Ann" and "ann" the same account
    login_key     text not null,
    password_hash text not null,
    display_name  text not null,
    about         text not null default '',
    created_at    bigint not null,
    updated_at    bigint not null
);
create unique index users_login_key on users (login_key);

create table auth_sessions (
    id                  text primary key,
    user_id             text not null references users (id) on delete cascade,
    -- sha-256 of the cookie token; the token itself is never stored
    token_hash          text not null,
    created_at          bigint not null,
    last_seen_at        bigint not null,
    -- sliding expiry, moved forward on use but never past absolute_expires_at
    expires_at          bigint not null,
    absolute_expires_at bigint not null,
    user_agent          text,
    ip                  text
);
create unique index auth_sessions_token_hash on auth_sessions (token_hash);
create index auth_sessions_user on auth_sessions (user_id);
create index auth_sessions_expires on auth_sessions (expires_at);

create table api_keys (
    id           text primary key,
    user_id      text not null references users (id) on delete cascade,
    name         text not null,
    -- sha-256 of the key; the key is shown once at creation and never stored
    key_hash     text not null,
    prefix       text not null,
    created_at   bigint not null,
    last_used_at bigint
);
create unique index api_keys_key_hash on api_keys (key_hash);
create index api_keys_user on api_keys (user_id);
