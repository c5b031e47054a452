//! One-time links (password reset, invitation, first-admin setup). Only a
//! SHA-256 of the token is stored; a token is used at most once.
use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::auth::random_token;
use crate::entities::one_time_token::{self, Column, Entity};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Reset,
    Invite,
    Setup,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Reset => "reset",
            Purpose::Invite => "invite",
            Purpose::Setup => "setup",
        }
    }
}

fn hash(raw: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(raw.as_bytes()))
}

/// Creates a token and returns its raw value (to put in a link).
pub async fn issue(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    user_id: Option<Uuid>,
    ttl: Option<Duration>,
) -> Result<String, DbErr> {
    let raw = random_token();
    let now = Utc::now();
    Entity::insert(one_time_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        token_hash: Set(hash(&raw)),
        purpose: Set(purpose.as_str().into()),
        user_id: Set(user_id),
        expires_at: Set(ttl.map(|t| now + t)),
        used_at: Set(None),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(raw)
}

/// The token if it exists, has one of `purposes`, is unused and unexpired.
pub async fn peek(
    db: &impl ConnectionTrait,
    raw: &str,
    purposes: &[Purpose],
) -> Result<Option<one_time_token::Model>, DbErr> {
    let now = Utc::now();
    let found = Entity::find()
        .filter(Column::TokenHash.eq(hash(raw)))
        .filter(Column::UsedAt.is_null())
        .one(db)
        .await?;
    Ok(found.filter(|t| {
        purposes.iter().any(|p| p.as_str() == t.purpose) && t.expires_at.is_none_or(|exp| exp > now)
    }))
}

/// Marks the token used; false when another request used it first.
pub async fn consume(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    let res = Entity::update_many()
        .col_expr(Column::UsedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}
