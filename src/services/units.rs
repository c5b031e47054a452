//! Importing the unit list (`code,name,kind,parent_code`), all or nothing.
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde::Serialize;

use crate::error::AppError;
use crate::formats::{table, units_csv};
use crate::i18n::Lang;
use crate::services::roster::LineError;
use crate::store::units::{self, ImportCounts};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnitImportReport {
    pub dry_run: bool,
    #[serde(flatten)]
    pub counts: ImportCounts,
    pub errors: Vec<LineError>,
}

/// Reads, checks and (unless `dry_run`) writes. `Err` only for failures
/// inside; a report with errors means nothing was written.
pub async fn import(
    db: &DatabaseConnection,
    bytes: &[u8],
    dry_run: bool,
    lang: Lang,
) -> Result<UnitImportReport, AppError> {
    let mut report = UnitImportReport {
        dry_run,
        counts: ImportCounts::default(),
        errors: Vec::new(),
    };
    let table = match table::read_table(bytes) {
        Ok(t) => t,
        Err(e) => {
            report.errors.push(LineError {
                line: e.line().unwrap_or(0),
                message: e.message(lang),
            });
            return Ok(report);
        }
    };
    let (rows, errors) = units_csv::parse(&table);
    if !errors.is_empty() {
        report.errors = errors
            .iter()
            .map(|e| LineError {
                line: e.line,
                message: e.message(lang),
            })
            .collect();
        return Ok(report);
    }
    let write = !dry_run;
    let outcome = db
        .transaction::<_, Result<ImportCounts, Vec<units_csv::UnitCsvError>>, AppError>(|txn| {
            Box::pin(async move {
                let r = units::import(txn, &rows, write).await?;
                Ok(r)
            })
        })
        .await?;
    match outcome {
        Ok(counts) => report.counts = counts,
        Err(errors) => {
            report.errors = errors
                .iter()
                .map(|e| LineError {
                    line: e.line,
                    message: e.message(lang),
                })
                .collect()
        }
    }
    Ok(report)
}
