-- Every lexeme of the index carries its owner's prefix (`u` and the first 16 hex digits of
-- the owner's id, as the application writes them from now on and as SQLite's index always
-- had), so a word's GIN posting list holds that owner's matches only. The GIN index of
-- (owner, terms) goes: it read the owner's whole posting list on every search.
drop index message_search_owner_terms;
-- Lexemes are letters and digits only (the application splits words on everything else), so
-- each is exactly one quoted run in the text form of a tsvector.
update message_search
set terms = regexp_replace(
    terms::text, '''([^'']+)''', '''u' || left(replace(owner, '-', ''), 16) || '\1''', 'g'
)::tsvector;
create index message_search_terms on message_search using gin (terms);
analyze message_search;
