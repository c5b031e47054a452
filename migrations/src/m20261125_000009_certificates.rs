//! Certificates: the register (sổ gốc), its counters, the issue/revocation
//! history, the decision approving a session's results (the candidate list),
//! and the credential signing keys (current and retired).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Kid,
    Algorithm,
    PrivateKey,
    PublicKey,
    CreatedAt,
    RetiredAt,
}

#[derive(DeriveIden)]
enum Counters {
    Table,
    Name,
    Value,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    Code,
    Serial,
    Year,
    RegisterNumber,
    Level,
    UserId,
    AttemptId,
    SessionId,
    HolderFullName,
    HolderDateOfBirth,
    HolderPlaceOfBirth,
    HolderSex,
    SessionTitle,
    ExamDate,
    Score,
    MaxScore,
    CentreCode,
    CentreName,
    CentreAddress,
    SignerName,
    SignerTitle,
    IssuedOn,
    IssuedAt,
    IssuedBy,
    StatusList,
    StatusIndex,
    Credential,
    RevokedAt,
    RevokedOn,
    RevocationReason,
    RevocationNote,
    RevokedBy,
}

#[derive(DeriveIden)]
enum CertificateEvents {
    Table,
    Id,
    CertificateId,
    Kind,
    At,
    ActorId,
    Reason,
    Note,
}

#[derive(DeriveIden)]
enum ApprovalEntries {
    Table,
    SessionId,
    UserId,
    AttemptId,
    Score,
    Passed,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Attempts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ExamSessions {
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
                .table(SigningKeys::Table)
                .col(string(SigningKeys::Kid).primary_key())
                .col(string(SigningKeys::Algorithm))
                .col(blob(SigningKeys::PrivateKey))
                .col(blob(SigningKeys::PublicKey))
                .col(timestamp_with_time_zone(SigningKeys::CreatedAt))
                .col(timestamp_with_time_zone_null(SigningKeys::RetiredAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Counters::Table)
                .col(string(Counters::Name).primary_key())
                .col(big_integer(Counters::Value))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Certificates::Table)
                .col(pk_uuid(Certificates::Id))
                .col(string_uniq(Certificates::Code))
                .col(string_uniq(Certificates::Serial))
                .col(integer(Certificates::Year))
                .col(integer(Certificates::RegisterNumber))
                .col(string(Certificates::Level))
                .col(uuid(Certificates::UserId))
                .col(uuid(Certificates::AttemptId))
                .col(uuid(Certificates::SessionId))
                .col(string(Certificates::HolderFullName))
                .col(date_null(Certificates::HolderDateOfBirth))
                .col(string_null(Certificates::HolderPlaceOfBirth))
                .col(string_null(Certificates::HolderSex))
                .col(string(Certificates::SessionTitle))
                .col(date(Certificates::ExamDate))
                .col(double(Certificates::Score))
                .col(double(Certificates::MaxScore))
                .col(string(Certificates::CentreCode))
                .col(string(Certificates::CentreName))
                .col(string(Certificates::CentreAddress))
                .col(string(Certificates::SignerName))
                .col(string(Certificates::SignerTitle))
                .col(date(Certificates::IssuedOn))
                .col(timestamp_with_time_zone(Certificates::IssuedAt))
                .col(uuid_null(Certificates::IssuedBy))
                .col(integer(Certificates::StatusList))
                .col(integer(Certificates::StatusIndex))
                .col(text(Certificates::Credential))
                .col(timestamp_with_time_zone_null(Certificates::RevokedAt))
                .col(date_null(Certificates::RevokedOn))
                .col(string_null(Certificates::RevocationReason))
                .col(text_null(Certificates::RevocationNote))
                .col(uuid_null(Certificates::RevokedBy))
                .foreign_key(&mut fk(
                    Certificates::Table,
                    Certificates::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .foreign_key(&mut fk(
                    Certificates::Table,
                    Certificates::AttemptId,
                    Attempts::Table,
                    Attempts::Id,
                ))
                .foreign_key(&mut fk(
                    Certificates::Table,
                    Certificates::SessionId,
                    ExamSessions::Table,
                    ExamSessions::Id,
                ))
                .to_owned(),
        )
        .await?;
        for (name, cols, unique) in [
            (
                "idx_certificates_year_number",
                vec![Certificates::Year, Certificates::RegisterNumber],
                true,
            ),
            (
                "idx_certificates_attempt_level",
                vec![Certificates::AttemptId, Certificates::Level],
                true,
            ),
            (
                "idx_certificates_status",
                vec![Certificates::StatusList, Certificates::StatusIndex],
                true,
            ),
            ("idx_certificates_user", vec![Certificates::UserId], false),
            (
                "idx_certificates_session",
                vec![Certificates::SessionId],
                false,
            ),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(Certificates::Table);
            for c in cols {
                idx.col(c);
            }
            if unique {
                idx.unique();
            }
            m.create_index(idx.to_owned()).await?;
        }
        m.create_table(
            Table::create()
                .table(CertificateEvents::Table)
                .col(pk_uuid(CertificateEvents::Id))
                .col(uuid(CertificateEvents::CertificateId))
                .col(string(CertificateEvents::Kind))
                .col(timestamp_with_time_zone(CertificateEvents::At))
                .col(uuid_null(CertificateEvents::ActorId))
                .col(string_null(CertificateEvents::Reason))
                .col(text_null(CertificateEvents::Note))
                .foreign_key(&mut fk(
                    CertificateEvents::Table,
                    CertificateEvents::CertificateId,
                    Certificates::Table,
                    Certificates::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_certificate_events_cert")
                .table(CertificateEvents::Table)
                .col(CertificateEvents::CertificateId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ApprovalEntries::Table)
                .col(uuid(ApprovalEntries::SessionId))
                .col(uuid(ApprovalEntries::UserId))
                .col(uuid(ApprovalEntries::AttemptId))
                .col(double(ApprovalEntries::Score))
                .col(boolean(ApprovalEntries::Passed))
                .primary_key(
                    Index::create()
                        .col(ApprovalEntries::SessionId)
                        .col(ApprovalEntries::UserId),
                )
                .foreign_key(&mut fk(
                    ApprovalEntries::Table,
                    ApprovalEntries::SessionId,
                    ExamSessions::Table,
                    ExamSessions::Id,
                ))
                .foreign_key(&mut fk(
                    ApprovalEntries::Table,
                    ApprovalEntries::AttemptId,
                    Attempts::Table,
                    Attempts::Id,
                ))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            ApprovalEntries::Table.into_iden(),
            CertificateEvents::Table.into_iden(),
            Certificates::Table.into_iden(),
            Counters::Table.into_iden(),
            SigningKeys::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
