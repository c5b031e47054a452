//! Group commit for answer saves.
//!
//! Each instance runs one writer task. A save hands its row to the writer and
//! waits; the writer takes every save that is waiting (up to [`MAX_BATCH`]),
//! writes them and their audit lines in ONE write transaction, and answers
//! each save only after that transaction has committed. An acknowledged save
//! is therefore on disk, exactly as with one transaction per save, but a
//! thousand saves a second cost a few dozen commits instead of a thousand
//! (and, on SQLite, one writer instead of many waiting on the file lock).
//!
//! Order is kept: saves are written in the order they reached the writer, so
//! the last of two saves to the same question wins. A save whose attempt was
//! graded meanwhile updates no row and is answered `false`.
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::entities::{attempt_event, attempt_item};
use crate::error::AppError;

/// The most saves written in one transaction.
pub const MAX_BATCH: usize = 512;

/// One answer to write.
pub struct AnswerRow {
    pub item_id: Uuid,
    pub attempt_id: Uuid,
    pub position: i32,
    /// The chosen option ids as JSON.
    pub selected: String,
    pub at: DateTime<Utc>,
    pub ip: Option<IpAddr>,
}

/// Why a batch failed (every save in it gets the same answer).
#[derive(Clone, Copy, Debug)]
enum Failure {
    Unavailable,
    Internal,
}

struct Job {
    row: AnswerRow,
    reply: oneshot::Sender<Result<bool, Failure>>,
}

/// The handle the request handlers use; cheap to clone.
#[derive(Clone)]
pub struct AnswerWriter {
    tx: mpsc::Sender<Job>,
}

impl AnswerWriter {
    /// Starts the writer task on the current runtime.
    pub fn start(db: DatabaseConnection) -> Self {
        let (tx, rx) = mpsc::channel(MAX_BATCH * 8);
        tokio::spawn(run(db, rx));
        Self { tx }
    }

    /// Writes one answer; `Ok(true)` once it is committed, `Ok(false)` when
    /// the attempt was graded before the write (nothing written).
    pub async fn write(&self, row: AnswerRow) -> Result<bool, AppError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job { row, reply })
            .await
            .map_err(|_| AppError::unavailable(anyhow::anyhow!("answer writer stopped")))?;
        match answer.await {
            Ok(Ok(updated)) => Ok(updated),
            Ok(Err(Failure::Unavailable)) => Err(AppError::unavailable(anyhow::anyhow!(
                "database unavailable while saving answers"
            ))),
            Ok(Err(Failure::Internal)) | Err(_) => {
                Err(AppError::internal(anyhow::anyhow!("saving answers failed")))
            }
        }
    }
}

async fn run(db: DatabaseConnection, mut rx: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let jobs = std::mem::take(&mut batch);
        let rows: Vec<&AnswerRow> = jobs.iter().map(|j| &j.row).collect();
        match write_batch(&db, &rows).await {
            Ok(updated) => {
                for (job, ok) in jobs.into_iter().zip(updated) {
                    let _ = job.reply.send(Ok(ok));
                }
            }
            Err(e) => {
                tracing::error!(error = ?e, saves = jobs.len(), "answer batch failed");
                let failure = match e {
                    sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_) => {
                        Failure::Unavailable
                    }
                    _ => Failure::Internal,
                };
                for job in jobs {
                    let _ = job.reply.send(Err(failure));
                }
            }
        }
    }
}

/// Writes the rows in order in one transaction; for each, whether it updated
/// its item (false: already graded).
async fn write_batch(
    db: &DatabaseConnection,
    rows: &[&AnswerRow],
) -> Result<Vec<bool>, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    // Saves go straight to the write lock, ahead of queued ordinary writers.
    let gate = crate::db::sqlite_gate(db);
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
    let mut updated = Vec::with_capacity(rows.len());
    let mut events = Vec::with_capacity(rows.len());
    for row in rows {
        let res = attempt_item::Entity::update_many()
            .col_expr(
                attempt_item::Column::Selected,
                Expr::value(row.selected.clone()),
            )
            .col_expr(attempt_item::Column::SavedAt, Expr::value(row.at))
            .filter(attempt_item::Column::Id.eq(row.item_id))
            .filter(attempt_item::Column::GradedAt.is_null())
            .exec(&txn)
            .await?;
        let ok = res.rows_affected > 0;
        if ok {
            events.push(attempt_event::ActiveModel {
                id: Set(Uuid::now_v7()),
                attempt_id: Set(row.attempt_id),
                at: Set(row.at),
                kind: Set("save".into()),
                position: Set(Some(row.position)),
                ip: Set(row.ip.map(|i| i.to_string())),
                detail: Set(Some(row.selected.clone())),
            });
        }
        updated.push(ok);
    }
    // Audit lines in multi-row inserts of at most 128 rows (896 parameters),
    // well inside both databases' limits.
    while !events.is_empty() {
        let rest = events.split_off(events.len().min(128));
        attempt_event::Entity::insert_many(std::mem::replace(&mut events, rest))
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(updated)
}
