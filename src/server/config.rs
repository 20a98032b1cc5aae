//! Typed configuration, read once at start-up.
//!
//! Precedence, highest first: the process environment, an optional `.env` file, the app's
//! defaults in `Leptos.toml`, and the built-in defaults below. A bad value stops start-up with
//! one line naming the variable.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// A value that must never be printed (API keys).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The OpenAI-compatible model endpoint (used by the agent runtime).
#[derive(Debug, Clone, Default)]
pub struct LlmConfig {
    pub base_url: Option<String>,
    pub api_key: Option<Secret>,
    pub model: Option<String>,
    /// Longest silence allowed while waiting for the model's next chunk.
    pub idle_timeout_secs: Option<u64>,
}

/// What bounds agent runs, so a model that never stops or a flood of requests cannot hold
/// the server.
#[derive(Debug, Clone)]
pub struct RunLimits {
    /// The longest reply in tokens: sent as `max_tokens` and enforced on what arrives.
    pub max_reply_tokens: u32,
    /// The longest a run may take, tools and every model call included.
    pub run_timeout_secs: u64,
    /// The largest single SSE event, and the largest error body, read from the model.
    pub max_event_bytes: usize,
    /// Runs going at once for one user, and on the whole server (queued turns not counted).
    pub runs_per_user: usize,
    pub runs_total: usize,
    /// Turns that may wait behind a chat's running turn.
    pub queue_per_chat: usize,
    /// Messages one `/v1/chat/completions` request may carry.
    pub gateway_max_messages: usize,
    /// Tokens per UTC day an account may use, unless an admin set its own limit; `None`:
    /// unlimited (`MARUNTIME_USER_DAILY_TOKENS`).
    pub user_daily_tokens: Option<u64>,
}

impl Default for RunLimits {
    fn default() -> Self {
        RunLimits {
            max_reply_tokens: 4096,
            run_timeout_secs: 300,
            max_event_bytes: 1024 * 1024,
            runs_per_user: 4,
            runs_total: 64,
            queue_per_chat: 32,
            gateway_max_messages: 1000,
            user_daily_tokens: None,
        }
    }
}

/// Everything the server needs to know, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://path` (default `sqlite://data/maruntime.db`) or `postgres://...`.
    pub database_url: String,
    /// Where chat documents and `user.md` profiles live.
    pub memory_dir: PathBuf,
    /// Address the server binds; port 0 picks a free port.
    pub site_addr: SocketAddr,
    /// Whether the session cookie carries `Secure`.
    pub cookie_secure: bool,
    pub llm: LlmConfig,
    /// Failed logins allowed per login and per client address in 5 minutes.
    pub login_limit: u32,
    /// Registrations allowed per client address per hour.
    pub register_limit: u32,
    /// Proxies whose `X-Forwarded-For` is believed; empty means the socket address is the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// How many password hashes may run at once (each takes ~19 MiB).
    pub hash_concurrency: usize,
    /// How many password checks may wait for one; more are refused with 429 at once.
    pub hash_queue: usize,
    /// A TOML file defining more agents.
    pub agents_file: Option<PathBuf>,
    /// How many characters of chat history the agent sends to the model at most.
    pub context_chars: usize,
    pub runs: RunLimits,
    /// Who may create an account (`MARUNTIME_REGISTRATION`).
    pub registration: Registration,
    /// How long a stopping server lets its runs finish before it stops them and stores what
    /// arrived (`MARUNTIME_SHUTDOWN_GRACE_SECS`, default 30).
    pub drain_secs: std::time::Duration,
    /// The largest upload `POST /v1/imports` takes (`MARUNTIME_IMPORT_MAX_BYTES`, default
    /// 512 MiB); every other request keeps the 1 MiB limit.
    pub import_max_bytes: u64,
    /// The longest imported message kept whole (`MARUNTIME_IMPORT_MAX_MESSAGE_BYTES`,
    /// default 256 KiB); a longer one is cut there with a marker.
    pub import_max_message_bytes: usize,
    /// Imports read at once on this server (`MARUNTIME_IMPORTS_AT_ONCE`, default 2); more
    /// wait their turn, so many accounts importing cannot multiply an import's memory.
    pub imports_at_once: usize,
    /// The longest a server-rendered page may take (`MARUNTIME_PAGE_DEADLINE_SECS`, default
    /// 10): past it the person gets an error page (503) and the log names the route and what
    /// the page was still waiting for, instead of a connection that never ends.
    pub page_deadline: std::time::Duration,
}

/// Who may register. The first account of an empty instance always may (it becomes admin).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Registration {
    #[default]
    Open,
    /// With an invite an admin made.
    Invite,
    Closed,
}

impl Registration {
    pub fn as_str(self) -> &'static str {
        match self {
            Registration::Open => "open",
            Registration::Invite => "invite",
            Registration::Closed => "closed",
        }
    }
}

/// A configuration value that could not be used.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub var: String,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}: {}", self.var, self.problem)
    }
}

