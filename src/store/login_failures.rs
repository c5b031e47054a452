//! Failed-login counters, shared by every instance through the database.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use crate::entities::login_failure::{self, Entity};

/// Seconds until `key` may try again, if it is locked now.
pub async fn locked_for(
    db: &impl ConnectionTrait,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let row = Entity::find_by_id(key.to_string()).one(db).await?;
    Ok(row
        .and_then(|r| r.locked_until)
        .filter(|until| *until > now)
        .map(|until| (until - now).num_seconds().max(1)))
}

/// Counts one failure; locks the key when `threshold` failures fall within `window`.
pub async fn record(
    db: &impl ConnectionTrait,
    key: &str,
    threshold: i32,
    window: Duration,
    lockout: Duration,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = Entity::find_by_id(key.to_string()).one(db).await?;
    match row {
        None => {
            login_failure::ActiveModel {
                key: Set(key.to_string()),
                count: Set(1),
                window_start: Set(now),
                locked_until: Set((threshold <= 1).then(|| now + lockout)),
            }
            .insert(db)
            .await?;
        }
        Some(r) => {
            let (count, start) = if now - r.window_start > window {
                (1, now)
            } else {
                (r.count + 1, r.window_start)
            };
            let locked_until = if count >= threshold {
                Some(now + lockout)
            } else {
                r.locked_until
            };
            // After a lockout ends the count starts again.
            let (count, start) = if count > threshold {
                (1, now)
            } else {
                (count, start)
            };
            let mut am: login_failure::ActiveModel = r.into();
            am.count = Set(count);
            am.window_start = Set(start);
            am.locked_until = Set(locked_until);
            am.update(db).await?;
        }
    }
    Ok(())
}

pub async fn clear(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    Entity::delete_by_id(key.to_string()).exec(db).await?;
    Ok(())
}
