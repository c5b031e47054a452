//! Study reminders: a learner of a running class who is not yet eligible
//! and has not studied for `inactive_days` gets a reminder (once per such
//! period); on the summary weekday each trainer gets a summary per class.
//! A log table makes every message go once, whichever instance runs it.
use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use crate::configuration::Settings;
use crate::entities::{class, enrolment, lesson, lesson_progress, reminder_log, user};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::mail::{self, Mail};
use crate::services::courses;
use crate::store::classes;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sent {
    pub reminders: usize,
    pub summaries: usize,
}

/// Records `(user, kind, period)`; false when it was already there.
async fn first_time(
    db: &impl ConnectionTrait,
    user: Uuid,
    kind: &str,
    period: &str,
) -> Result<bool, AppError> {
    let res = reminder_log::Entity::insert(reminder_log::ActiveModel {
        user_id: Set(user),
        kind: Set(kind.to_string()),
        period: Set(period.to_string()),
        sent_at: Set(Utc::now()),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(db)
    .await?;
    Ok(matches!(res, sea_orm::TryInsertResult::Inserted(n) if n > 0))
}

/// Each learner's last study time in a class's course (or enrolment time).
async fn last_activity(
    db: &DatabaseConnection,
    c: &class::Model,
) -> Result<HashMap<Uuid, DateTime<Utc>>, AppError> {
    let mut last: HashMap<Uuid, DateTime<Utc>> = enrolment::Entity::find()
        .filter(enrolment::Column::ClassId.eq(c.id))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.user_id, e.enrolled_at))
        .collect();
    let lessons: Vec<Uuid> = lesson::Entity::find()
        .filter(lesson::Column::CourseId.eq(c.course_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.id)
        .collect();
    let users: Vec<Uuid> = last.keys().copied().collect();
    for chunk in users.chunks(500) {
        for p in lesson_progress::Entity::find()
            .filter(lesson_progress::Column::UserId.is_in(chunk.iter().copied()))
            .filter(lesson_progress::Column::LessonId.is_in(lessons.iter().copied()))
            .all(db)
            .await?
        {
            let t = p.completed_at.unwrap_or(p.opened_at).max(p.opened_at);
            let e = last.entry(p.user_id).or_insert(t);
            if t > *e {
                *e = t;
            }
        }
    }
    Ok(last)
}

/// One pass over the running classes at `now`.
pub async fn run_once(
    db: &DatabaseConnection,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Sent, AppError> {
    let tz = settings.time_zone();
    let today: NaiveDate = now.with_timezone(&tz).date_naive();
    let lang = Lang::parse(&settings.site.default_lang).unwrap_or_default();
    let days = settings.reminders.inactive_days.max(1);
    let base = settings.base_url();
    let mut sent = Sent::default();
    let running: Vec<class::Model> = class::Entity::find()
        .filter(class::Column::StartsOn.lte(today))
        .filter(class::Column::EndsOn.gte(today))
        .all(db)
        .await?;
    for c in running {
        let progress = courses::class_progress(db, &c, lang).await?;
        let last = last_activity(db, &c).await?;
        let inactive: Vec<&courses::LearnerProgress> = progress
            .iter()
            .filter(|p| !p.eligible)
            .filter(|p| {
                last.get(&p.user_id)
                    .is_none_or(|t| (now - *t).num_days() >= days)
            })
            .collect();
        let period = (today.num_days_from_ce() / days as i32).to_string();
        for p in &inactive {
            if !first_time(db, p.user_id, &format!("inactive:{}", c.id), &period).await? {
                continue;
            }
            let Some(u) = user::Entity::find_by_id(p.user_id).one(db).await? else {
                continue;
            };
            let link = format!("{base}/");
            mail::enqueue(
                db,
                &u.email,
                lang,
                Mail::StudyReminder {
                    name: &u.full_name,
                    class: &c.name,
                    days,
                    link: &link,
                },
            )
            .await?;
            sent.reminders += 1;
        }
        if today.weekday().number_from_monday() == settings.reminders.summary_weekday {
            let week = format!(
                "{}-W{:02}",
                today.iso_week().year(),
                today.iso_week().week()
            );
            let stuck: Vec<String> = inactive.iter().map(|p| p.full_name.clone()).collect();
            let eligible = progress.iter().filter(|p| p.eligible).count();
            for t in classes::trainers(db, c.id).await? {
                if !first_time(db, t, &format!("weekly:{}", c.id), &week).await? {
                    continue;
                }
                let Some(u) = user::Entity::find_by_id(t).one(db).await? else {
                    continue;
                };
                let link = format!("{base}/classes/{}", c.id);
                mail::enqueue(
                    db,
                    &u.email,
                    lang,
                    Mail::WeeklySummary {
                        name: &u.full_name,
                        class: &c.name,
                        enrolled: progress.len(),
                        eligible,
                        stuck: &stuck,
                        link: &link,
                    },
                )
                .await?;
                sent.summaries += 1;
            }
        }
    }
    Ok(sent)
}

/// Runs a pass every `check_interval_seconds` until `stop` fires.
pub async fn run(
    db: DatabaseConnection,
    settings: Settings,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let every = Duration::from_secs(settings.reminders.check_interval_seconds.max(60));
    loop {
        if let Err(e) = run_once(&db, &settings, Utc::now()).await {
            tracing::warn!(error = ?e, "reminder pass failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => break,
        }
    }
}
