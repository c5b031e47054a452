//! Connecting to SQLite or PostgreSQL and running the migrations.
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::configuration::{DatabaseKind, Settings};

pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let mut opts = match settings.database_kind() {
        DatabaseKind::Postgres => {
            let url = settings
                .database
                .url
                .as_ref()
                .map(|u| u.expose().to_string())
                .unwrap_or_default();
            let mut o = ConnectOptions::new(url);
            o.max_connections(settings.database.max_connections);
            o
        }
        DatabaseKind::Sqlite(path) => {
            if let Some(parent) = path.parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent)?;
            }
            let mut o = ConnectOptions::new(format!("sqlite://{}?mode=rwc", path.display()));
            o.max_connections(settings.database.max_connections.max(2));
            let sync = if settings
                .database
                .sqlite_synchronous
                .eq_ignore_ascii_case("normal")
            {
                SqliteSynchronous::Normal
            } else {
                SqliteSynchronous::Full
            };
            let busy = Duration::from_millis(settings.database.sqlite_busy_timeout_ms.max(1));
            o.map_sqlx_sqlite_opts(move |o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(sync)
                    .foreign_keys(true)
                    .busy_timeout(busy)
            });
            o
        }
    };
    let acquire = Duration::from_millis(settings.database.acquire_timeout_ms.max(100));
    opts.connect_timeout(acquire)
        .acquire_timeout(acquire)
        // Statements slower than a second are logged (WARN) with their SQL;
        // the others are not logged at all.
        .sqlx_logging(true)
        .sqlx_logging_level(log::LevelFilter::Trace)
        .sqlx_slow_statements_logging_settings(log::LevelFilter::Warn, Duration::from_secs(1));
    Ok(Database::connect(opts).await?)
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// One gate per SQLite file: the instance's write transactions queue on it
/// (first come, first served) BEFORE taking a pooled connection, so that
/// writers waiting for SQLite's single write lock neither hold connections
/// the readers need nor sleep-poll in SQLite's busy handler (which is
/// unfair and gave multi-second tails under load). PostgreSQL: no gate.
///
/// Two locks: ordinary writers queue on `queue` and then take `lock`; the
/// answer writer (saves, batched) takes `lock` directly, so a save batch
/// waits for at most the transaction running and one more, never for a
/// queue of submits.
#[derive(Default)]
pub struct Gate {
    pub queue: tokio::sync::Mutex<()>,
    pub lock: tokio::sync::Mutex<()>,
}

pub fn sqlite_gate(db: &DatabaseConnection) -> Option<Arc<Gate>> {
    static GATES: LazyLock<Mutex<HashMap<PathBuf, Arc<Gate>>>> = LazyLock::new(Default::default);
    if db.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
        return None;
    }
    let path = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let mut gates = GATES.lock().ok()?;
    Some(gates.entry(path).or_default().clone())
}

/// Runs `f` in a write transaction: on SQLite it waits at the file's
/// [`sqlite_gate`], then begins `IMMEDIATE`, taking the write lock up front,
/// so a transaction that reads before it writes never fails with
/// `SQLITE_BUSY_SNAPSHOT`; on PostgreSQL it is an ordinary transaction.
/// Commits on `Ok`, rolls back on `Err`. Never nest two of them.
pub async fn write_tx<F, T>(db: &DatabaseConnection, f: F) -> Result<T, crate::error::AppError>
where
    F: for<'c> FnOnce(
            &'c sea_orm::DatabaseTransaction,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<T, crate::error::AppError>> + Send + 'c>,
        > + Send,
    T: Send,
{
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let gate = sqlite_gate(db);
    let _queued = match &gate {
        Some(g) => Some(g.queue.lock().await),
        None => None,
    };
    let _turn = match &gate {
        Some(g) => Some(g.lock.lock().await),
        None => None,
    };
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    match f(&txn).await {
        Ok(v) => {
            txn.commit().await?;
            Ok(v)
        }
        Err(e) => {
            if let Err(rb) = txn.rollback().await {
                tracing::warn!(error = ?rb, "rollback failed");
            }
            Err(e)
        }
    }
}
