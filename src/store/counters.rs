//! Gap-free counters (register numbers, status list indexes). Taking the next
//! value locks the counter's row until the transaction ends, so parallel
//! issuers queue and a rolled-back transaction gives its number back.
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use crate::entities::counter;

/// Increments `name` (created at 0) and returns the new value. Call inside
/// a transaction.
pub async fn next(db: &impl ConnectionTrait, name: &str) -> Result<i64, DbErr> {
    counter::Entity::insert(counter::ActiveModel {
        name: Set(name.to_string()),
        value: Set(0),
    })
    .on_conflict_do_nothing_on([counter::Column::Name])
    .exec_without_returning(db)
    .await?;
    counter::Entity::update_many()
        .col_expr(
            counter::Column::Value,
            Expr::col(counter::Column::Value).add(1),
        )
        .filter(counter::Column::Name.eq(name))
        .exec(db)
        .await?;
    current(db, name).await
}

/// Gives back the value just taken (only while the row is still locked by
/// this transaction).
pub async fn give_back(db: &impl ConnectionTrait, name: &str) -> Result<(), DbErr> {
    counter::Entity::update_many()
        .col_expr(
            counter::Column::Value,
            Expr::col(counter::Column::Value).sub(1),
        )
        .filter(counter::Column::Name.eq(name))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn current(db: &impl ConnectionTrait, name: &str) -> Result<i64, DbErr> {
    Ok(counter::Entity::find_by_id(name.to_string())
        .one(db)
        .await?
        .map(|c| c.value)
        .unwrap_or(0))
}
