-- An API key may expire; NULL keeps it until it is revoked.
alter table api_keys add column expires_at bigint;

-- Server-wide secrets made on first start and shared by every process on this database:
-- the key that signs known-device cookies.
create table instance_secrets (
    name  text primary key,
    value text not null
);
