//! Exams: blueprints, sessions, registrations, attempts (the drawn paper
//! lives in `attempt_items`) and the per-attempt audit trail.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Blueprints {
    Table,
    Id,
    Name,
    TimeLimitSeconds,
    PassScore,
    MultipleScoring,
    Shuffle,
    Sections,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ExamSessions {
    Table,
    Id,
    Title,
    BlueprintId,
    CourseId,
    OpensAt,
    ClosesAt,
    AccessCode,
    IpAllow,
    AttemptsAllowed,
    Review,
    IssueMode,
    Registration,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ExamRegistrations {
    Table,
    SessionId,
    UserId,
    ExtraSeconds,
    RegisteredAt,
}

#[derive(DeriveIden)]
enum Attempts {
    Table,
    Id,
    SessionId,
    UserId,
    Number,
    State,
    Seed,
    StartedAt,
    Deadline,
    FinishedAt,
    Score,
    Correct,
    Total,
    Passed,
    Ip,
    UserAgent,
}

#[derive(DeriveIden)]
enum AttemptEvents {
    Table,
    Id,
    AttemptId,
    At,
    Kind,
    Position,
    Ip,
    Detail,
}

#[derive(DeriveIden)]
enum AttemptItems {
    Table,
    SavedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Courses {
    Table,
    Id,
}

fn fk(
    from_table: impl IntoIden,
    from: impl IntoIden,
    to_table: impl IntoIden,
    to: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from)
        .to(to_table, to)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Blueprints::Table)
                .col(pk_uuid(Blueprints::Id))
                .col(string_uniq(Blueprints::Name))
                .col(integer(Blueprints::TimeLimitSeconds))
                .col(double(Blueprints::PassScore))
                .col(string(Blueprints::MultipleScoring))
                .col(boolean(Blueprints::Shuffle))
                .col(text(Blueprints::Sections))
                .col(timestamp_with_time_zone(Blueprints::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ExamSessions::Table)
                .col(pk_uuid(ExamSessions::Id))
                .col(string(ExamSessions::Title))
                .col(uuid(ExamSessions::BlueprintId))
                .col(uuid_null(ExamSessions::CourseId))
                .col(timestamp_with_time_zone(ExamSessions::OpensAt))
                .col(timestamp_with_time_zone(ExamSessions::ClosesAt))
                .col(string_null(ExamSessions::AccessCode))
                .col(text(ExamSessions::IpAllow))
                .col(integer(ExamSessions::AttemptsAllowed))
                .col(text(ExamSessions::Review))
                .col(string(ExamSessions::IssueMode))
                .col(string(ExamSessions::Registration))
                .col(uuid_null(ExamSessions::CreatedBy))
                .col(timestamp_with_time_zone(ExamSessions::CreatedAt))
                .foreign_key(&mut fk(
                    ExamSessions::Table,
                    ExamSessions::BlueprintId,
                    Blueprints::Table,
                    Blueprints::Id,
                ))
                .foreign_key(&mut fk(
                    ExamSessions::Table,
                    ExamSessions::CourseId,
                    Courses::Table,
                    Courses::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ExamRegistrations::Table)
                .col(uuid(ExamRegistrations::SessionId))
                .col(uuid(ExamRegistrations::UserId))
                .col(integer(ExamRegistrations::ExtraSeconds).default(0))
                .col(timestamp_with_time_zone(ExamRegistrations::RegisteredAt))
                .primary_key(
                    Index::create()
                        .col(ExamRegistrations::SessionId)
                        .col(ExamRegistrations::UserId),
                )
                .foreign_key(&mut fk(
                    ExamRegistrations::Table,
                    ExamRegistrations::SessionId,
                    ExamSessions::Table,
                    ExamSessions::Id,
                ))
                .foreign_key(&mut fk(
                    ExamRegistrations::Table,
                    ExamRegistrations::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Attempts::Table)
                .col(pk_uuid(Attempts::Id))
                .col(uuid(Attempts::SessionId))
                .col(uuid(Attempts::UserId))
                .col(integer(Attempts::Number))
                .col(string(Attempts::State))
                .col(big_integer(Attempts::Seed))
                .col(timestamp_with_time_zone(Attempts::StartedAt))
                .col(timestamp_with_time_zone(Attempts::Deadline))
                .col(timestamp_with_time_zone_null(Attempts::FinishedAt))
                .col(double_null(Attempts::Score))
                .col(integer_null(Attempts::Correct))
                .col(integer(Attempts::Total))
                .col(boolean_null(Attempts::Passed))
                .col(string_null(Attempts::Ip))
                .col(string_null(Attempts::UserAgent))
                .foreign_key(&mut fk(
                    Attempts::Table,
                    Attempts::SessionId,
                    ExamSessions::Table,
                    ExamSessions::Id,
                ))
                .foreign_key(&mut fk(
                    Attempts::Table,
                    Attempts::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_attempts_user_number")
                .table(Attempts::Table)
                .col(Attempts::SessionId)
                .col(Attempts::UserId)
                .col(Attempts::Number)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_attempts_state_deadline")
                .table(Attempts::Table)
                .col(Attempts::State)
                .col(Attempts::Deadline)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AttemptEvents::Table)
                .col(pk_uuid(AttemptEvents::Id))
                .col(uuid(AttemptEvents::AttemptId))
                .col(timestamp_with_time_zone(AttemptEvents::At))
                .col(string(AttemptEvents::Kind))
                .col(integer_null(AttemptEvents::Position))
                .col(string_null(AttemptEvents::Ip))
                .col(text_null(AttemptEvents::Detail))
                .foreign_key(&mut fk(
                    AttemptEvents::Table,
                    AttemptEvents::AttemptId,
                    Attempts::Table,
                    Attempts::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_attempt_events_attempt")
                .table(AttemptEvents::Table)
                .col(AttemptEvents::AttemptId)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AttemptItems::Table)
                .add_column(timestamp_with_time_zone_null(AttemptItems::SavedAt))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(AttemptItems::Table)
                .drop_column(AttemptItems::SavedAt)
                .to_owned(),
        )
        .await?;
        for t in [
            AttemptEvents::Table.into_iden(),
            Attempts::Table.into_iden(),
            ExamRegistrations::Table.into_iden(),
            ExamSessions::Table.into_iden(),
            Blueprints::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
