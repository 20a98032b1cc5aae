-- The language an account chose for the web UI ("en", "ru"); null follows the browser's
-- Accept-Language.
alter table users add column language text;
