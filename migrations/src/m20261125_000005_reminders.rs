//! What reminder was sent to whom for which period, so each goes once.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReminderLog {
    Table,
    UserId,
    Kind,
    Period,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ReminderLog::Table)
                .col(uuid(ReminderLog::UserId))
                .col(string(ReminderLog::Kind))
                .col(string(ReminderLog::Period))
                .col(timestamp_with_time_zone(ReminderLog::SentAt))
                .primary_key(
                    Index::create()
                        .col(ReminderLog::UserId)
                        .col(ReminderLog::Kind)
                        .col(ReminderLog::Period),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ReminderLog::Table).to_owned())
            .await
    }
}
