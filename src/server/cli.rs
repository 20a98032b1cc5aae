//! `maruntime memory …`: maintenance of chat documents and the search index from the database.
//! `maruntime users …`: the accounts and their roles, for an owner locked out of `/admin`.
//! Both work on a stopped or a running server: they go to the database directly.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use uuid::Uuid;

use super::chats::ChatService;
use super::config::Config;
use super::imports::job::import_file;
use super::imports::slot::ImportSlot;
use super::memory::{ChatMemory, Problem};
use super::search::terms_to_index;
use super::startup::{chat_documents, load_agents};
use super::store::{AdminChange, Store};
use crate::model::AccountRole;

pub const USAGE: &str = "usage:
  maruntime                                  serve the app
  maruntime memory rebuild [--user USER_ID]  rewrite chat documents from the database
                                             (stop the server first: it may be writing them)
  maruntime memory verify [--user USER_ID]   report documents that differ from the database
  maruntime memory reindex                   rebuild the search index from the database
  maruntime users list                       every account: login, role, disabled, created
  maruntime users set-role LOGIN admin|user  make an account admin, or a user again
  maruntime import --user LOGIN FILE         import chats from a ChatGPT, Claude, Open WebUI
                                             or LibreChat export (.zip or .json)";

/// Messages indexed per transaction by `reindex`.
const REINDEX_BATCH: i64 = 2_000;

enum Command {
    Rebuild(Option<Uuid>),
    Verify(Option<Uuid>),
    Reindex,
    ListUsers,
    SetRole(String, AccountRole),
    Import { login: String, file: PathBuf },
}

fn parse(args: &[String]) -> Result<Command, String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let user = |rest: &[&str]| -> Result<Option<Uuid>, String> {
        match rest {
            [] => Ok(None),
            ["--user", id] => Uuid::parse_str(id)
                .map(Some)
                .map_err(|_| format!("--user: not a user id: {id}")),
            _ => Err(format!("unexpected arguments: {}", rest.join(" "))),
        }
    };
    match words.as_slice() {
        ["memory", "rebuild", rest @ ..] => Ok(Command::Rebuild(user(rest)?)),
        ["memory", "verify", rest @ ..] => Ok(Command::Verify(user(rest)?)),
        ["memory", "reindex"] => Ok(Command::Reindex),
        ["users", "list"] => Ok(Command::ListUsers),
        ["users", "set-role", login, role] => AccountRole::parse(role)
            .map(|r| Command::SetRole(login.to_string(), r))
            .ok_or_else(|| format!("set-role: the role is admin or user, not {role}")),
        ["import", "--user", login, file] | ["import", file, "--user", login] => {
            Ok(Command::Import {
                login: login.to_string(),
                file: PathBuf::from(file),
            })
        }
        ["import", ..] => Err("import: give --user LOGIN and the export file".into()),
        _ => Err(format!("unknown command: {}", words.join(" "))),
    }
}

