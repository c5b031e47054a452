//! Courses, their modules and lessons, and who completed what.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::entities::{course, course_module, lesson, lesson_progress};
use crate::formats::course_dir::CourseDef;

pub const PUBLISHED: &str = "published";

#[derive(Clone, Debug, Default)]
pub struct ImportCounts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Creates or updates a course by code, its modules by code and its
/// lessons by slug (lessons keep their ids, so progress survives edits).
pub async fn upsert(
    db: &impl ConnectionTrait,
    def: &CourseDef,
) -> Result<(Uuid, ImportCounts), DbErr> {
    let now = Utc::now();
    let mut counts = ImportCounts::default();
    let course_id = match course::Entity::find()
        .filter(course::Column::Code.eq(&def.code))
        .one(db)
        .await?
    {
        Some(c) => {
            if c.title != def.title || c.description != def.description {
                let mut am: course::ActiveModel = c.clone().into();
                am.title = Set(def.title.clone());
                am.description = Set(def.description.clone());
                am.update(db).await?;
            }
            c.id
        }
        None => {
            let id = Uuid::now_v7();
            course::Entity::insert(course::ActiveModel {
                id: Set(id),
                code: Set(def.code.clone()),
                title: Set(def.title.clone()),
                description: Set(def.description.clone()),
                created_at: Set(now),
            })
            .exec_without_returning(db)
            .await?;
            id
        }
    };
    for (pos, m) in def.modules.iter().enumerate() {
        let existing = course_module::Entity::find()
            .filter(course_module::Column::CourseId.eq(course_id))
            .filter(course_module::Column::Code.eq(&m.code))
            .one(db)
            .await?;
        match existing {
            Some(e) => {
                let mut am: course_module::ActiveModel = e.into();
                am.title = Set(m.title.clone());
                am.position = Set(pos as i32 + 1);
                am.update(db).await?;
            }
            None => {
                course_module::Entity::insert(course_module::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    course_id: Set(course_id),
                    code: Set(m.code.clone()),
                    title: Set(m.title.clone()),
                    position: Set(pos as i32 + 1),
                })
                .exec_without_returning(db)
                .await?;
            }
        }
        for (lpos, l) in m.lessons.iter().enumerate() {
            let topics = serde_json::to_string(&l.topics).unwrap_or_else(|_| "[]".into());
            let existing = lesson::Entity::find()
                .filter(lesson::Column::CourseId.eq(course_id))
                .filter(lesson::Column::ModuleCode.eq(&m.code))
                .filter(lesson::Column::Slug.eq(&l.slug))
                .one(db)
                .await?;
            match existing {
                Some(e) => {
                    let same = e.title == l.title
                        && e.body == l.body
                        && e.min_seconds == l.min_seconds as i32
                        && e.topics == topics
                        && e.quiz_questions == l.quiz_questions as i32
                        && e.quiz_pass_percent == l.quiz_pass_percent as i32
                        && e.position == lpos as i32 + 1;
                    if same {
                        counts.unchanged += 1;
                        continue;
                    }
                    counts.updated += 1;
                    let mut am: lesson::ActiveModel = e.into();
                    am.title = Set(l.title.clone());
                    am.body = Set(l.body.clone());
                    am.min_seconds = Set(l.min_seconds as i32);
                    am.topics = Set(topics);
                    am.quiz_questions = Set(l.quiz_questions as i32);
                    am.quiz_pass_percent = Set(l.quiz_pass_percent as i32);
                    am.position = Set(lpos as i32 + 1);
                    am.updated_at = Set(now);
                    am.update(db).await?;
                }
                None => {
                    counts.created += 1;
                    lesson::Entity::insert(lesson::ActiveModel {
                        id: Set(Uuid::now_v7()),
                        course_id: Set(course_id),
                        module_code: Set(m.code.clone()),
                        slug: Set(l.slug.clone()),
                        title: Set(l.title.clone()),
                        body: Set(l.body.clone()),
                        min_seconds: Set(l.min_seconds as i32),
                        topics: Set(topics),
                        quiz_questions: Set(l.quiz_questions as i32),
                        quiz_pass_percent: Set(l.quiz_pass_percent as i32),
                        status: Set(PUBLISHED.into()),
                        position: Set(lpos as i32 + 1),
                        updated_at: Set(now),
                    })
                    .exec_without_returning(db)
                    .await?;
                }
            }
        }
    }
    Ok((course_id, counts))
}

