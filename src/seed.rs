//! Content loaded on first start: the 2025 unit list (34 provinces, 3,321
//! communes). Later: the shipped course and question bank.
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use crate::entities::unit;
use crate::i18n::Lang;
use crate::services;

/// The statistics office's unit list after the 1 July 2025 reform.
pub const UNITS_2025: &[u8] = include_bytes!("../config/vn-units-2025.csv");

/// Loads the shipped unit list when the unit table is empty.
pub async fn units_on_first_start(db: &DatabaseConnection) -> anyhow::Result<()> {
    if unit::Entity::find().count(db).await? > 0 {
        return Ok(());
    }
    let report = services::units::import(db, UNITS_2025, false, Lang::En)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    if let Some(e) = report.errors.first() {
        anyhow::bail!("shipped unit list, line {}: {}", e.line, e.message);
    }
    tracing::info!(created = report.counts.created, "loaded the 2025 unit list");
    Ok(())
}
