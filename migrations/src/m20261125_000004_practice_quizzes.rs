//! Practice quiz attempts at the end of lessons: the drawn items, the
//! answers and the score.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum QuizAttempts {
    Table,
    Id,
    UserId,
    LessonId,
    Items,
    Answers,
    Score,
    Passed,
    CreatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Lessons {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(QuizAttempts::Table)
                .col(pk_uuid(QuizAttempts::Id))
                .col(uuid(QuizAttempts::UserId))
                .col(uuid(QuizAttempts::LessonId))
                .col(text(QuizAttempts::Items))
                .col(text_null(QuizAttempts::Answers))
                .col(double_null(QuizAttempts::Score))
                .col(boolean_null(QuizAttempts::Passed))
                .col(timestamp_with_time_zone(QuizAttempts::CreatedAt))
                .col(timestamp_with_time_zone_null(QuizAttempts::FinishedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(QuizAttempts::Table, QuizAttempts::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(QuizAttempts::Table, QuizAttempts::LessonId)
                        .to(Lessons::Table, Lessons::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_quiz_attempts_user_lesson")
                .table(QuizAttempts::Table)
                .col(QuizAttempts::UserId)
                .col(QuizAttempts::LessonId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(QuizAttempts::Table).to_owned())
            .await
    }
}
