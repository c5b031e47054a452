//! Connecting to SQLite or PostgreSQL and running the migrations.
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
            o.map_sqlx_sqlite_opts(move |o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(sync)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30))
            });
            o
        }
    };
    opts.connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    Ok(Database::connect(opts).await?)
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// Runs `f` in a write transaction: on SQLite it begins `IMMEDIATE`, taking
/// the write lock up front, so a transaction that reads before it writes
/// waits for other writers (busy timeout) instead of failing with
/// `SQLITE_BUSY_SNAPSHOT`; on PostgreSQL it is an ordinary transaction.
/// Commits on `Ok`, rolls back on `Err`.
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
