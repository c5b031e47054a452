//! The tamper-evident record: every change to the permanent record (scores,
//! approvals, certificates, proctor actions, marks, appeal decisions) is
//! appended here in the transaction that makes it. A sealer later gives each
//! entry its place in one hash chain (`seq`, `prev_hash`, `hash`);
//! `ictskills audit verify` recomputes the chain.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorId,
    Kind,
    SubjectType,
    SubjectId,
    Data,
    Seq,
    PrevHash,
    Hash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .if_not_exists()
                .col(uuid(AuditLog::Id).primary_key())
                .col(timestamp_with_time_zone(AuditLog::At))
                .col(uuid_null(AuditLog::ActorId))
                .col(string(AuditLog::Kind))
                .col(string(AuditLog::SubjectType))
                .col(string(AuditLog::SubjectId))
                .col(text(AuditLog::Data))
                .col(big_integer_null(AuditLog::Seq))
                .col(string_null(AuditLog::PrevHash))
                .col(string_null(AuditLog::Hash))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_audit_log_seq")
                .table(AuditLog::Table)
                .col(AuditLog::Seq)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_audit_log_subject")
                .table(AuditLog::Table)
                .col(AuditLog::SubjectType)
                .col(AuditLog::SubjectId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await
    }
}