/// A course with its modules and lessons in order.
#[derive(Clone, Debug)]
pub struct CourseTree {
    pub course: course::Model,
    pub modules: Vec<(course_module::Model, Vec<lesson::Model>)>,
}

impl CourseTree {
    /// Each module's published lessons, done and in all.
    pub fn module_progress(
        &self,
        done: &std::collections::HashSet<Uuid>,
    ) -> Vec<crate::domain::eligibility::ModuleProgress> {
        self.modules
            .iter()
            .map(|(m, lessons)| {
                let published: Vec<&lesson::Model> =
                    lessons.iter().filter(|l| l.status == PUBLISHED).collect();
                let completed = published.iter().filter(|l| done.contains(&l.id)).count();
                crate::domain::eligibility::ModuleProgress::new(
                    m.code.clone(),
                    published.len() as u32,
                    completed as u32,
                )
            })
            .collect()
    }

    pub fn published_lessons(&self) -> impl Iterator<Item = &lesson::Model> {
        self.modules
            .iter()
            .flat_map(|(_, ls)| ls.iter())
            .filter(|l| l.status == PUBLISHED)
    }
}

pub async fn tree(db: &impl ConnectionTrait, course_id: Uuid) -> Result<Option<CourseTree>, DbErr> {
    let Some(course) = course::Entity::find_by_id(course_id).one(db).await? else {
        return Ok(None);
    };
    let modules = course_module::Entity::find()
        .filter(course_module::Column::CourseId.eq(course_id))
        .order_by_asc(course_module::Column::Position)
        .all(db)
        .await?;
    let lessons = lesson::Entity::find()
        .filter(lesson::Column::CourseId.eq(course_id))
        .order_by_asc(lesson::Column::Position)
        .all(db)
        .await?;
    let mut by_module: HashMap<String, Vec<lesson::Model>> = HashMap::new();
    for l in lessons {
        by_module.entry(l.module_code.clone()).or_default().push(l);
    }
    let modules = modules
        .into_iter()
        .map(|m| {
            let ls = by_module.remove(&m.code).unwrap_or_default();
            (m, ls)
        })
        .collect();
    Ok(Some(CourseTree { course, modules }))
}

pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<course::Model>, DbErr> {
    course::Entity::find()
        .order_by_asc(course::Column::Code)
        .all(db)
        .await
}

