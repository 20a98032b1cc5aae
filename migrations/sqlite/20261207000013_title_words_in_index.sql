-- The title tier of search walks the owner's chats newest first and keeps those whose title
-- has the words. With `title_words` in the index the walk tests each title from the index
-- itself; without it, every chat's row was read to test it, which cost 7 to 10 ms on 10,000
-- chats (an import) for a word in no title, and now about 2 ms. The chat list reads the same
-- index as before.
drop index chats_user_updated;
create index chats_user_updated on chats (user_id, updated_at desc, id desc, title_words);
