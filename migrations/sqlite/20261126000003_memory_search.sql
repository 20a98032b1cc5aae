-- Chat documents and search.

-- Who wrote each message as the chat document names them: the user's display name when they
-- wrote, or the agent's name. Lets `maruntime memory rebuild` reproduce documents exactly.
alter table messages add column author text;
-- The owner's display name when the chat began (the document's `User:` line).
alter table chats add column user_name text;

-- The full-text index of messages (rowid = messages.seq), contentless: it keeps only what
-- matching needs. The application fills it in the same transaction as the message: `stems`
-- are Snowball stems in order (word forms, phrases), `words` the distinct lowercased words
-- (partial-word prefixes), `chat` one token for the chat. Every stem and word carries its
-- owner's prefix (`u` and 16 hex digits of the user id), so each user has terms of their own:
-- a search reads only that user's postings, however many other users there are.
-- Diacritics are kept: folding them would turn Russian "й" into "и".
create virtual table message_fts using fts5(
    stems, words, chat,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);
-- `order by rank` ranks by bm25 with stems weighing twice a bare prefix; the chat never counts.
insert into message_fts (message_fts, rank) values ('rank', 'bm25(2.0, 1.0, 0.0)');
create trigger messages_fts_delete after delete on messages begin
    delete from message_fts where rowid = old.seq;
end;

-- Every word each user has written, and its trigrams (same rowid): the fallback for typos
-- finds near spellings among the user's own words. Goes with the user.
create table search_terms (
    id    integer primary key,
    owner text not null references users (id) on delete cascade,
    term  text not null,
    unique (owner, term)
);
create virtual table search_terms_trigrams using fts5(
    term, owner unindexed, tokenize = 'trigram'
);
create trigger search_terms_insert after insert on search_terms begin
    insert into search_terms_trigrams (rowid, term, owner) values (new.id, new.term, new.owner);
end;
create trigger search_terms_delete after delete on search_terms begin
    delete from search_terms_trigrams where rowid = old.id;
end;
