//! Courses and lessons for learners and staff; my progress.
use actix_web::{HttpRequest, get, post, web};
use serde::Serialize;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::AppError;
use crate::routes::lang_of;
use crate::routes::openapi::ErrorBody;
use crate::services::courses::{self, LessonState, MyProgress};
use crate::startup::AppState;
use crate::store::courses as store;

#[derive(Serialize, utoipa::ToSchema)]
pub struct LessonItem {
    pub id: Uuid,
    pub title: String,
    pub min_seconds: i32,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ModuleItem {
    pub code: String,
    pub title: String,
    pub lessons: Vec<LessonItem>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CourseItem {
    pub id: Uuid,
    pub code: String,
    pub title: String,
    pub modules: Vec<ModuleItem>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CourseList {
    pub items: Vec<CourseItem>,
}

pub(crate) fn course_item(tree: &store::CourseTree, staff: bool) -> CourseItem {
    CourseItem {
        id: tree.course.id,
        code: tree.course.code.clone(),
        title: tree.course.title.clone(),
        modules: tree
            .modules
            .iter()
            .map(|(m, lessons)| ModuleItem {
                code: m.code.clone(),
                title: m.title.clone(),
                lessons: lessons
                    .iter()
                    .filter(|l| staff || l.status == store::PUBLISHED)
                    .map(|l| LessonItem {
                        id: l.id,
                        title: l.title.clone(),
                        min_seconds: l.min_seconds,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Courses with their modules (in order) and lessons: a learner sees the
/// courses they are enrolled in, staff see all.
#[utoipa::path(tag = "courses", security(("bearer" = [])), responses((status = 200, body = CourseList)))]
#[get("/courses")]
pub async fn list(
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<web::Json<CourseList>, AppError> {
    let staff = user.record.roles.iter().any(|r| r.is_staff());
    let mut items = Vec::new();
    for c in store::all(&state.db).await? {
        if !courses::may_study(&state.db, &user.record, c.id).await? {
            continue;
        }
        if let Some(tree) = store::tree(&state.db, c.id).await? {
            items.push(course_item(&tree, staff));
        }
    }
    Ok(web::Json(CourseList { items }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LessonView {
    pub id: Uuid,
    pub course_id: Uuid,
    pub module: String,
    pub title: String,
    /// The lesson text, rendered and sanitized.
    pub html: String,
    pub min_seconds: i32,
    pub topics: Vec<String>,
    pub status: String,
    pub progress: LessonState,
}

/// One lesson (rendered) with the caller's progress in it.
#[utoipa::path(tag = "courses", security(("bearer" = [])), responses(
    (status = 200, body = LessonView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/lessons/{id}")]
pub async fn lesson(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<LessonView>, AppError> {
    let l = courses::readable_lesson(&state.db, &user.record, *id).await?;
    let progress = courses::lesson_state(&state.db, user.id(), &l).await?;
    Ok(web::Json(LessonView {
        id: l.id,
        course_id: l.course_id,
        module: l.module_code.clone(),
        title: l.title.clone(),
        html: crate::render::to_html(&l.body, crate::domain::question::TextFormat::Markdown),
        min_seconds: l.min_seconds,
        topics: serde_json::from_str(&l.topics).unwrap_or_default(),
        status: l.status.clone(),
        progress,
    }))
}

/// Record that I opened a lesson (the first opening starts its clock).
#[utoipa::path(tag = "courses", security(("bearer" = [])), responses(
    (status = 200, body = LessonState), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[post("/lessons/{id}/open")]
pub async fn open(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<LessonState>, AppError> {
    Ok(web::Json(
        courses::open(&state.db, &user.record, *id).await?,
    ))
}

/// Mark a lesson completed: accepted once its minimum study time has passed
/// since it was opened (409 `too_early` with `seconds_left` before).
#[utoipa::path(tag = "courses", security(("bearer" = [])), responses(
    (status = 200, body = LessonState), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/lessons/{id}/complete")]
pub async fn complete(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<LessonState>, AppError> {
    Ok(web::Json(
        courses::complete(&state.db, &user.record, *id).await?,
    ))
}

/// My progress toward exam eligibility in my current class.
#[utoipa::path(tag = "courses", security(("bearer" = [])), responses((status = 200, body = MyProgress)))]
#[get("/me/progress")]
pub async fn my_progress(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<web::Json<MyProgress>, AppError> {
    Ok(web::Json(
        courses::my_progress(&state.db, &user.record, lang_of(&req)).await?,
    ))
}

/// Start (or resume) the lesson's practice quiz; no answer key is sent.
#[utoipa::path(tag = "courses", security(("bearer" = [])), responses(
    (status = 200, body = crate::services::quizzes::QuizView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/lessons/{id}/quiz")]
pub async fn start_quiz(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<crate::services::quizzes::QuizView>, AppError> {
    Ok(web::Json(
        crate::services::quizzes::start(&state.db, &user.record, *id).await?,
    ))
}

/// A practice quiz of mine (with the review once submitted).
#[utoipa::path(tag = "courses", security(("bearer" = [])), responses((status = 200, body = crate::services::quizzes::QuizView), (status = 404, body = ErrorBody)))]
#[get("/quizzes/{id}")]
pub async fn get_quiz(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<crate::services::quizzes::QuizView>, AppError> {
    Ok(web::Json(
        crate::services::quizzes::get(&state.db, &user.record, *id).await?,
    ))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct QuizAnswers {
    /// `{"<position>": [option ids]}`.
    pub answers: std::collections::HashMap<String, Vec<Uuid>>,
}

/// Submit a practice quiz: graded at once; passing completes the lesson.
#[utoipa::path(tag = "courses", security(("bearer" = [])), request_body = QuizAnswers, responses((status = 200, body = crate::services::quizzes::QuizView), (status = 404, body = ErrorBody)))]
#[post("/quizzes/{id}/submit")]
pub async fn submit_quiz(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: web::Json<QuizAnswers>,
) -> Result<web::Json<crate::services::quizzes::QuizView>, AppError> {
    Ok(web::Json(
        crate::services::quizzes::submit(&state.db, &user.record, *id, body.into_inner().answers)
            .await?,
    ))
}
