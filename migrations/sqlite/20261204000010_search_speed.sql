-- The recall agent's answers (written while no model was connected) are lists of quotes from
-- other messages; they leave the index, so a later search does not quote the quotes. New ones
-- are marked `"recall": true` in their data and never indexed. Before that mark, every such
-- answer ended with the same sentence.
delete from message_fts where rowid in (
    select seq from messages
    where role = 'assistant'
      and content like '%No language model is connected, so I can only search your chats.%'
);

-- Titles are searchable: their words as the index normalizes them, each after a space, so
-- `like '% stem%'` matches a word by its stem. Filled by the application (which normalizes
-- words the same way on both engines); titles from before are filled at the next start.
alter table chats add column title_words text;
