-- Failed-attempt counters shared by every process serving this database (several processes
-- run on PostgreSQL only; SQLite's one process counts in memory). One row per attempt and
-- bucket (`ip:…`, `login:…`, `device:…`, `confirm:…`, `register:…`); a success deletes its
-- reservation's rows, and rows older than the longest window are purged by the one process
-- holding the housekeeping lease.
create table attempts (
    id     text   not null,
    bucket text   not null,
    at     bigint not null,
    primary key (bucket, at, id)
);
create index attempts_id on attempts (id);
create index attempts_at on attempts (at);
