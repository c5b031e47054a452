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

/// The shipped question bank, one GIFT file per module.
pub const BANK: [(&str, &[u8]); 6] = [
    (
        "question-bank/IU01.gift",
        include_bytes!("../question-bank/IU01.gift"),
    ),
    (
        "question-bank/IU02.gift",
        include_bytes!("../question-bank/IU02.gift"),
    ),
    (
        "question-bank/IU03.gift",
        include_bytes!("../question-bank/IU03.gift"),
    ),
    (
        "question-bank/IU04.gift",
        include_bytes!("../question-bank/IU04.gift"),
    ),
    (
        "question-bank/IU05.gift",
        include_bytes!("../question-bank/IU05.gift"),
    ),
    (
        "question-bank/IU06.gift",
        include_bytes!("../question-bank/IU06.gift"),
    ),
];

/// Names the standard's topics; codes already present keep their names.
pub async fn taxonomy(db: &DatabaseConnection) -> anyhow::Result<()> {
    use sea_orm::{ActiveValue::Set, EntityTrait};
    for (code, vi, en) in crate::domain::taxonomy::TOPICS {
        let module = code.split('.').next().unwrap_or_default();
        crate::entities::topic::Entity::insert(crate::entities::topic::ActiveModel {
            code: Set(code.to_string()),
            module: Set(module.to_string()),
            name_vi: Set(Some(vi.to_string())),
            name_en: Set(Some(en.to_string())),
            created_at: Set(chrono::Utc::now()),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Loads the shipped bank (as reviewed) when the bank is empty.
pub async fn bank_on_first_start(db: &DatabaseConnection) -> anyhow::Result<()> {
    taxonomy(db).await?;
    if crate::store::questions::count(db).await? > 0 {
        return Ok(());
    }
    let mut total = 0;
    for (name, bytes) in BANK {
        let report = services::questions::import(
            db,
            services::questions::ImportFormat::Gift,
            bytes,
            &Default::default(),
            false,
            services::questions::Origin::Shipped,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        if let Some(e) = report.errors.first() {
            anyhow::bail!("{name}:{}: {}", e.line, e.message);
        }
        total += report.created;
    }
    tracing::info!(created = total, "loaded the shipped question bank");
    Ok(())
}

/// Loads the shipped basic course when no course exists.
pub async fn course_on_first_start(db: &DatabaseConnection) -> anyhow::Result<()> {
    if !crate::store::courses::all(db).await?.is_empty() {
        return Ok(());
    }
    let files = services::courses::shipped_files("basic");
    match services::courses::import(db, &files)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
    {
        Ok(c) => tracing::info!(lessons = c.created, "loaded the shipped basic course"),
        Err(errors) => {
            if let Some(e) = errors.first() {
                anyhow::bail!("courses/basic/{}:{}: {}", e.file, e.line, e.message);
            }
        }
    }
    Ok(())
}

/// Everything loaded on a fresh installation.
pub async fn on_first_start(db: &DatabaseConnection) -> anyhow::Result<()> {
    units_on_first_start(db).await?;
    bank_on_first_start(db).await?;
    course_on_first_start(db).await?;
    services::exams::ensure_default_blueprint(db)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let tasks = services::practical::load_shipped(db).await?;
    if tasks > 0 {
        tracing::info!(tasks, "loaded the shipped practical tasks");
    }
    services::practical::ensure_default_paper(db).await?;
    Ok(())
}
