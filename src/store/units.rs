//! The unit tree: provinces, communes, sectors; closed units keep their history.
use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::domain::unit_path::UnitRef;
use crate::entities::unit::{self, Column, Entity};
use crate::formats::units_csv::{UnitCsvError, UnitCsvRow};

pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<unit::Model>, DbErr> {
    Entity::find().all(db).await
}

pub async fn all_refs(db: &impl ConnectionTrait) -> Result<Vec<UnitRef>, DbErr> {
    Ok(all(db).await?.into_iter().map(to_ref).collect())
}

pub fn to_ref(m: unit::Model) -> UnitRef {
    UnitRef {
        id: m.id,
        parent_id: m.parent_id,
        code: m.code,
        name: m.name,
        kind: m.kind,
        closed: m.closed_on.is_some(),
    }
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<unit::Model>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

pub async fn by_code(db: &impl ConnectionTrait, code: &str) -> Result<Option<unit::Model>, DbErr> {
    Entity::find().filter(Column::Code.eq(code)).one(db).await
}

/// Children of `parent` (roots when `None`), by name.
pub async fn children(
    db: &impl ConnectionTrait,
    parent: Option<Uuid>,
) -> Result<Vec<unit::Model>, DbErr> {
    let q = match parent {
        Some(p) => Entity::find().filter(Column::ParentId.eq(p)),
        None => Entity::find().filter(Column::ParentId.is_null()),
    };
    q.order_by_asc(Column::Code)
        .order_by_asc(Column::Name)
        .all(db)
        .await
}

pub struct NewUnit {
    pub name: String,
    pub kind: String,
    pub code: Option<String>,
    pub parent_id: Option<Uuid>,
}

pub async fn create(db: &impl ConnectionTrait, new: NewUnit) -> Result<unit::Model, DbErr> {
    let now = Utc::now();
    unit::ActiveModel {
        id: Set(Uuid::now_v7()),
        code: Set(new.code),
        name: Set(new.name),
        kind: Set(new.kind),
        parent_id: Set(new.parent_id),
        closed_on: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

/// Closes a unit from `on`; its people and history stay.
pub async fn close(
    db: &impl ConnectionTrait,
    m: unit::Model,
    on: NaiveDate,
) -> Result<unit::Model, DbErr> {
    let mut am: unit::ActiveModel = m.into();
    am.closed_on = Set(Some(on));
    am.updated_at = Set(Utc::now());
    am.update(db).await
}

#[derive(Clone, Debug, Default, serde::Serialize, utoipa::ToSchema)]
pub struct ImportCounts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Creates or updates units by official code. Parents may come later in
/// the file than their children. Returns errors instead of writing when a
/// parent code is unknown; the caller runs this in a transaction.
pub async fn import(
    db: &impl ConnectionTrait,
    rows: &[UnitCsvRow],
    write: bool,
) -> Result<Result<ImportCounts, Vec<UnitCsvError>>, DbErr> {
    let existing: HashMap<String, unit::Model> = all(db)
        .await?
        .into_iter()
        .filter_map(|m| m.code.clone().map(|c| (c, m)))
        .collect();
    // Every code the tree will know after the import, with its id.
    let mut ids: HashMap<&str, Uuid> = existing.iter().map(|(c, m)| (c.as_str(), m.id)).collect();
    for r in rows {
        ids.entry(r.code.as_str()).or_insert_with(Uuid::now_v7);
    }
    let mut errors = Vec::new();
    for r in rows {
        if let Some(p) = &r.parent_code
            && !ids.contains_key(p.as_str())
        {
            errors.push(UnitCsvError {
                line: r.line,
                vi: format!("Dòng {}: không có đơn vị cấp trên mã {p}.", r.line),
                en: format!("Line {}: no parent unit with code {p}.", r.line),
            });
        }
    }
    // The tree after the import must have no cycle (a unit above itself).
    let mut parent_of: HashMap<Uuid, Option<Uuid>> =
        existing.values().map(|m| (m.id, m.parent_id)).collect();
    for r in rows {
        if let Some(id) = ids.get(r.code.as_str()) {
            let parent = r.parent_code.as_deref().and_then(|p| ids.get(p).copied());
            parent_of.insert(*id, parent);
        }
    }
    for r in rows {
        let Some(start) = ids.get(r.code.as_str()).copied() else {
            continue;
        };
        let mut at = start;
        for _ in 0..=parent_of.len() {
            match parent_of.get(&at).copied().flatten() {
                Some(p) if p == start => {
                    errors.push(UnitCsvError {
                        line: r.line,
                        vi: format!(
                            "Dòng {}: đơn vị mã {} nằm dưới chính nó (vòng lặp cấp trên).",
                            r.line, r.code
                        ),
                        en: format!(
                            "Line {}: unit {} ends up below itself (a parent cycle).",
                            r.line, r.code
                        ),
                    });
                    break;
                }
                Some(p) => at = p,
                None => break,
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let mut counts = ImportCounts::default();
    let now = Utc::now();
    let mut to_insert = Vec::new();
    for r in rows {
        let parent_id = r.parent_code.as_deref().and_then(|p| ids.get(p).copied());
        match existing.get(&r.code) {
            Some(m) if m.name == r.name && m.kind == r.kind && m.parent_id == parent_id => {
                counts.unchanged += 1
            }
            Some(m) => {
                counts.updated += 1;
                if write {
                    let mut am: unit::ActiveModel = m.clone().into();
                    am.name = Set(r.name.clone());
                    am.kind = Set(r.kind.clone());
                    am.parent_id = Set(parent_id);
                    am.updated_at = Set(now);
                    am.update(db).await?;
                }
            }
            None => {
                counts.created += 1;
                to_insert.push(unit::ActiveModel {
                    id: Set(ids
                        .get(r.code.as_str())
                        .copied()
                        .unwrap_or_else(Uuid::now_v7)),
                    code: Set(Some(r.code.clone())),
                    name: Set(r.name.clone()),
                    kind: Set(r.kind.clone()),
                    parent_id: Set(parent_id),
                    closed_on: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                });
            }
        }
    }
    if write && !to_insert.is_empty() {
        // Foreign keys: insert parents before children.
        let new_codes: HashMap<Uuid, Option<Uuid>> = to_insert
            .iter()
            .filter_map(|am| match (&am.id, &am.parent_id) {
                (Set(id), Set(p)) => Some((*id, *p)),
                _ => None,
            })
            .collect();
        let depth = |mut id: Uuid| {
            let mut d = 0;
            while let Some(Some(p)) = new_codes.get(&id) {
                d += 1;
                id = *p;
                if d > 64 {
                    break;
                }
            }
            d
        };
        to_insert.sort_by_key(|am| match &am.id {
            Set(id) => depth(*id),
            _ => 0,
        });
        for chunk in to_insert.chunks(400) {
            Entity::insert_many(chunk.to_vec())
                .exec_without_returning(db)
                .await?;
        }
    }
    Ok(Ok(counts))
}