/// Runs a maintenance command; the exit code says whether it succeeded (verify: whether every
/// document matched).
pub async fn run(args: &[String], config: Config) -> ExitCode {
    if matches!(
        args.first().map(String::as_str),
        Some("help" | "--help" | "-h")
    ) {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let command = match parse(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("maruntime: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match execute(command, &config).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("maruntime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command, config: &Config) -> Result<ExitCode, String> {
    let store = Store::connect(&config.database_url)
        .await
        .map_err(|e| format!("database: {e}"))?;
    let catalog = load_agents(config).map_err(|e| e.to_string())?;
    let documents = chat_documents(ChatMemory::new(&config.memory_dir), &store, &catalog);
    let started = Instant::now();
    let code = match command {
        Command::Rebuild(user) => {
            let n = documents.rebuild(user).await.map_err(|e| e.to_string())?;
            println!(
                "rebuilt {n} chat documents in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Command::Verify(user) => {
            let findings = documents.verify(user).await.map_err(|e| e.to_string())?;
            for f in &findings {
                let what = match f.problem {
                    Problem::Missing => "missing",
                    Problem::Differs => "differs",
                    Problem::Orphan => "no chat",
                };
                println!("{what:8} chats/{}/{}.md", f.user_id, f.chat_id);
            }
            if findings.is_empty() {
                println!("all chat documents match the database");
                ExitCode::SUCCESS
            } else {
                println!(
                    "{} chat documents differ from the database; `maruntime memory rebuild` rewrites them",
                    findings.len()
                );
                ExitCode::FAILURE
            }
        }
        Command::ListUsers => list_users(&store).await?,
        Command::SetRole(login, role) => set_role(&store, &login, role).await?,
        Command::Import { login, file } => {
            let chats = ChatService::new(
                store.clone(),
                catalog.all().iter().map(|a| a.id.clone()).collect(),
                documents,
            );
            import(&store, &chats, config, &login, file).await?
        }
        Command::Reindex => {
            let n = store
                .reindex(terms_to_index, REINDEX_BATCH)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "indexed {n} messages in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
    };
    store.close().await;
    Ok(code)
}

/// Every account, oldest first, a page at a time.
async fn list_users(store: &Store) -> Result<ExitCode, String> {
    println!("{:<32} {:<6} {:<9} created", "login", "role", "disabled");
    let mut offset = 0;
    loop {
        let page = store
            .admin_users("", 200, offset, 0)
            .await
            .map_err(|e| e.to_string())?;
        for u in &page {
            println!(
                "{:<32} {:<6} {:<9} {}",
                u.login,
                u.role.as_str(),
                if u.disabled { "yes" } else { "no" },
                u.created_at.format("%Y-%m-%d %H:%M UTC")
            );
        }
        if page.len() < 200 {
            return Ok(ExitCode::SUCCESS);
        }
        offset += 200;
    }
}

/// Imports an export file for an account, as `POST /v1/imports` does (one import per
/// account at a time, with the server's too), printing progress on one line.
async fn import(
    store: &Store,
    chats: &ChatService,
    config: &Config,
    login: &str,
    file: PathBuf,
) -> Result<ExitCode, String> {
    let row = account(store, login).await?;
    let size = std::fs::metadata(&file)
        .map_err(|e| format!("{}: {e}", file.display()))?
        .len();
    let slot = ImportSlot::take(store, row.user.id, Some(size))
        .await
        .map_err(|e| e.to_string())?;
    let progress = slot.progress().clone();
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            let now = progress.snapshot();
            eprint!(
                "\r{}: {} of {} conversations, {} chats, {} messages   ",
                now.phase,
                now.conversations_done,
                now.conversations_total
                    .map_or("?".into(), |n| n.to_string()),
                now.imported,
                now.messages
            );
        }
    });
    let result = import_file(
        chats,
        &row.user,
        file,
        config.import_max_bytes,
        config.import_max_message_bytes,
        slot.progress(),
    )
    .await;
    ticker.abort();
    eprintln!();
    slot.finish(result.as_ref().err()).await;
    let summary = result.map_err(|e| e.to_string())?;
    println!(
        "imported {} chats ({} messages), skipped {}",
        summary.imported, summary.messages, summary.skipped
    );
    if summary.truncated > 0 {
        println!(
            "{} messages were longer than MARUNTIME_IMPORT_MAX_MESSAGE_BYTES and were cut",
            summary.truncated
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The account whose login is `login` (as people type it: case and spaces do not matter).
async fn account(store: &Store, login: &str) -> Result<crate::server::store::UserRow, String> {
    let key = crate::validation::login_key(login.trim());
    store
        .user_by_login_key(&key)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no account with the login {login}"))
}

async fn set_role(store: &Store, login: &str, role: AccountRole) -> Result<ExitCode, String> {
    let row = account(store, login).await?;
    match store
        .set_role(row.user.id, role)
        .await
        .map_err(|e| e.to_string())?
    {
        AdminChange::Done => {
            println!("{} is now {}", row.user.login, role.as_str());
            Ok(ExitCode::SUCCESS)
        }
        AdminChange::NoSuchUser => Err(format!("no account with the login {login}")),
        AdminChange::LastAdmin => Err(format!(
            "{} is the last enabled admin: make another account admin first",
            row.user.login
        )),
    }
}
