//! The decision approving a session's results: who and when.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ExamSessions {
    Table,
    ApprovedAt,
    ApprovedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ExamSessions::Table)
                .add_column(timestamp_with_time_zone_null(ExamSessions::ApprovedAt))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ExamSessions::Table)
                .add_column(uuid_null(ExamSessions::ApprovedBy))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ExamSessions::Table)
                .drop_column(ExamSessions::ApprovedBy)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ExamSessions::Table)
                .drop_column(ExamSessions::ApprovedAt)
                .to_owned(),
        )
        .await
    }
}
