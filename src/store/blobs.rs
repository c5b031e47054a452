//! Content-addressed files (question images), shared by every instance.
use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use crate::entities::blob;

/// Stores `data` once; returns its SHA-256 (hex).
pub async fn put(
    db: &impl ConnectionTrait,
    data: &[u8],
    content_type: &str,
) -> Result<String, DbErr> {
    use sha2::{Digest, Sha256};
    let sha = hex::encode(Sha256::digest(data));
    blob::Entity::insert(blob::ActiveModel {
        sha256: Set(sha.clone()),
        content_type: Set(content_type.to_string()),
        size: Set(data.len() as i64),
        data: Set(data.to_vec()),
        created_at: Set(Utc::now()),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(db)
    .await?;
    Ok(sha)
}

pub async fn get(db: &impl ConnectionTrait, sha: &str) -> Result<Option<blob::Model>, DbErr> {
    blob::Entity::find_by_id(sha.to_string()).one(db).await
}
