//! Schema migrations for ictskills. Each file is one change; an applied
//! migration is never edited. Migrations never import entities and never
//! carry seed content.
pub use sea_orm_migration::prelude::*;

mod m20261125_000001_foundation;
mod m20261125_000002_question_bank;
mod m20261125_000003_courses_classes;
mod m20261125_000004_practice_quizzes;
mod m20261125_000005_reminders;
mod m20261125_000006_exams;
mod m20261125_000007_session_proctors;
mod m20261125_000008_session_approval;
mod m20261125_000009_certificates;
mod m20261125_000010_enrolment_outcomes;
mod m20261125_000011_practical;
mod m20261125_000012_audit_log;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_foundation::Migration),
            Box::new(m20261125_000002_question_bank::Migration),
            Box::new(m20261125_000003_courses_classes::Migration),
            Box::new(m20261125_000004_practice_quizzes::Migration),
            Box::new(m20261125_000005_reminders::Migration),
            Box::new(m20261125_000006_exams::Migration),
            Box::new(m20261125_000007_session_proctors::Migration),
            Box::new(m20261125_000008_session_approval::Migration),
            Box::new(m20261125_000009_certificates::Migration),
            Box::new(m20261125_000010_enrolment_outcomes::Migration),
            Box::new(m20261125_000011_practical::Migration),
            Box::new(m20261125_000012_audit_log::Migration),
        ]
    }
}