pub async fn lesson(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<lesson::Model>, DbErr> {
    lesson::Entity::find_by_id(id).one(db).await
}

pub async fn progress_of(
    db: &impl ConnectionTrait,
    user: Uuid,
    lesson_id: Uuid,
) -> Result<Option<lesson_progress::Model>, DbErr> {
    lesson_progress::Entity::find_by_id((user, lesson_id))
        .one(db)
        .await
}

/// Records the first opening of a lesson; later openings change nothing.
pub async fn open(
    db: &impl ConnectionTrait,
    user: Uuid,
    lesson_id: Uuid,
    now: DateTime<Utc>,
) -> Result<lesson_progress::Model, DbErr> {
    let res = lesson_progress::Entity::insert(lesson_progress::ActiveModel {
        user_id: Set(user),
        lesson_id: Set(lesson_id),
        opened_at: Set(now),
        completed_at: Set(None),
        completed_via: Set(None),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(db)
    .await?;
    if matches!(res, sea_orm::TryInsertResult::Inserted(n) if n > 0) {
        crate::store::outcomes::refresh_for_lesson(db, user, lesson_id).await?;
    }
    progress_of(db, user, lesson_id)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("lesson progress".into()))
}

/// Marks a lesson completed once; a second completion changes nothing.
pub async fn complete(
    db: &impl ConnectionTrait,
    p: lesson_progress::Model,
    via: &str,
    now: DateTime<Utc>,
) -> Result<lesson_progress::Model, DbErr> {
    if p.completed_at.is_some() {
        return Ok(p);
    }
    let (user, lesson_id) = (p.user_id, p.lesson_id);
    let mut am: lesson_progress::ActiveModel = p.into();
    am.completed_at = Set(Some(now));
    am.completed_via = Set(Some(via.into()));
    let done = am.update(db).await?;
    crate::store::outcomes::refresh_for_lesson(db, user, lesson_id).await?;
    Ok(done)
}

/// Completed lesson ids of `users` among `lessons`.
pub async fn completed(
    db: &impl ConnectionTrait,
    users: &[Uuid],
    lessons: &[Uuid],
) -> Result<Vec<(Uuid, Uuid)>, DbErr> {
    let mut out = Vec::new();
    if lessons.is_empty() {
        return Ok(out);
    }
    for chunk in users.chunks(500) {
        let rows = lesson_progress::Entity::find()
            .filter(lesson_progress::Column::UserId.is_in(chunk.iter().copied()))
            .filter(lesson_progress::Column::LessonId.is_in(lessons.iter().copied()))
            .filter(lesson_progress::Column::CompletedAt.is_not_null())
            .all(db)
            .await?;
        out.extend(rows.into_iter().map(|r| (r.user_id, r.lesson_id)));
    }
    Ok(out)
}

/// The fields a trainer edits.
#[derive(Clone, Debug)]
pub struct LessonEdit {
    pub module_code: String,
    pub title: String,
    pub body: String,
    pub min_seconds: i32,
    pub topics: Vec<String>,
    pub quiz_questions: i32,
    pub quiz_pass_percent: i32,
    pub published: bool,
}

/// Creates a lesson at the end of its module; the slug is made unique.
pub async fn create_lesson(
    db: &impl ConnectionTrait,
    course_id: Uuid,
    e: &LessonEdit,
) -> Result<Uuid, DbErr> {
    let existing = lesson::Entity::find()
        .filter(lesson::Column::CourseId.eq(course_id))
        .filter(lesson::Column::ModuleCode.eq(&e.module_code))
        .all(db)
        .await?;
    let position = existing.iter().map(|l| l.position).max().unwrap_or(0) + 1;
    let id = Uuid::now_v7();
    lesson::Entity::insert(lesson::ActiveModel {
        id: Set(id),
        course_id: Set(course_id),
        module_code: Set(e.module_code.clone()),
        slug: Set(format!("{position:02}-web-{}", id.simple())),
        title: Set(e.title.clone()),
        body: Set(e.body.clone()),
        min_seconds: Set(e.min_seconds),
        topics: Set(serde_json::to_string(&e.topics).unwrap_or_else(|_| "[]".into())),
        quiz_questions: Set(e.quiz_questions),
        quiz_pass_percent: Set(e.quiz_pass_percent),
        status: Set(if e.published { PUBLISHED } else { "draft" }.into()),
        position: Set(position),
        updated_at: Set(Utc::now()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

pub async fn update_lesson(
    db: &impl ConnectionTrait,
    l: lesson::Model,
    e: &LessonEdit,
) -> Result<lesson::Model, DbErr> {
    let mut am: lesson::ActiveModel = l.into();
    am.module_code = Set(e.module_code.clone());
    am.title = Set(e.title.clone());
    am.body = Set(e.body.clone());
    am.min_seconds = Set(e.min_seconds);
    am.topics = Set(serde_json::to_string(&e.topics).unwrap_or_else(|_| "[]".into()));
    am.quiz_questions = Set(e.quiz_questions);
    am.quiz_pass_percent = Set(e.quiz_pass_percent);
    am.status = Set(if e.published { PUBLISHED } else { "draft" }.into());
    am.updated_at = Set(Utc::now());
    am.update(db).await
}

/// Swaps a lesson with its neighbour in the module (`up` = earlier).
pub async fn move_lesson(
    db: &impl ConnectionTrait,
    l: &lesson::Model,
    up: bool,
) -> Result<(), DbErr> {
    let siblings = lesson::Entity::find()
        .filter(lesson::Column::CourseId.eq(l.course_id))
        .filter(lesson::Column::ModuleCode.eq(&l.module_code))
        .order_by_asc(lesson::Column::Position)
        .all(db)
        .await?;
    let Some(i) = siblings.iter().position(|s| s.id == l.id) else {
        return Ok(());
    };
    let j = if up {
        i.checked_sub(1)
    } else {
        Some(i + 1).filter(|j| *j < siblings.len())
    };
    let Some(j) = j else {
        return Ok(());
    };
    // Renumber the whole module so positions stay distinct.
    let mut order: Vec<&lesson::Model> = siblings.iter().collect();
    order.swap(i, j);
    for (n, s) in order.into_iter().enumerate() {
        if s.position != n as i32 + 1 {
            let mut am: lesson::ActiveModel = s.clone().into();
            am.position = Set(n as i32 + 1);
            am.update(db).await?;
        }
    }
    Ok(())
}
