//! Keeps each enrolment's report facts current: when the learner first took
//! part (opened a lesson of the class's course, or was present on a class
//! day) and whether they are eligible as of the class's end (or now, while
//! it runs). Called after every event that can change them, so reports read
//! one row per enrolment instead of every lesson ever opened.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::domain::eligibility::{self, Facts};
use crate::entities::{
    attendance, class, class_day, eligibility_exception, enrolment, lesson, lesson_progress,
};
use crate::store::{classes, courses};

/// The end of a class's last day, in the installation's time zone.
pub fn class_end(ends_on: NaiveDate) -> DateTime<Utc> {
    let next = ends_on.succ_opt().unwrap_or(ends_on);
    crate::configuration::local_tz()
        .from_local_datetime(&next.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| next.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// Recomputes the facts of `users` (all learners when `None`) in one class.
pub async fn refresh_class(
    db: &impl ConnectionTrait,
    class_id: Uuid,
    users: Option<&[Uuid]>,
) -> Result<(), DbErr> {
    let Some(c) = class::Entity::find_by_id(class_id).one(db).await? else {
        return Ok(());
    };
    let learners: Vec<Uuid> = match users {
        Some(u) => u.to_vec(),
        None => classes::enrolled_users(db, class_id).await?,
    };
    if learners.is_empty() {
        return Ok(());
    }
    let Some(tree) = courses::tree(db, c.course_id).await? else {
        return Ok(());
    };
    let cutoff = class_end(c.ends_on);
    let lesson_ids: Vec<Uuid> = tree
        .modules
        .iter()
        .flat_map(|(_, ls)| ls.iter().map(|l| l.id))
        .collect();
    let mut first_open: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    let mut done: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    for chunk in learners.chunks(500) {
        if lesson_ids.is_empty() {
            break;
        }
        for p in lesson_progress::Entity::find()
            .filter(lesson_progress::Column::UserId.is_in(chunk.iter().copied()))
            .filter(lesson_progress::Column::LessonId.is_in(lesson_ids.iter().copied()))
            .all(db)
            .await?
        {
            let e = first_open.entry(p.user_id).or_insert(p.opened_at);
            if p.opened_at < *e {
                *e = p.opened_at;
            }
            if p.completed_at.is_some_and(|t| t < cutoff) {
                done.entry(p.user_id).or_default().insert(p.lesson_id);
            }
        }
    }
    let days = class_day::Entity::find()
        .filter(class_day::Column::ClassId.eq(class_id))
        .filter(class_day::Column::Day.lte(c.ends_on))
        .all(db)
        .await?
        .len();
    let mut present: HashMap<Uuid, (u64, NaiveDate)> = HashMap::new();
    for a in attendance::Entity::find()
        .filter(attendance::Column::ClassId.eq(class_id))
        .filter(attendance::Column::Day.lte(c.ends_on))
        .all(db)
        .await?
    {
        let e = present.entry(a.user_id).or_insert((0, a.day));
        e.0 += 1;
        e.1 = e.1.min(a.day);
    }
    let mut exceptions: HashMap<Uuid, String> = HashMap::new();
    for e in eligibility_exception::Entity::find()
        .filter(eligibility_exception::Column::ClassId.eq(class_id))
        .filter(eligibility_exception::Column::CreatedAt.lt(cutoff))
        .all(db)
        .await?
    {
        exceptions.insert(e.user_id, e.reason);
    }
    let rule = classes::rule_of(&c);
    let tz = crate::configuration::local_tz();
    let now = Utc::now();
    let empty = HashSet::new();
    for u in &learners {
        let facts = Facts {
            modules: tree.module_progress(done.get(u).unwrap_or(&empty)),
            attendance_percent: (days > 0)
                .then(|| present.get(u).map(|p| p.0).unwrap_or(0) as f64 * 100.0 / days as f64),
            exception: exceptions.get(u).cloned(),
        };
        let eligible = eligibility::evaluate(&rule, &facts).eligible;
        let attended = present.get(u).and_then(|(_, day)| {
            tz.from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
                .earliest()
                .map(|t| t.with_timezone(&Utc))
        });
        let took_part = match (first_open.get(u).copied(), attended) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        enrolment::Entity::update_many()
            .col_expr(enrolment::Column::TookPartAt, Expr::value(took_part))
            .col_expr(enrolment::Column::Eligible, Expr::value(eligible))
            .col_expr(enrolment::Column::EvaluatedAt, Expr::value(now))
            .filter(enrolment::Column::ClassId.eq(class_id))
            .filter(enrolment::Column::UserId.eq(*u))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// After a learner opened or completed `lesson_id`: refreshes them in every
/// class of the lesson's course.
pub async fn refresh_for_lesson(
    db: &impl ConnectionTrait,
    user: Uuid,
    lesson_id: Uuid,
) -> Result<(), DbErr> {
    let Some(l) = lesson::Entity::find_by_id(lesson_id).one(db).await? else {
        return Ok(());
    };
    for c in classes::classes_of(db, user).await? {
        if c.course_id == l.course_id {
            refresh_class(db, c.id, Some(&[user])).await?;
        }
    }
    Ok(())
}

/// Fills in enrolments never evaluated (rows from before this existed).
pub async fn backfill(db: &impl ConnectionTrait) -> Result<usize, DbErr> {
    let stale: HashSet<Uuid> = enrolment::Entity::find()
        .filter(enrolment::Column::EvaluatedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.class_id)
        .collect();
    for c in &stale {
        refresh_class(db, *c, None).await?;
    }
    Ok(stale.len())
}
