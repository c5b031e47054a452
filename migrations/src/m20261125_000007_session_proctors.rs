//! The trainers assigned to proctor an exam session.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SessionProctors {
    Table,
    SessionId,
    UserId,
}

#[derive(DeriveIden)]
enum ExamSessions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SessionProctors::Table)
                .col(uuid(SessionProctors::SessionId))
                .col(uuid(SessionProctors::UserId))
                .primary_key(
                    Index::create()
                        .col(SessionProctors::SessionId)
                        .col(SessionProctors::UserId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(SessionProctors::Table, SessionProctors::SessionId)
                        .to(ExamSessions::Table, ExamSessions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(SessionProctors::Table, SessionProctors::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SessionProctors::Table).to_owned())
            .await
    }
}
