//! Integration tests: the real app, started on port 0 with a fresh database per test.

mod fake_llm;
mod helpers;

mod account_races;
mod accounts;
mod admin;
mod agent;
mod api_keys;
mod chat_documents;
mod chats;
mod csrf_and_limits;
mod foundation;
mod gateway_dialect;
mod hardening;
mod import_limits;
mod imports;
mod keys_and_sessions;
mod languages;
mod login_limits;
mod page_deadline;
mod page_security;
mod profile_document;
mod runs;
mod search;
mod search_quality;
mod server_processes;
mod sessions;
mod shared_database;
mod storage_contract;
