//! Installation-wide values kept in the database so every instance shares
//! them (signing keys above all).
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use crate::entities::setting;

pub async fn get(db: &impl ConnectionTrait, key: &str) -> Result<Option<String>, DbErr> {
    Ok(setting::Entity::find_by_id(key.to_string())
        .one(db)
        .await?
        .map(|m| m.value))
}

/// Returns the stored value for `key`, storing `make()` first if there is
/// none. Concurrent first starts agree on one value: the insert does nothing
/// when another instance got there first, and the stored value is read back.
pub async fn get_or_init(
    db: &impl ConnectionTrait,
    key: &str,
    make: impl FnOnce() -> String,
) -> Result<String, DbErr> {
    if let Some(v) = get(db, key).await? {
        return Ok(v);
    }
    setting::Entity::insert(setting::ActiveModel {
        key: Set(key.to_string()),
        value: Set(make()),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(db)
    .await?;
    get(db, key)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("setting {key}")))
}
