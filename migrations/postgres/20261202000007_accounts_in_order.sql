-- The administration lists accounts oldest first, a page at a time: this index walks them in
-- that order instead of sorting every account for each page.
create index users_created on users (created_at, id);

-- The instance's usage per day (all accounts) reads a date range of every account's runs.
create index run_usage_at on run_usage (at);
