-- An import can be stopped: its owner sets `stop_requested` (from any process), and the
-- process running it sees the flag at its next progress report. `truncated` counts the
-- imported messages cut to MARUNTIME_IMPORT_MAX_MESSAGE_BYTES.
alter table imports add column stop_requested bigint not null default 0;
alter table imports add column truncated bigint not null default 0;
