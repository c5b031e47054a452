//! Classes: trainers, enrolments (with the learner's unit then),
//! attendance by day, and eligibility exceptions.
use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::domain::eligibility::Rule;
use crate::entities::{
    attendance, class, class_day, class_trainer, eligibility_exception, enrolment, user,
};

pub struct NewClass {
    pub name: String,
    pub course_id: Uuid,
    pub unit_id: Option<Uuid>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub rule: Rule,
    pub trainer_ids: Vec<Uuid>,
    pub created_by: Option<Uuid>,
}

pub async fn create(db: &impl ConnectionTrait, new: NewClass) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    class::Entity::insert(class::ActiveModel {
        id: Set(id),
        name: Set(new.name),
        course_id: Set(new.course_id),
        unit_id: Set(new.unit_id),
        starts_on: Set(new.starts_on),
        ends_on: Set(new.ends_on),
        rule: Set(serde_json::to_string(&new.rule).unwrap_or_else(|_| "{}".into())),
        created_by: Set(new.created_by),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(db)
    .await?;
    for t in new.trainer_ids {
        class_trainer::Entity::insert(class_trainer::ActiveModel {
            class_id: Set(id),
            user_id: Set(t),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(db)
        .await?;
    }
    Ok(id)
}

pub fn rule_of(c: &class::Model) -> Rule {
    serde_json::from_str(&c.rule).unwrap_or_default()
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<class::Model>, DbErr> {
    class::Entity::find_by_id(id).one(db).await
}

pub async fn trainers(db: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Uuid>, DbErr> {
    Ok(class_trainer::Entity::find()
        .filter(class_trainer::Column::ClassId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.user_id)
        .collect())
}

/// Enrols users (skipping those already in); returns (enrolled, already).
pub async fn enrol(
    db: &impl ConnectionTrait,
    class_id: Uuid,
    users: &[user::Model],
) -> Result<(usize, usize), DbErr> {
    let (mut enrolled, mut already) = (0, 0);
    let mut new_ids = Vec::new();
    for u in users {
        let res = enrolment::Entity::insert(enrolment::ActiveModel {
            class_id: Set(class_id),
            user_id: Set(u.id),
            unit_id: Set(u.unit_id),
            enrolled_at: Set(Utc::now()),
            took_part_at: Set(None),
            eligible: Set(None),
            evaluated_at: Set(None),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(db)
        .await?;
        match res {
            sea_orm::TryInsertResult::Inserted(n) if n > 0 => {
                enrolled += 1;
                new_ids.push(u.id);
            }
            _ => already += 1,
        }
    }
    crate::store::outcomes::refresh_class(db, class_id, Some(&new_ids)).await?;
    Ok((enrolled, already))
}

pub async fn enrolled_users(db: &impl ConnectionTrait, class_id: Uuid) -> Result<Vec<Uuid>, DbErr> {
    Ok(enrolment::Entity::find()
        .filter(enrolment::Column::ClassId.eq(class_id))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.user_id)
        .collect())
}

pub async fn is_enrolled(
    db: &impl ConnectionTrait,
    class_id: Uuid,
    user: Uuid,
) -> Result<bool, DbErr> {
    Ok(enrolment::Entity::find_by_id((class_id, user))
        .one(db)
        .await?
        .is_some())
}

/// The classes a user is enrolled in, newest first.
pub async fn classes_of(db: &impl ConnectionTrait, user: Uuid) -> Result<Vec<class::Model>, DbErr> {
    let ids: Vec<Uuid> = enrolment::Entity::find()
        .filter(enrolment::Column::UserId.eq(user))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.class_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    class::Entity::find()
        .filter(class::Column::Id.is_in(ids))
        .order_by_desc(class::Column::StartsOn)
        .all(db)
        .await
}

/// Records who was present on `day` (replacing an earlier record of that day).
pub async fn record_attendance(
    db: &impl ConnectionTrait,
    class_id: Uuid,
    day: NaiveDate,
    present: &[Uuid],
) -> Result<(), DbErr> {
    class_day::Entity::insert(class_day::ActiveModel {
        class_id: Set(class_id),
        day: Set(day),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(db)
    .await?;
    attendance::Entity::delete_many()
        .filter(attendance::Column::ClassId.eq(class_id))
        .filter(attendance::Column::Day.eq(day))
        .exec(db)
        .await?;
    for u in present {
        attendance::Entity::insert(attendance::ActiveModel {
            class_id: Set(class_id),
            day: Set(day),
            user_id: Set(*u),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(db)
        .await?;
    }
    crate::store::outcomes::refresh_class(db, class_id, None).await
}

/// (recorded days, days each user was present).
pub async fn attendance_counts(
    db: &impl ConnectionTrait,
    class_id: Uuid,
) -> Result<(u64, std::collections::HashMap<Uuid, u64>), DbErr> {
    let days = class_day::Entity::find()
        .filter(class_day::Column::ClassId.eq(class_id))
        .count(db)
        .await?;
    let mut per_user = std::collections::HashMap::new();
    for a in attendance::Entity::find()
        .filter(attendance::Column::ClassId.eq(class_id))
        .all(db)
        .await?
    {
        *per_user.entry(a.user_id).or_insert(0) += 1;
    }
    Ok((days, per_user))
}

pub async fn add_exception(
    db: &impl ConnectionTrait,
    class_id: Uuid,
    user_id: Uuid,
    reason: &str,
    granted_by: Uuid,
) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    eligibility_exception::Entity::insert(eligibility_exception::ActiveModel {
        id: Set(id),
        class_id: Set(class_id),
        user_id: Set(user_id),
        reason: Set(reason.to_string()),
        granted_by: Set(Some(granted_by)),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(db)
    .await?;
    crate::store::outcomes::refresh_class(db, class_id, Some(&[user_id])).await?;
    Ok(id)
}

/// The latest exception per user in a class.
pub async fn exceptions(
    db: &impl ConnectionTrait,
    class_id: Uuid,
) -> Result<std::collections::HashMap<Uuid, String>, DbErr> {
    let mut out = std::collections::HashMap::new();
    for e in eligibility_exception::Entity::find()
        .filter(eligibility_exception::Column::ClassId.eq(class_id))
        .order_by_asc(eligibility_exception::Column::CreatedAt)
        .all(db)
        .await?
    {
        out.insert(e.user_id, e.reason);
    }
    Ok(out)
}

/// Classes visible to a user: every class for admins, their own for trainers.
pub async fn visible(
    db: &impl ConnectionTrait,
    user: Uuid,
    all: bool,
) -> Result<Vec<class::Model>, DbErr> {
    let q = class::Entity::find().order_by_desc(class::Column::StartsOn);
    if all {
        return q.all(db).await;
    }
    let ids: Vec<Uuid> = class_trainer::Entity::find()
        .filter(class_trainer::Column::UserId.eq(user))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.class_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    q.filter(class::Column::Id.is_in(ids)).all(db).await
}
