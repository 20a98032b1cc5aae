-- Word postings in recency order. A GIN index answers "which messages have this word" but not
-- "the newest 300 of them": for a word in half of a person's messages it hands back tens of
-- thousands of rows to sort, or the planner walks the owner's messages instead, and which of
-- the two it picks depends on statistics a fresh database does not have. Here every stem of a
-- message is a row under its owner's prefix (`u` and 16 hex digits of the owner's id, as on
-- SQLite), so the primary key's order is (word, newest message): the newest matches of a word
-- are a range read of exactly as many entries as are wanted, whatever the statistics.
-- `tf` is how often the stem occurs in the message (its weight in the rank).
-- Filled by the application with the message; a database from before is indexed again at its
-- next start (the index is checked for postings).
create table search_postings (
    term text   not null,
    seq  bigint not null references message_search (seq) on delete cascade,
    tf   integer not null,
    -- `tf` in the index too: a page of postings is read from the index alone (once vacuum
    -- has marked the table's pages visible), not from 300 scattered rows of the table.
    primary key (term, seq) include (tf)
);
-- For the cascade: deleting a message finds its postings by its number.
create index search_postings_seq on search_postings (seq);
-- A page is read from the index alone only where vacuum has marked the table's pages visible,
-- and the pages written last hold the newest postings, the ones every search reads first.
-- Vacuum after every 2% of growth (PostgreSQL's default waits for 20%); on an append-only
-- table it visits only the pages written since.
alter table search_postings set (autovacuum_vacuum_insert_scale_factor = 0.02);
