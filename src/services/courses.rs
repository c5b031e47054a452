//! Studying: loading a course, opening and completing lessons (the server
//! keeps the time), and each learner's progress and eligibility per class.
use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::eligibility::{self, Facts, ModuleProgress};
use crate::domain::role::Role;
use crate::entities::{class, lesson};
use crate::error::AppError;
use crate::formats::course_dir::{self, CourseError};
use crate::i18n::Lang;
use crate::store::courses::{self as store, CourseTree, ImportCounts};
use crate::store::users::UserRecord;
use crate::store::{classes, users};

/// Reads and loads a course folder, all or nothing.
pub async fn import(
    db: &DatabaseConnection,
    files: &[(String, String)],
) -> Result<Result<ImportCounts, Vec<CourseError>>, AppError> {
    let def = match course_dir::parse(files) {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    let counts = db
        .transaction::<_, ImportCounts, AppError>(|txn| {
            Box::pin(async move { Ok(store::upsert(txn, &def).await?.1) })
        })
        .await?;
    Ok(Ok(counts))
}

/// The course folders shipped with the binary (`courses/`).
#[derive(rust_embed::RustEmbed)]
#[folder = "courses/"]
struct Shipped;

/// The files of the shipped course `name` (e.g. `basic`), relative to its folder.
pub fn shipped_files(name: &str) -> Vec<(String, String)> {
    let prefix = format!("{name}/");
    Shipped::iter()
        .filter_map(|path| {
            let rel = path.strip_prefix(&prefix)?.to_string();
            let file = Shipped::get(&path)?;
            Some((rel, String::from_utf8_lossy(&file.data).into_owned()))
        })
        .collect()
}

/// Staff see every course; a learner the courses of their classes.
pub async fn may_study(
    db: &DatabaseConnection,
    user: &UserRecord,
    course_id: Uuid,
) -> Result<bool, AppError> {
    if user.roles.iter().any(|r| r.is_staff()) {
        return Ok(true);
    }
    Ok(classes::classes_of(db, user.user.id)
        .await?
        .iter()
        .any(|c| c.course_id == course_id))
}

/// A lesson the caller may read: 404 for unknown or unpublished lessons
/// (to learners), 403 for a course they are not enrolled in.
pub async fn readable_lesson(
    db: &DatabaseConnection,
    user: &UserRecord,
    id: Uuid,
) -> Result<lesson::Model, AppError> {
    let l = store::lesson(db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let staff = user.roles.iter().any(|r| r.is_staff());
    if l.status != store::PUBLISHED && !staff {
        return Err(AppError::not_found());
    }
    if !may_study(db, user, l.course_id).await? {
        return Err(AppError::forbidden());
    }
    Ok(l)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LessonState {
    pub lesson_id: Uuid,
    pub opened_at: Option<chrono::DateTime<Utc>>,
    pub completed_at: Option<chrono::DateTime<Utc>>,
    /// When "complete" will be accepted (server time).
    pub completable_at: Option<chrono::DateTime<Utc>>,
    pub seconds_left: i64,
    pub server_now: chrono::DateTime<Utc>,
}

fn state_of(l: &lesson::Model, p: Option<&crate::entities::lesson_progress::Model>) -> LessonState {
    let now = Utc::now();
    let completable_at =
        p.map(|p| p.opened_at + chrono::Duration::seconds(i64::from(l.min_seconds)));
    let seconds_left = match (p.and_then(|p| p.completed_at), completable_at) {
        (Some(_), _) => 0,
        (None, Some(at)) => (at - now).num_seconds().max(0),
        (None, None) => i64::from(l.min_seconds),
    };
    LessonState {
        lesson_id: l.id,
        opened_at: p.map(|p| p.opened_at),
        completed_at: p.and_then(|p| p.completed_at),
        completable_at,
        seconds_left,
        server_now: now,
    }
}

pub async fn lesson_state(
    db: &DatabaseConnection,
    user: Uuid,
    l: &lesson::Model,
) -> Result<LessonState, AppError> {
    let p = store::progress_of(db, user, l.id).await?;
    Ok(state_of(l, p.as_ref()))
}

pub async fn open(
    db: &DatabaseConnection,
    user: &UserRecord,
    id: Uuid,
) -> Result<LessonState, AppError> {
    let l = readable_lesson(db, user, id).await?;
    let p = store::open(db, user.user.id, l.id, Utc::now()).await?;
    Ok(state_of(&l, Some(&p)))
}

/// Accepts "completed" only once the lesson's minimum time has passed since
/// it was first opened, as the server measures it. Repeats change nothing.
pub async fn complete(
    db: &DatabaseConnection,
    user: &UserRecord,
    id: Uuid,
) -> Result<LessonState, AppError> {
    let l = readable_lesson(db, user, id).await?;
    let now = Utc::now();
    let p = match store::progress_of(db, user.user.id, l.id).await? {
        Some(p) => p,
        None => store::open(db, user.user.id, l.id, now).await?,
    };
    if p.completed_at.is_none() {
        let ready_at = p.opened_at + chrono::Duration::seconds(i64::from(l.min_seconds));
        if now < ready_at {
            let left = (ready_at - now).num_seconds().max(1);
            return Err(AppError::conflict(
                "too_early",
                format!(
                    "Chưa đủ thời gian học tối thiểu; còn {} nữa.",
                    human_duration(left, Lang::Vi)
                ),
                format!(
                    "The minimum study time has not passed; {} left.",
                    human_duration(left, Lang::En)
                ),
            )
            .with_extra(serde_json::json!({ "seconds_left": left })));
        }
    }
    let p = store::complete(db, p, "time", now).await?;
    Ok(state_of(&l, Some(&p)))
}

pub fn human_duration(secs: i64, lang: Lang) -> String {
    let (m, s) = (secs / 60, secs % 60);
    match (lang, m) {
        (Lang::Vi, 0) => format!("{s} giây"),
        (Lang::Vi, _) => format!("{m} phút {s} giây"),
        (Lang::En, 0) => format!("{s} s"),
        (Lang::En, _) => format!("{m} min {s} s"),
    }
}

/// Module progress of many learners over one course.
fn modules_of(tree: &CourseTree, done: &HashSet<Uuid>) -> Vec<ModuleProgress> {
    tree.module_progress(done)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LearnerProgress {
    pub user_id: Uuid,
    pub full_name: String,
    pub modules: Vec<ModuleProgress>,
    /// Percent of recorded class days attended; null when none were recorded.
    pub attendance: Option<f64>,
    pub eligible: bool,
    pub missing: Vec<String>,
    /// The reason of a trainer's exception, when eligibility rests on one.
    pub exception: Option<String>,
}

/// Every enrolled learner's progress and verdict in a class.
pub async fn class_progress(
    db: &DatabaseConnection,
    c: &class::Model,
    lang: Lang,
) -> Result<Vec<LearnerProgress>, AppError> {
    let tree = store::tree(db, c.course_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let learners = classes::enrolled_users(db, c.id).await?;
    let lesson_ids: Vec<Uuid> = tree.published_lessons().map(|l| l.id).collect();
    let mut done: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    for (u, l) in store::completed(db, &learners, &lesson_ids).await? {
        done.entry(u).or_default().insert(l);
    }
    let (days, present) = classes::attendance_counts(db, c.id).await?;
    let exceptions = classes::exceptions(db, c.id).await?;
    let names = users::names(db, &learners).await?;
    let rule = classes::rule_of(c);
    let mut out: Vec<LearnerProgress> = learners
        .iter()
        .map(|u| {
            let facts = Facts {
                modules: modules_of(&tree, done.get(u).unwrap_or(&HashSet::new())),
                attendance_percent: (days > 0)
                    .then(|| present.get(u).copied().unwrap_or(0) as f64 * 100.0 / days as f64),
                exception: exceptions.get(u).cloned(),
            };
            let v = eligibility::evaluate(&rule, &facts);
            LearnerProgress {
                user_id: *u,
                full_name: names.get(u).cloned().unwrap_or_default(),
                modules: facts.modules,
                attendance: facts.attendance_percent.map(|a| (a * 10.0).round() / 10.0),
                eligible: v.eligible,
                missing: v.missing.iter().map(|m| m.message(lang)).collect(),
                exception: v.exception,
            }
        })
        .collect();
    out.sort_by(|a, b| a.full_name.cmp(&b.full_name));
    Ok(out)
}

/// Whether a learner is eligible in at least one class of `course_id`
/// (what the exam engine asks before registering a candidate).
pub async fn eligible_for_course(
    db: &DatabaseConnection,
    user: Uuid,
    course_id: Uuid,
    lang: Lang,
) -> Result<(bool, Vec<String>), AppError> {
    let mut missing = Vec::new();
    for c in classes::classes_of(db, user)
        .await?
        .into_iter()
        .filter(|c| c.course_id == course_id)
    {
        let progress = class_progress(db, &c, lang).await?;
        if let Some(p) = progress.into_iter().find(|p| p.user_id == user) {
            if p.eligible {
                return Ok((true, Vec::new()));
            }
            missing = p.missing;
        }
    }
    if missing.is_empty() {
        missing.push(
            lang.pick(
                "Chưa được xếp vào lớp nào của khóa học.",
                "Not enrolled in a class of the course.",
            )
            .to_string(),
        );
    }
    Ok((false, missing))
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MyProgress {
    pub modules: Vec<ModuleProgress>,
    pub attendance: Option<f64>,
    pub eligible: bool,
    pub missing: Vec<String>,
    pub exception: Option<String>,
    /// The class this progress is measured in (the current or latest one).
    pub class_id: Option<Uuid>,
    pub class_name: Option<String>,
    pub course_id: Option<Uuid>,
}

/// The learner's progress in their current class: one that is running
/// today, else the most recent.
pub async fn my_progress(
    db: &DatabaseConnection,
    user: &UserRecord,
    lang: Lang,
) -> Result<MyProgress, AppError> {
    let today = Utc::now().date_naive();
    let classes = classes::classes_of(db, user.user.id).await?;
    let current = classes
        .iter()
        .find(|c| c.starts_on <= today && today <= c.ends_on)
        .or_else(|| classes.first());
    let Some(c) = current else {
        return Ok(MyProgress {
            modules: Vec::new(),
            attendance: None,
            eligible: false,
            missing: vec![
                lang.pick(
                    "Bạn chưa được xếp vào lớp học nào.",
                    "You are not enrolled in any class yet.",
                )
                .to_string(),
            ],
            exception: None,
            class_id: None,
            class_name: None,
            course_id: None,
        });
    };
    let mine = class_progress(db, c, lang)
        .await?
        .into_iter()
        .find(|p| p.user_id == user.user.id)
        .ok_or_else(AppError::not_found)?;
    Ok(MyProgress {
        modules: mine.modules,
        attendance: mine.attendance,
        eligible: mine.eligible,
        missing: mine.missing,
        exception: mine.exception,
        class_id: Some(c.id),
        class_name: Some(c.name.clone()),
        course_id: Some(c.course_id),
    })
}

/// Admins manage every class; trainers the classes they are assigned to.
pub async fn may_manage(
    db: &DatabaseConnection,
    user: &UserRecord,
    class_id: Uuid,
) -> Result<bool, AppError> {
    if user.has(Role::Admin) {
        return Ok(true);
    }
    Ok(user.has(Role::Trainer)
        && classes::trainers(db, class_id)
            .await?
            .contains(&user.user.id))
}

/// The lesson to study next: the one opened last and not finished, else the
/// first unfinished one in course order.
pub async fn next_lesson(
    db: &DatabaseConnection,
    user: Uuid,
    tree: &CourseTree,
) -> Result<Option<lesson::Model>, AppError> {
    use crate::entities::lesson_progress;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let ids: Vec<Uuid> = tree.published_lessons().map(|l| l.id).collect();
    let progress = lesson_progress::Entity::find()
        .filter(lesson_progress::Column::UserId.eq(user))
        .filter(lesson_progress::Column::LessonId.is_in(ids))
        .order_by_desc(lesson_progress::Column::OpenedAt)
        .all(db)
        .await?;
    let done: HashSet<Uuid> = progress
        .iter()
        .filter(|p| p.completed_at.is_some())
        .map(|p| p.lesson_id)
        .collect();
    if let Some(p) = progress.iter().find(|p| p.completed_at.is_none()) {
        return Ok(tree
            .published_lessons()
            .find(|l| l.id == p.lesson_id)
            .cloned());
    }
    Ok(tree
        .published_lessons()
        .find(|l| !done.contains(&l.id))
        .cloned())
}

/// Lesson ids the user completed in a course.
pub async fn completed_in(
    db: &DatabaseConnection,
    user: Uuid,
    tree: &CourseTree,
) -> Result<HashSet<Uuid>, AppError> {
    let ids: Vec<Uuid> = tree.published_lessons().map(|l| l.id).collect();
    Ok(store::completed(db, &[user], &ids)
        .await?
        .into_iter()
        .map(|(_, l)| l)
        .collect())
}
