//! Credential signing keys, kept in the database so every instance signs
//! with the same key and publishes the same set.
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use crate::domain::certificate;
use crate::entities::signing_key;

/// The key that signs new credentials: the newest one not retired.
pub async fn current(db: &impl ConnectionTrait) -> Result<Option<signing_key::Model>, DbErr> {
    signing_key::Entity::find()
        .filter(signing_key::Column::RetiredAt.is_null())
        .order_by_desc(signing_key::Column::CreatedAt)
        .one(db)
        .await
}

/// Every key ever used, current first: retired keys stay published so that
/// credentials they signed still verify.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<signing_key::Model>, DbErr> {
    signing_key::Entity::find()
        .order_by_desc(signing_key::Column::CreatedAt)
        .all(db)
        .await
}

async fn create(db: &impl ConnectionTrait) -> Result<signing_key::Model, DbErr> {
    let (private, public) = certificate::generate_keypair().map_err(DbErr::Custom)?;
    let now = Utc::now();
    let kid = format!(
        "ed25519-{}-{}",
        now.format("%Y%m%d"),
        &hex::encode(&public)[..8]
    );
    signing_key::ActiveModel {
        kid: Set(kid),
        algorithm: Set("EdDSA".into()),
        private_key: Set(private),
        public_key: Set(public),
        created_at: Set(now),
        retired_at: Set(None),
    }
    .insert(db)
    .await
}

/// The current key, made on first use.
pub async fn ensure(db: &impl ConnectionTrait) -> Result<signing_key::Model, DbErr> {
    match current(db).await? {
        Some(k) => Ok(k),
        None => create(db).await,
    }
}

/// Retires the current key(s) and makes a new one; returns the new key.
pub async fn rotate(db: &impl ConnectionTrait) -> Result<signing_key::Model, DbErr> {
    signing_key::Entity::update_many()
        .col_expr(signing_key::Column::RetiredAt, Expr::value(Utc::now()))
        .filter(signing_key::Column::RetiredAt.is_null())
        .exec(db)
        .await?;
    create(db).await
}
