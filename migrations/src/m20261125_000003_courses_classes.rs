//! Courses, modules, lessons, lesson progress, classes with trainers,
//! enrolments (with the learner's unit at enrolment), attendance and
//! eligibility exceptions.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Courses {
    Table,
    Id,
    Code,
    Title,
    Description,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CourseModules {
    Table,
    Id,
    CourseId,
    Code,
    Title,
    Position,
}

#[derive(DeriveIden)]
enum Lessons {
    Table,
    Id,
    CourseId,
    ModuleCode,
    Slug,
    Title,
    Body,
    MinSeconds,
    Topics,
    QuizQuestions,
    QuizPassPercent,
    Status,
    Position,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LessonProgress {
    Table,
    UserId,
    LessonId,
    OpenedAt,
    CompletedAt,
    CompletedVia,
}

#[derive(DeriveIden)]
enum Classes {
    Table,
    Id,
    Name,
    CourseId,
    UnitId,
    StartsOn,
    EndsOn,
    Rule,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ClassTrainers {
    Table,
    ClassId,
    UserId,
}

#[derive(DeriveIden)]
enum Enrolments {
    Table,
    ClassId,
    UserId,
    UnitId,
    EnrolledAt,
}

#[derive(DeriveIden)]
enum ClassDays {
    Table,
    ClassId,
    Day,
}

#[derive(DeriveIden)]
enum Attendance {
    Table,
    ClassId,
    Day,
    UserId,
}

#[derive(DeriveIden)]
enum EligibilityExceptions {
    Table,
    Id,
    ClassId,
    UserId,
    Reason,
    GrantedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Units {
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
                .table(Courses::Table)
                .col(pk_uuid(Courses::Id))
                .col(string_uniq(Courses::Code))
                .col(string(Courses::Title))
                .col(text(Courses::Description))
                .col(timestamp_with_time_zone(Courses::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CourseModules::Table)
                .col(pk_uuid(CourseModules::Id))
                .col(uuid(CourseModules::CourseId))
                .col(string(CourseModules::Code))
                .col(string(CourseModules::Title))
                .col(integer(CourseModules::Position))
                .foreign_key(&mut fk(
                    CourseModules::Table,
                    CourseModules::CourseId,
                    Courses::Table,
                    Courses::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_course_modules_code")
                .table(CourseModules::Table)
                .col(CourseModules::CourseId)
                .col(CourseModules::Code)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Lessons::Table)
                .col(pk_uuid(Lessons::Id))
                .col(uuid(Lessons::CourseId))
                .col(string(Lessons::ModuleCode))
                .col(string(Lessons::Slug))
                .col(string(Lessons::Title))
                .col(text(Lessons::Body))
                .col(integer(Lessons::MinSeconds))
                .col(text(Lessons::Topics))
                .col(integer(Lessons::QuizQuestions))
                .col(integer(Lessons::QuizPassPercent))
                .col(string(Lessons::Status))
                .col(integer(Lessons::Position))
                .col(timestamp_with_time_zone(Lessons::UpdatedAt))
                .foreign_key(&mut fk(
                    Lessons::Table,
                    Lessons::CourseId,
                    Courses::Table,
                    Courses::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_lessons_slug")
                .table(Lessons::Table)
                .col(Lessons::CourseId)
                .col(Lessons::ModuleCode)
                .col(Lessons::Slug)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LessonProgress::Table)
                .col(uuid(LessonProgress::UserId))
                .col(uuid(LessonProgress::LessonId))
                .col(timestamp_with_time_zone(LessonProgress::OpenedAt))
                .col(timestamp_with_time_zone_null(LessonProgress::CompletedAt))
                .col(string_null(LessonProgress::CompletedVia))
                .primary_key(
                    Index::create()
                        .col(LessonProgress::UserId)
                        .col(LessonProgress::LessonId),
                )
                .foreign_key(&mut fk(
                    LessonProgress::Table,
                    LessonProgress::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .foreign_key(&mut fk(
                    LessonProgress::Table,
                    LessonProgress::LessonId,
                    Lessons::Table,
                    Lessons::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Classes::Table)
                .col(pk_uuid(Classes::Id))
                .col(string(Classes::Name))
                .col(uuid(Classes::CourseId))
                .col(uuid_null(Classes::UnitId))
                .col(date(Classes::StartsOn))
                .col(date(Classes::EndsOn))
                .col(text(Classes::Rule))
                .col(uuid_null(Classes::CreatedBy))
                .col(timestamp_with_time_zone(Classes::CreatedAt))
                .foreign_key(&mut fk(
                    Classes::Table,
                    Classes::CourseId,
                    Courses::Table,
                    Courses::Id,
                ))
                .foreign_key(&mut fk(
                    Classes::Table,
                    Classes::UnitId,
                    Units::Table,
                    Units::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ClassTrainers::Table)
                .col(uuid(ClassTrainers::ClassId))
                .col(uuid(ClassTrainers::UserId))
                .primary_key(
                    Index::create()
                        .col(ClassTrainers::ClassId)
                        .col(ClassTrainers::UserId),
                )
                .foreign_key(&mut fk(
                    ClassTrainers::Table,
                    ClassTrainers::ClassId,
                    Classes::Table,
                    Classes::Id,
                ))
                .foreign_key(&mut fk(
                    ClassTrainers::Table,
                    ClassTrainers::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Enrolments::Table)
                .col(uuid(Enrolments::ClassId))
                .col(uuid(Enrolments::UserId))
                .col(uuid_null(Enrolments::UnitId))
                .col(timestamp_with_time_zone(Enrolments::EnrolledAt))
                .primary_key(
                    Index::create()
                        .col(Enrolments::ClassId)
                        .col(Enrolments::UserId),
                )
                .foreign_key(&mut fk(
                    Enrolments::Table,
                    Enrolments::ClassId,
                    Classes::Table,
                    Classes::Id,
                ))
                .foreign_key(&mut fk(
                    Enrolments::Table,
                    Enrolments::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_enrolments_user")
                .table(Enrolments::Table)
                .col(Enrolments::UserId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ClassDays::Table)
                .col(uuid(ClassDays::ClassId))
                .col(date(ClassDays::Day))
                .primary_key(Index::create().col(ClassDays::ClassId).col(ClassDays::Day))
                .foreign_key(&mut fk(
                    ClassDays::Table,
                    ClassDays::ClassId,
                    Classes::Table,
                    Classes::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Attendance::Table)
                .col(uuid(Attendance::ClassId))
                .col(date(Attendance::Day))
                .col(uuid(Attendance::UserId))
                .primary_key(
                    Index::create()
                        .col(Attendance::ClassId)
                        .col(Attendance::Day)
                        .col(Attendance::UserId),
                )
                .foreign_key(&mut fk(
                    Attendance::Table,
                    Attendance::ClassId,
                    Classes::Table,
                    Classes::Id,
                ))
                .foreign_key(&mut fk(
                    Attendance::Table,
                    Attendance::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(EligibilityExceptions::Table)
                .col(pk_uuid(EligibilityExceptions::Id))
                .col(uuid(EligibilityExceptions::ClassId))
                .col(uuid(EligibilityExceptions::UserId))
                .col(text(EligibilityExceptions::Reason))
                .col(uuid_null(EligibilityExceptions::GrantedBy))
                .col(timestamp_with_time_zone(EligibilityExceptions::CreatedAt))
                .foreign_key(&mut fk(
                    EligibilityExceptions::Table,
                    EligibilityExceptions::ClassId,
                    Classes::Table,
                    Classes::Id,
                ))
                .foreign_key(&mut fk(
                    EligibilityExceptions::Table,
                    EligibilityExceptions::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            EligibilityExceptions::Table.into_iden(),
            Attendance::Table.into_iden(),
            ClassDays::Table.into_iden(),
            Enrolments::Table.into_iden(),
            ClassTrainers::Table.into_iden(),
            Classes::Table.into_iden(),
            LessonProgress::Table.into_iden(),
            Lessons::Table.into_iden(),
            CourseModules::Table.into_iden(),
            Courses::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
