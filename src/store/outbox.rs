//! The mail outbox: every message is stored first, then delivered by the
//! worker, so a down SMTP server loses nothing.
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::entities::outbox::{self, Column, Entity};

pub async fn enqueue(
    db: &impl ConnectionTrait,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    let now = Utc::now();
    Entity::insert(outbox::ActiveModel {
        id: Set(id),
        to_addr: Set(to.to_string()),
        subject: Set(subject.to_string()),
        body_text: Set(body.to_string()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_until: Set(None),
        sent_at: Set(None),
        last_error: Set(None),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

/// Unsent messages due by `now`, not given up on, not leased by another
/// instance.
fn due(now: DateTime<Utc>, max_attempts: i32) -> sea_orm::Select<Entity> {
    Entity::find()
        .filter(Column::SentAt.is_null())
        .filter(Column::NextAttemptAt.lte(now))
        .filter(Column::Attempts.lt(max_attempts))
        .filter(
            Condition::any()
                .add(Column::LeaseUntil.is_null())
                .add(Column::LeaseUntil.lt(now)),
        )
}

/// Whether any message is due (a read: callers skip the write transaction
/// of [`claim_due`] when nothing is waiting).
pub async fn has_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    max_attempts: i32,
) -> Result<bool, DbErr> {
    Ok(due(now, max_attempts).one(db).await?.is_some())
}

/// Claims up to `limit` due messages for `lease`; a message claimed by
/// another instance is skipped.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease: Duration,
    max_attempts: i32,
    limit: u64,
) -> Result<Vec<outbox::Model>, DbErr> {
    let candidates = due(now, max_attempts)
        .order_by_asc(Column::NextAttemptAt)
        .limit(limit)
        .all(db)
        .await?;
    let mut claimed = Vec::new();
    for m in candidates {
        let res = Entity::update_many()
            .col_expr(Column::LeaseUntil, Expr::value(now + lease))
            .filter(Column::Id.eq(m.id))
            .filter(
                Condition::any()
                    .add(Column::LeaseUntil.is_null())
                    .add(Column::LeaseUntil.lt(now)),
            )
            .exec(db)
            .await?;
        if res.rows_affected == 1 {
            claimed.push(m);
        }
    }
    Ok(claimed)
}

pub async fn mark_sent(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::SentAt, Expr::value(Utc::now()))
        .col_expr(
            Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records a failed delivery and schedules the next try with backoff.
pub async fn mark_failed(
    db: &impl ConnectionTrait,
    m: &outbox::Model,
    error: &str,
) -> Result<(), DbErr> {
    let attempts = m.attempts + 1;
    let backoff =
        Duration::seconds(30 * 2_i64.pow(attempts.clamp(0, 10) as u32)).min(Duration::hours(6));
    Entity::update_many()
        .col_expr(Column::Attempts, Expr::value(attempts))
        .col_expr(Column::LastError, Expr::value(error.to_string()))
        .col_expr(Column::NextAttemptAt, Expr::value(Utc::now() + backoff))
        .col_expr(
            Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Id.eq(m.id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn pending_count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    Entity::find()
        .filter(Column::SentAt.is_null())
        .count(db)
        .await
}