impl std::error::Error for ConfigError {}

fn bad(var: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        var: var.to_string(),
        problem: problem.into(),
    }
}

/// Keys of `Leptos.toml` and the variables they stand in for.
const FILE_KEYS: [(&str, &str); 3] = [
    ("site_addr", "LEPTOS_SITE_ADDR"),
    ("database_url", "DATABASE_URL"),
    ("memory_dir", "MARUNTIME_MEMORY_DIR"),
];

impl Config {
    /// Reads `.env` (if present), `Leptos.toml` (if present) and the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(bad(".env", e.to_string())),
        }
        let mut values = match std::fs::read_to_string("Leptos.toml") {
            Ok(text) => file_defaults(&text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => return Err(bad("Leptos.toml", e.to_string())),
        };
        for (key, value) in std::env::vars() {
            if key.starts_with("MARUNTIME_") || key == "DATABASE_URL" || key == "LEPTOS_SITE_ADDR" {
                values.insert(key, value);
            }
        }
        Self::from_map(&values)
    }

    /// Builds the config from already-collected values; the pure core of [`Config::from_env`].
    pub fn from_map(values: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |k: &str| {
            values
                .get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };

        let database_url =
            get("DATABASE_URL").unwrap_or_else(|| "sqlite://data/maruntime.db".into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(bad(
                "DATABASE_URL",
                "must start with sqlite:// or postgres:// (for example sqlite://data/maruntime.db)",
            ));
        }

        let memory_dir = PathBuf::from(get("MARUNTIME_MEMORY_DIR").unwrap_or("data/memory".into()));

        let site_addr = get("LEPTOS_SITE_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse::<SocketAddr>()
            .map_err(|_| bad("LEPTOS_SITE_ADDR", "must be an address like 127.0.0.1:3000"))?;

        let cookie_secure = match get("MARUNTIME_COOKIE_SECURE") {
            None => !cfg!(debug_assertions),
            Some(v) => parse_bool("MARUNTIME_COOKIE_SECURE", &v)?,
        };

        let llm_base_url = get("MARUNTIME_LLM_BASE_URL");
        if let Some(url) = &llm_base_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(bad(
                    "MARUNTIME_LLM_BASE_URL",
                    "must be an http:// or https:// URL (for example http://localhost:11434/v1)",
                ));
            }
        }

        let trusted_proxies = match get("MARUNTIME_TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(|s| s.trim().parse::<IpAddr>())
                .collect::<Result<_, _>>()
                .map_err(|_| {
                    bad(
                        "MARUNTIME_TRUSTED_PROXIES",
                        "must be a comma-separated list of IP addresses",
                    )
                })?,
        };

        let default_hashes = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Config {
            database_url,
            memory_dir,
            site_addr,
            cookie_secure,
            llm: LlmConfig {
                base_url: llm_base_url,
                api_key: get("MARUNTIME_LLM_API_KEY").map(Secret::new),
                model: get("MARUNTIME_LLM_MODEL"),
                idle_timeout_secs: match get("MARUNTIME_LLM_TIMEOUT_SECS") {
                    None => None,
                    Some(_) => Some(parse_count(&get, "MARUNTIME_LLM_TIMEOUT_SECS", 60)? as u64),
                },
            },
            login_limit: parse_count(&get, "MARUNTIME_LOGIN_LIMIT", 10)?,
            register_limit: parse_count(&get, "MARUNTIME_REGISTER_LIMIT", 20)?,
            trusted_proxies,
            hash_concurrency: parse_count(
                &get,
                "MARUNTIME_HASH_CONCURRENCY",
                default_hashes as u32,
            )? as usize,
            hash_queue: parse_count(&get, "MARUNTIME_HASH_QUEUE", 64)? as usize,
            agents_file: get("MARUNTIME_AGENTS_FILE").map(PathBuf::from),
            context_chars: parse_count(&get, "MARUNTIME_CONTEXT_CHARS", 24_000)? as usize,
            runs: run_limits(&get)?,
            drain_secs: std::time::Duration::from_secs(parse_count(
                &get,
                "MARUNTIME_SHUTDOWN_GRACE_SECS",
                30,
            )? as u64),
            import_max_bytes: parse_count(&get, "MARUNTIME_IMPORT_MAX_BYTES", 512 << 20)?.into(),
            import_max_message_bytes: match parse_count(
                &get,
                "MARUNTIME_IMPORT_MAX_MESSAGE_BYTES",
                256 << 10,
            )? {
                n if n < 32_000 * 4 => {
                    return Err(bad(
                        "MARUNTIME_IMPORT_MAX_MESSAGE_BYTES",
                        "must be at least 128000 (a message typed here may be 32,000 characters)",
                    ))
                }
                n => n as usize,
            },
            imports_at_once: parse_count(&get, "MARUNTIME_IMPORTS_AT_ONCE", 2)? as usize,
            page_deadline: std::time::Duration::from_secs(
                parse_count(&get, "MARUNTIME_PAGE_DEADLINE_SECS", 10)?.into(),
            ),
            registration: match get("MARUNTIME_REGISTRATION").as_deref() {
                None | Some("open") => Registration::Open,
                Some("invite") => Registration::Invite,
                Some("closed") => Registration::Closed,
                Some(_) => {
                    return Err(bad(
                        "MARUNTIME_REGISTRATION",
                        "must be open, invite or closed",
                    ))
                }
            },
        })
    }
}

