//! What reports count per enrolment, kept current by the events that change
//! it: when the learner first took part (opened a lesson or attended), and
//! whether they were eligible as of the class's end (or now, while it runs).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Enrolments {
    Table,
    TookPartAt,
    Eligible,
    EvaluatedAt,
    UnitId,
}

#[derive(DeriveIden)]
enum Classes {
    Table,
    StartsOn,
    EndsOn,
}

#[derive(DeriveIden)]
enum Attempts {
    Table,
    UserId,
    StartedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Enrolments::Table)
                .add_column(timestamp_with_time_zone_null(Enrolments::TookPartAt))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Enrolments::Table)
                .add_column(boolean_null(Enrolments::Eligible))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Enrolments::Table)
                .add_column(timestamp_with_time_zone_null(Enrolments::EvaluatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_enrolments_unit")
                .table(Enrolments::Table)
                .col(Enrolments::UnitId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_classes_dates")
                .table(Classes::Table)
                .col(Classes::StartsOn)
                .col(Classes::EndsOn)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_attempts_user_started")
                .table(Attempts::Table)
                .col(Attempts::UserId)
                .col(Attempts::StartedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "idx_attempts_user_started",
            "idx_classes_dates",
            "idx_enrolments_unit",
        ] {
            m.drop_index(Index::drop().name(name).to_owned()).await?;
        }
        for col in [
            Enrolments::EvaluatedAt,
            Enrolments::Eligible,
            Enrolments::TookPartAt,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Enrolments::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
