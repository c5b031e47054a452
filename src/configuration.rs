//! Settings: built-in defaults → `config/default.toml` → `config/local.toml`
//! → environment (`ICTSKILLS__SECTION__KEY`) → `DATABASE_URL`.
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A string that never prints.
#[derive(Clone, Deserialize, Default)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub data_dir: PathBuf,
    pub smtp: SmtpSettings,
    pub auth: AuthSettings,
    pub mail: MailSettings,
    pub site: SiteSettings,
    pub centre: CentreSettings,
    pub reminders: ReminderSettings,
    pub media: MediaSettings,
    pub exams: ExamSettings,
    pub certificates: CertificateSettings,
    pub limits: LimitSettings,
}

/// Per-instance rate limits (see `routes::limits`).
#[derive(Clone, Debug, Deserialize)]
pub struct LimitSettings {
    /// Password-reset requests and confirmations per minute per address.
    pub resets_per_minute: u32,
    /// Reset links mailed per account per hour.
    pub reset_mails_per_hour: u32,
    /// Imports (questions, rosters, units) per minute per address.
    pub imports_per_minute: u32,
}

#[derive(Clone, Debug, Deserialize)]
pub struct CertificateSettings {
    /// Lookups (verify page, lookup form, public API) per minute per address.
    pub lookups_per_minute: u32,
    /// How often the background issuer looks for certificates due.
    pub issuer_interval_seconds: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ExamSettings {
    /// Saves are accepted this long after the deadline (requests in flight).
    pub grace_seconds: i64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct MediaSettings {
    /// Largest lesson video accepted, in bytes.
    pub max_video_bytes: usize,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ReminderSettings {
    /// Send reminders to inactive learners and weekly summaries to trainers.
    pub enabled: bool,
    /// A learner who has not studied for this many days is reminded (once per such period).
    pub inactive_days: i64,
    /// Weekly summaries go out on this day: 1 = Monday … 7 = Sunday.
    pub summary_weekday: u32,
    pub check_interval_seconds: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ServerSettings {
    /// Address to listen on; port 0 picks a free port.
    pub bind: String,
    /// Public base URL used in e-mails, QR codes and credentials.
    pub base_url: Option<String>,
    pub workers: Option<usize>,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy you run).
    pub trust_forwarded_for: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Time limit of an ordinary request (milliseconds); over it: 503.
    pub request_timeout_ms: u64,
    /// Time limit of uploads, imports, exports and reports (milliseconds).
    pub upload_timeout_ms: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct DatabaseSettings {
    /// `postgres://…` selects PostgreSQL; empty means SQLite in the data dir.
    pub url: Option<Secret>,
    pub max_connections: u32,
    /// SQLite only: `full` (default: every commit is flushed to disk before
    /// it is acknowledged) or `normal` (WAL: survives a crash of the process,
    /// not a power cut; faster).
    pub sqlite_synchronous: String,
    /// How long a request waits for a database connection before it gets
    /// 503 (milliseconds).
    pub acquire_timeout_ms: u64,
    /// SQLite only: how long a writer waits for another process's lock
    /// before giving up with 503 (milliseconds).
    pub sqlite_busy_timeout_ms: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SmtpSettings {
    /// Without a host, messages are written as `.eml` files under `<data_dir>/outbox`.
    pub host: Option<String>,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub from: String,
    /// `starttls`, `tls` or `none`.
    pub security: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct AuthSettings {
    pub token_ttl_seconds: i64,
    /// Failed logins for one account within the window before it is locked.
    pub account_failures: i32,
    /// Failed logins from one address within the window before it is refused.
    pub address_failures: i32,
    pub failure_window_seconds: i64,
    pub lockout_seconds: i64,
    pub reset_link_ttl_seconds: i64,
    pub invite_link_ttl_seconds: i64,
    /// Send the session cookie only over HTTPS.
    pub secure_cookies: bool,
}

#[derive(Clone, Debug, Deserialize)]
pub struct MailSettings {
    pub poll_interval_ms: u64,
    pub max_attempts: i32,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SiteSettings {
    pub time_zone: String,
    pub default_lang: String,
    /// Print a one-time setup link when no admin exists.
    pub setup_link_on_start: bool,
}

#[derive(Clone, Debug, Deserialize)]
pub struct CentreSettings {
    pub name: String,
    pub code: String,
    pub address: String,
    pub head_name: String,
    pub head_title: String,
}

/// Where the database lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite(PathBuf),
    Postgres,
}

impl Settings {
    /// Loads settings from `config_dir` (if it exists) and the environment.
    pub fn load(config_dir: &Path) -> anyhow::Result<Settings> {
        let builder = config::Config::builder()
            .set_default("server.bind", "127.0.0.1:8080")?
            .set_default("server.trust_forwarded_for", false)?
            .set_default("server.max_body_bytes", 20 * 1024 * 1024)?
            .set_default("database.max_connections", 10)?
            .set_default("database.sqlite_synchronous", "full")?
            .set_default("database.acquire_timeout_ms", 5000)?
            .set_default("database.sqlite_busy_timeout_ms", 30000)?
            .set_default("data_dir", "./data")?
            .set_default("smtp.port", 587)?
            .set_default("smtp.from", "ictskills <no-reply@localhost>")?
            .set_default("smtp.security", "starttls")?
            .set_default("auth.token_ttl_seconds", 12 * 3600)?
            .set_default("auth.account_failures", 5)?
            .set_default("auth.address_failures", 200)?
            .set_default("auth.failure_window_seconds", 900)?
            .set_default("auth.lockout_seconds", 900)?
            .set_default("auth.reset_link_ttl_seconds", 2 * 3600)?
            .set_default("auth.invite_link_ttl_seconds", 14 * 24 * 3600)?
            .set_default("auth.secure_cookies", false)?
            .set_default("mail.poll_interval_ms", 2000)?
            .set_default("mail.max_attempts", 12)?
            .set_default("site.time_zone", "Asia/Ho_Chi_Minh")?
            .set_default("site.default_lang", "vi")?
            .set_default("site.setup_link_on_start", true)?
            .set_default("centre.name", "Trung tâm sát hạch")?
            .set_default("centre.code", "TT")?
            .set_default("centre.address", "")?
            .set_default("centre.head_name", "")?
            .set_default("centre.head_title", "Giám đốc")?
            .set_default("media.max_video_bytes", 200 * 1024 * 1024)?
            .set_default("exams.grace_seconds", 30)?
            .set_default("certificates.lookups_per_minute", 30)?
            .set_default("certificates.issuer_interval_seconds", 10)?
            .set_default("server.request_timeout_ms", 30_000)?
            .set_default("server.upload_timeout_ms", 600_000)?
            .set_default("limits.resets_per_minute", 10)?
            .set_default("limits.reset_mails_per_hour", 5)?
            .set_default("limits.imports_per_minute", 30)?
            .set_default("reminders.enabled", true)?
            .set_default("reminders.inactive_days", 7)?
            .set_default("reminders.summary_weekday", 1)?
            .set_default("reminders.check_interval_seconds", 3600)?
            .add_source(config::File::from(config_dir.join("default.toml")).required(false))
            .add_source(config::File::from(config_dir.join("local.toml")).required(false))
            .add_source(
                config::Environment::with_prefix("ICTSKILLS")
                    .prefix_separator("__")
                    .separator("__"),
            );
        let mut settings: Settings = builder.build()?.try_deserialize()?;
        if let Ok(url) = std::env::var("DATABASE_URL")
            && !url.trim().is_empty()
        {
            settings.database.url = Some(Secret::new(url));
        }
        Ok(settings)
    }

    pub fn database_kind(&self) -> DatabaseKind {
        match &self.database.url {
            Some(url) if is_postgres_url(url.expose()) => DatabaseKind::Postgres,
            Some(url) if url.expose().starts_with("sqlite:") => {
                let path = url
                    .expose()
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:");
                let path = path.split('?').next().unwrap_or(path);
                DatabaseKind::Sqlite(PathBuf::from(path))
            }
            _ => DatabaseKind::Sqlite(self.data_dir.join("ictskills.db")),
        }
    }

    /// Cookies carry `Secure` when set so, or when the public URL is HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.auth.secure_cookies || self.base_url().starts_with("https://")
    }

    /// The base URL without a trailing slash.
    pub fn base_url(&self) -> String {
        self.server
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.server.bind))
            .trim_end_matches('/')
            .to_string()
    }

    pub fn time_zone(&self) -> chrono_tz::Tz {
        self.site
            .time_zone
            .parse()
            .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh)
    }

    pub fn grace(&self) -> chrono::Duration {
        chrono::Duration::seconds(self.exams.grace_seconds.max(0))
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }
}

pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

static LOCAL_TZ: std::sync::OnceLock<chrono_tz::Tz> = std::sync::OnceLock::new();

/// Records the installation's time zone for code that has no settings at
/// hand (class-end cut-offs); the first call wins.
pub fn set_local_tz(tz: chrono_tz::Tz) {
    let _ = LOCAL_TZ.set(tz);
}

/// The installation's time zone (default `Asia/Ho_Chi_Minh`).
pub fn local_tz() -> chrono_tz::Tz {
    LOCAL_TZ
        .get()
        .copied()
        .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh)
}
