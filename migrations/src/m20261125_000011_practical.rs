//! The practical part of the exam: tasks with starter files and rubrics,
//! practical papers, the practical part of a session, candidates' attempts
//! with one submission per task and every upload kept, blind double marking
//! under anonymous numbers, markers of a session (and the head of the
//! marking board), and appeals (phúc khảo) on either part.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Blobs {
    Table,
    Sha256,
}

#[derive(DeriveIden)]
enum ExamSessions {
    Table,
    Id,
    PracticalPaperId,
    PracticalPassScore,
    ReserveMonths,
    AppealDays,
    MarkingThreshold,
    ResultsAt,
}

#[derive(DeriveIden)]
enum PracticalTasks {
    Table,
    Id,
    Slug,
    Module,
    Title,
    Instructions,
    ExpectedTypes,
    Rubric,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PracticalTaskFiles {
    Table,
    Id,
    TaskId,
    Name,
    Sha256,
    Size,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PracticalPapers {
    Table,
    Id,
    Name,
    TimeLimitSeconds,
    PassScore,
    Sections,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PracticalAttempts {
    Table,
    Id,
    SessionId,
    UserId,
    AnonNumber,
    State,
    StartedAt,
    Deadline,
    SubmittedAt,
    Score,
    Passed,
    MarkedAt,
}

#[derive(DeriveIden)]
enum PracticalSubmissions {
    Table,
    Id,
    AttemptId,
    Position,
    TaskId,
    State,
    Score,
    FinalizedAt,
}

#[derive(DeriveIden)]
enum PracticalUploads {
    Table,
    Id,
    SubmissionId,
    Name,
    Kind,
    Size,
    Sha256,
    UploadedAt,
    Checks,
}

#[derive(DeriveIden)]
enum PracticalMarks {
    Table,
    Id,
    SubmissionId,
    MarkerId,
    Round,
    Marks,
    Total,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SessionMarkers {
    Table,
    SessionId,
    UserId,
    IsHead,
}

#[derive(DeriveIden)]
enum Appeals {
    Table,
    Id,
    UserId,
    SessionId,
    Part,
    AttemptId,
    Reason,
    State,
    RequestedAt,
    OldScore,
    NewScore,
    DecidedAt,
    DecidedBy,
    Note,
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
                .table(PracticalTasks::Table)
                .col(pk_uuid(PracticalTasks::Id))
                .col(string_null(PracticalTasks::Slug).unique_key())
                .col(string(PracticalTasks::Module))
                .col(string(PracticalTasks::Title))
                .col(text(PracticalTasks::Instructions))
                .col(text(PracticalTasks::ExpectedTypes))
                .col(text(PracticalTasks::Rubric))
                .col(uuid_null(PracticalTasks::CreatedBy))
                .col(timestamp_with_time_zone(PracticalTasks::CreatedAt))
                .col(timestamp_with_time_zone(PracticalTasks::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_practical_tasks_module")
                .table(PracticalTasks::Table)
                .col(PracticalTasks::Module)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PracticalTaskFiles::Table)
                .col(pk_uuid(PracticalTaskFiles::Id))
                .col(uuid(PracticalTaskFiles::TaskId))
                .col(string(PracticalTaskFiles::Name))
                .col(string(PracticalTaskFiles::Sha256))
                .col(big_integer(PracticalTaskFiles::Size))
                .col(timestamp_with_time_zone(PracticalTaskFiles::CreatedAt))
                .foreign_key(&mut fk(
                    PracticalTaskFiles::Table,
                    PracticalTaskFiles::TaskId,
                    PracticalTasks::Table,
                    PracticalTasks::Id,
                ))
                .foreign_key(&mut fk(
                    PracticalTaskFiles::Table,
                    PracticalTaskFiles::Sha256,
                    Blobs::Table,
                    Blobs::Sha256,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_practical_task_files_name")
                .table(PracticalTaskFiles::Table)
                .col(PracticalTaskFiles::TaskId)
                .col(PracticalTaskFiles::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PracticalPapers::Table)
                .col(pk_uuid(PracticalPapers::Id))
                .col(string_uniq(PracticalPapers::Name))
                .col(integer(PracticalPapers::TimeLimitSeconds))
                .col(double(PracticalPapers::PassScore))
                .col(text(PracticalPapers::Sections))
                .col(uuid_null(PracticalPapers::CreatedBy))
                .col(timestamp_with_time_zone(PracticalPapers::CreatedAt))
                .to_owned(),
        )
        .await?;
        // One column per statement: SQLite alters one column at a time.
        for col in [
            uuid_null(ExamSessions::PracticalPaperId),
            double_null(ExamSessions::PracticalPassScore),
            integer(ExamSessions::ReserveMonths).default(12).to_owned(),
            integer(ExamSessions::AppealDays).default(15).to_owned(),
            double(ExamSessions::MarkingThreshold)
                .default(1.0)
                .to_owned(),
            timestamp_with_time_zone_null(ExamSessions::ResultsAt),
        ] {
            let mut col = col;
            m.alter_table(
                Table::alter()
                    .table(ExamSessions::Table)
                    .add_column(&mut col)
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(PracticalAttempts::Table)
                .col(pk_uuid(PracticalAttempts::Id))
                .col(uuid(PracticalAttempts::SessionId))
                .col(uuid(PracticalAttempts::UserId))
                .col(integer(PracticalAttempts::AnonNumber))
                .col(string(PracticalAttempts::State))
                .col(timestamp_with_time_zone(PracticalAttempts::StartedAt))
                .col(timestamp_with_time_zone(PracticalAttempts::Deadline))
                .col(timestamp_with_time_zone_null(
                    PracticalAttempts::SubmittedAt,
                ))
                .col(double_null(PracticalAttempts::Score))
                .col(boolean_null(PracticalAttempts::Passed))
                .col(timestamp_with_time_zone_null(PracticalAttempts::MarkedAt))
                .foreign_key(&mut fk(
                    PracticalAttempts::Table,
                    PracticalAttempts::SessionId,
                    ExamSessions::Table,
                    ExamSessions::Id,
                ))
                .foreign_key(&mut fk(
                    PracticalAttempts::Table,
                    PracticalAttempts::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            (
                "idx_practical_attempts_session_user",
                [PracticalAttempts::SessionId, PracticalAttempts::UserId],
            ),
            (
                "idx_practical_attempts_anon",
                [PracticalAttempts::SessionId, PracticalAttempts::AnonNumber],
            ),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(PracticalAttempts::Table).unique();
            for c in cols {
                idx.col(c);
            }
            m.create_index(idx.to_owned()).await?;
        }
        m.create_table(
            Table::create()
                .table(PracticalSubmissions::Table)
                .col(pk_uuid(PracticalSubmissions::Id))
                .col(uuid(PracticalSubmissions::AttemptId))
                .col(integer(PracticalSubmissions::Position))
                .col(uuid(PracticalSubmissions::TaskId))
                .col(string(PracticalSubmissions::State))
                .col(double_null(PracticalSubmissions::Score))
                .col(timestamp_with_time_zone_null(
                    PracticalSubmissions::FinalizedAt,
                ))
                .foreign_key(&mut fk(
                    PracticalSubmissions::Table,
                    PracticalSubmissions::AttemptId,
                    PracticalAttempts::Table,
                    PracticalAttempts::Id,
                ))
                .foreign_key(&mut fk(
                    PracticalSubmissions::Table,
                    PracticalSubmissions::TaskId,
                    PracticalTasks::Table,
                    PracticalTasks::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_practical_submissions_attempt_position")
                .table(PracticalSubmissions::Table)
                .col(PracticalSubmissions::AttemptId)
                .col(PracticalSubmissions::Position)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PracticalUploads::Table)
                .col(pk_uuid(PracticalUploads::Id))
                .col(uuid(PracticalUploads::SubmissionId))
                .col(string(PracticalUploads::Name))
                .col(string(PracticalUploads::Kind))
                .col(big_integer(PracticalUploads::Size))
                .col(string(PracticalUploads::Sha256))
                .col(timestamp_with_time_zone(PracticalUploads::UploadedAt))
                .col(text_null(PracticalUploads::Checks))
                .foreign_key(&mut fk(
                    PracticalUploads::Table,
                    PracticalUploads::SubmissionId,
                    PracticalSubmissions::Table,
                    PracticalSubmissions::Id,
                ))
                .foreign_key(&mut fk(
                    PracticalUploads::Table,
                    PracticalUploads::Sha256,
                    Blobs::Table,
                    Blobs::Sha256,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_practical_uploads_submission")
                .table(PracticalUploads::Table)
                .col(PracticalUploads::SubmissionId)
                .col(PracticalUploads::UploadedAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PracticalMarks::Table)
                .col(pk_uuid(PracticalMarks::Id))
                .col(uuid(PracticalMarks::SubmissionId))
                .col(uuid(PracticalMarks::MarkerId))
                .col(string(PracticalMarks::Round))
                .col(text(PracticalMarks::Marks))
                .col(double(PracticalMarks::Total))
                .col(timestamp_with_time_zone(PracticalMarks::CreatedAt))
                .foreign_key(&mut fk(
                    PracticalMarks::Table,
                    PracticalMarks::SubmissionId,
                    PracticalSubmissions::Table,
                    PracticalSubmissions::Id,
                ))
                .foreign_key(&mut fk(
                    PracticalMarks::Table,
                    PracticalMarks::MarkerId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await?;
        // A marker marks a submission at most once, in any round: the
        // database refuses a second mark even from two instances at once.
        m.create_index(
            Index::create()
                .name("idx_practical_marks_once")
                .table(PracticalMarks::Table)
                .col(PracticalMarks::SubmissionId)
                .col(PracticalMarks::MarkerId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SessionMarkers::Table)
                .col(uuid(SessionMarkers::SessionId))
                .col(uuid(SessionMarkers::UserId))
                .col(boolean(SessionMarkers::IsHead).default(false))
                .primary_key(
                    Index::create()
                        .col(SessionMarkers::SessionId)
                        .col(SessionMarkers::UserId),
                )
                .foreign_key(&mut fk(
                    SessionMarkers::Table,
                    SessionMarkers::SessionId,
                    ExamSessions::Table,
                    ExamSessions::Id,
                ))
                .foreign_key(&mut fk(
                    SessionMarkers::Table,
                    SessionMarkers::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Appeals::Table)
                .col(pk_uuid(Appeals::Id))
                .col(uuid(Appeals::UserId))
                .col(uuid(Appeals::SessionId))
                .col(string(Appeals::Part))
                .col(uuid(Appeals::AttemptId))
                .col(text(Appeals::Reason))
                .col(string(Appeals::State))
                .col(timestamp_with_time_zone(Appeals::RequestedAt))
                .col(double_null(Appeals::OldScore))
                .col(double_null(Appeals::NewScore))
                .col(timestamp_with_time_zone_null(Appeals::DecidedAt))
                .col(uuid_null(Appeals::DecidedBy))
                .col(text_null(Appeals::Note))
                .foreign_key(&mut fk(
                    Appeals::Table,
                    Appeals::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .foreign_key(&mut fk(
                    Appeals::Table,
                    Appeals::SessionId,
                    ExamSessions::Table,
                    ExamSessions::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_appeals_session")
                .table(Appeals::Table)
                .col(Appeals::SessionId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Appeals::Table.into_iden(),
            SessionMarkers::Table.into_iden(),
            PracticalMarks::Table.into_iden(),
            PracticalUploads::Table.into_iden(),
            PracticalSubmissions::Table.into_iden(),
            PracticalAttempts::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        for c in [
            ExamSessions::ResultsAt,
            ExamSessions::MarkingThreshold,
            ExamSessions::AppealDays,
            ExamSessions::ReserveMonths,
            ExamSessions::PracticalPassScore,
            ExamSessions::PracticalPaperId,
        ] {
            m.alter_table(
                Table::alter()
                    .table(ExamSessions::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        for t in [
            PracticalPapers::Table.into_iden(),
            PracticalTaskFiles::Table.into_iden(),
            PracticalTasks::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
