-- The instance owner is in control: roles, disabled accounts, per-account token limits,
-- invites, and a record of the first account (it becomes admin, even when registration is
-- closed).

alter table users add column role text not null default 'user';
alter table users add column disabled bigint not null default 0;
-- tokens per UTC day; NULL: the instance's default (MARUNTIME_USER_DAILY_TOKENS)
alter table users add column daily_token_limit bigint;

-- One row once the first account exists; claimed in the same transaction as that account.
create table instance_owner (
    id         bigint primary key check (id = 1),
    user_id    text not null,
    claimed_at bigint not null
);

-- An instance that already has accounts: its oldest one is the owner and admin.
insert into instance_owner (id, user_id, claimed_at)
    select 1, id, created_at from users order by created_at, id limit 1;
update users set role = 'admin' where id = (select user_id from instance_owner);

create table invites (
    id         text primary key,
    -- sha-256 of the invite token; the token is shown once, in the link
    token_hash text not null,
    created_by text references users (id) on delete set null,
    created_at bigint not null,
    expires_at bigint not null,
    used_at    bigint,
    used_by    text references users (id) on delete set null
);
create unique index invites_token_hash on invites (token_hash);
