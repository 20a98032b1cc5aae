-- Chat documents and search.

-- Who wrote each message as the chat document names them: the user's display name when they
-- wrote, or the agent's name. Lets `maruntime memory rebuild` reproduce documents exactly.
alter table messages add column author text;
-- The owner's display name when the chat began (the document's `User:` line).
alter table chats add column user_name text;

create extension if not exists pg_trgm;
create extension if not exists btree_gin;

-- The full-text index of messages. The application fills it in the same transaction as the
-- message: Snowball stems in order with weight A (word forms, phrases) and the distinct
-- lowercased words with weight B (partial-word prefixes), parsed by the `simple` config
-- because the stemming is already done. The owner and chat are kept beside the terms so a
-- search is scoped inside one GIN index (owner, terms) rather than by joins after it.
create table message_search (
    seq   bigint primary key references messages (seq) on delete cascade,
    owner text not null,
    chat  text not null,
    terms tsvector not null
);
create index message_search_owner_terms on message_search using gin (owner, terms);

-- Every word each user has written: the fallback for typos finds near spellings among the
-- user's own words by trigram. Goes with the user.
create table search_terms (
    owner text not null references users (id) on delete cascade,
    term  text not null,
    primary key (owner, term)
);
create index search_terms_trigram on search_terms using gin (owner, term gin_trgm_ops);
