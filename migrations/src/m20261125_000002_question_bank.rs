//! The question bank: topics, questions with versions, content-addressed
//! blobs (images), and the per-attempt items that question statistics are
//! computed from (filled by the exam engine).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Topics {
    Table,
    Code,
    Module,
    NameVi,
    NameEn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Questions {
    Table,
    Id,
    ExternalId,
    Module,
    Topic,
    Difficulty,
    Qtype,
    Status,
    CurrentVersion,
    ReadyVersion,
    ContentHash,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum QuestionVersions {
    Table,
    Id,
    QuestionId,
    Version,
    Module,
    Topic,
    Difficulty,
    Qtype,
    Format,
    Stem,
    Options,
    GeneralFeedback,
    Tags,
    ContentHash,
    CreatedBy,
    CreatedAt,
    ApprovedBy,
    ApprovedAt,
}

#[derive(DeriveIden)]
enum Blobs {
    Table,
    Sha256,
    ContentType,
    Size,
    Data,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AttemptItems {
    Table,
    Id,
    AttemptId,
    QuestionId,
    QuestionVersionId,
    Position,
    OptionOrder,
    Selected,
    Credit,
    GradedAt,
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
                .table(Topics::Table)
                .col(string(Topics::Code).primary_key())
                .col(string(Topics::Module))
                .col(string_null(Topics::NameVi))
                .col(string_null(Topics::NameEn))
                .col(timestamp_with_time_zone(Topics::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Questions::Table)
                .col(pk_uuid(Questions::Id))
                .col(string_null(Questions::ExternalId).unique_key())
                .col(string(Questions::Module))
                .col(string_null(Questions::Topic))
                .col(string(Questions::Difficulty))
                .col(string(Questions::Qtype))
                .col(string(Questions::Status))
                .col(integer(Questions::CurrentVersion))
                .col(integer_null(Questions::ReadyVersion))
                .col(string(Questions::ContentHash))
                .col(uuid_null(Questions::CreatedBy))
                .col(timestamp_with_time_zone(Questions::CreatedAt))
                .col(timestamp_with_time_zone(Questions::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Questions::Table, Questions::CreatedBy)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            (
                "idx_questions_module_topic",
                vec![Questions::Module, Questions::Topic],
            ),
            (
                "idx_questions_status",
                vec![Questions::Status, Questions::Module],
            ),
            ("idx_questions_hash", vec![Questions::ContentHash]),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(Questions::Table);
            for c in cols {
                idx.col(c);
            }
            m.create_index(idx.to_owned()).await?;
        }

        m.create_table(
            Table::create()
                .table(QuestionVersions::Table)
                .col(pk_uuid(QuestionVersions::Id))
                .col(uuid(QuestionVersions::QuestionId))
                .col(integer(QuestionVersions::Version))
                .col(string(QuestionVersions::Module))
                .col(string_null(QuestionVersions::Topic))
                .col(string(QuestionVersions::Difficulty))
                .col(string(QuestionVersions::Qtype))
                .col(string(QuestionVersions::Format))
                .col(text(QuestionVersions::Stem))
                .col(text(QuestionVersions::Options))
                .col(text(QuestionVersions::GeneralFeedback))
                .col(text(QuestionVersions::Tags))
                .col(string(QuestionVersions::ContentHash))
                .col(uuid_null(QuestionVersions::CreatedBy))
                .col(timestamp_with_time_zone(QuestionVersions::CreatedAt))
                .col(uuid_null(QuestionVersions::ApprovedBy))
                .col(timestamp_with_time_zone_null(QuestionVersions::ApprovedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(QuestionVersions::Table, QuestionVersions::QuestionId)
                        .to(Questions::Table, Questions::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_question_versions_question_version")
                .table(QuestionVersions::Table)
                .col(QuestionVersions::QuestionId)
                .col(QuestionVersions::Version)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Blobs::Table)
                .col(string(Blobs::Sha256).primary_key())
                .col(string(Blobs::ContentType))
                .col(big_integer(Blobs::Size))
                .col(blob(Blobs::Data))
                .col(timestamp_with_time_zone(Blobs::CreatedAt))
                .to_owned(),
        )
        .await?;

        // One row per question drawn into an attempt; the exam engine adds
        // the attempts table and writes these rows.
        m.create_table(
            Table::create()
                .table(AttemptItems::Table)
                .col(pk_uuid(AttemptItems::Id))
                .col(uuid(AttemptItems::AttemptId))
                .col(uuid(AttemptItems::QuestionId))
                .col(uuid(AttemptItems::QuestionVersionId))
                .col(integer(AttemptItems::Position))
                .col(text(AttemptItems::OptionOrder))
                .col(text_null(AttemptItems::Selected))
                .col(double_null(AttemptItems::Credit))
                .col(timestamp_with_time_zone_null(AttemptItems::GradedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(AttemptItems::Table, AttemptItems::QuestionId)
                        .to(Questions::Table, Questions::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(AttemptItems::Table, AttemptItems::QuestionVersionId)
                        .to(QuestionVersions::Table, QuestionVersions::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_attempt_items_question")
                .table(AttemptItems::Table)
                .col(AttemptItems::QuestionId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_attempt_items_attempt")
                .table(AttemptItems::Table)
                .col(AttemptItems::AttemptId)
                .col(AttemptItems::Position)
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            AttemptItems::Table.into_iden(),
            Blobs::Table.into_iden(),
            QuestionVersions::Table.into_iden(),
            Questions::Table.into_iden(),
            Topics::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