fn run_limits(get: &impl Fn(&str) -> Option<String>) -> Result<RunLimits, ConfigError> {
    let d = RunLimits::default();
    let queue_per_chat = parse_count(get, "MARUNTIME_QUEUE_PER_CHAT", d.queue_per_chat as u32)?;
    if queue_per_chat < 16 {
        return Err(bad(
            "MARUNTIME_QUEUE_PER_CHAT",
            "must be at least 16 (scripts send several turns into one chat at once)",
        ));
    }
    Ok(RunLimits {
        max_reply_tokens: parse_count(get, "MARUNTIME_MAX_REPLY_TOKENS", d.max_reply_tokens)?,
        run_timeout_secs: parse_count(get, "MARUNTIME_RUN_TIMEOUT_SECS", d.run_timeout_secs as u32)?
            as u64,
        max_event_bytes: parse_count(
            get,
            "MARUNTIME_LLM_MAX_EVENT_BYTES",
            d.max_event_bytes as u32,
        )? as usize,
        runs_per_user: parse_count(get, "MARUNTIME_RUNS_PER_USER", d.runs_per_user as u32)?
            as usize,
        runs_total: parse_count(get, "MARUNTIME_RUNS_TOTAL", d.runs_total as u32)? as usize,
        queue_per_chat: queue_per_chat as usize,
        gateway_max_messages: parse_count(
            get,
            "MARUNTIME_GATEWAY_MAX_MESSAGES",
            d.gateway_max_messages as u32,
        )? as usize,
        user_daily_tokens: match get("MARUNTIME_USER_DAILY_TOKENS") {
            None => None,
            Some(_) => Some(parse_count(get, "MARUNTIME_USER_DAILY_TOKENS", 1)?.into()),
        },
    })
}

/// Reads the `[app]` table of `Leptos.toml` into the variables it stands in for.
fn file_defaults(text: &str) -> Result<HashMap<String, String>, ConfigError> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| bad("Leptos.toml", e.message().to_string()))?;
    let mut out = HashMap::new();
    let Some(app) = table.get("app") else {
        return Ok(out);
    };
    let app = app
        .as_table()
        .ok_or_else(|| bad("Leptos.toml", "[app] must be a table"))?;
    for (key, var) in FILE_KEYS {
        if let Some(value) = app.get(key) {
            let value = value
                .as_str()
                .ok_or_else(|| bad("Leptos.toml", format!("app.{key} must be a string")))?;
            out.insert(var.to_string(), value.to_string());
        }
    }
    Ok(out)
}

fn parse_bool(var: &str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(bad(var, "must be true or false")),
    }
}

fn parse_count(
    get: &impl Fn(&str) -> Option<String>,
    var: &str,
    default: u32,
) -> Result<u32, ConfigError> {
    match get(var) {
        None => Ok(default),
        Some(v) => match v.parse::<u32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(bad(var, "must be a whole number greater than 0")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let c = Config::from_map(&HashMap::new()).unwrap();
        assert_eq!(c.database_url, "sqlite://data/maruntime.db");
        assert_eq!(c.memory_dir, PathBuf::from("data/memory"));
        assert_eq!(c.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.login_limit, 10);
        assert_eq!(c.register_limit, 20);
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let err = Config::from_map(&map(&[("DATABASE_URL", "mysql://x")])).unwrap_err();
        assert_eq!(err.var, "DATABASE_URL");
        let err = Config::from_map(&map(&[("MARUNTIME_LOGIN_LIMIT", "ten")])).unwrap_err();
        assert_eq!(err.var, "MARUNTIME_LOGIN_LIMIT");
        let err = Config::from_map(&map(&[("MARUNTIME_COOKIE_SECURE", "maybe")])).unwrap_err();
        assert!(err.to_string().contains("MARUNTIME_COOKIE_SECURE"));
    }

    #[test]
    fn secrets_never_print() {
        let c = Config::from_map(&map(&[("MARUNTIME_LLM_API_KEY", "sk-very-secret")])).unwrap();
        assert!(!format!("{c:?}").contains("sk-very-secret"));
    }

    #[test]
    fn leptos_toml_supplies_defaults_under_app() {
        let values = file_defaults("[app]\nmemory_dir = \"/srv/mem\"\n").unwrap();
        assert_eq!(values["MARUNTIME_MEMORY_DIR"], "/srv/mem");
        assert!(file_defaults("[app\n").is_err());
    }
}
