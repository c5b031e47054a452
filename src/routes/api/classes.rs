//! Classes: create, enrol, attendance, exceptions, the progress board.
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::domain::eligibility::Rule;
use crate::domain::role::Role;
use crate::entities::{class, user};
use crate::error::AppError;
use crate::routes::lang_of;
use crate::routes::openapi::ErrorBody;
use crate::services::courses::{self, LearnerProgress};
use crate::startup::AppState;
use crate::store::{classes, courses as course_store, units};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ClassInput {
    pub name: String,
    pub course_id: Uuid,
    pub unit_id: Option<Uuid>,
    /// `YYYY-MM-DD`.
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub rule: Rule,
    /// Trainers who run the class.
    #[serde(default)]
    pub trainer_ids: Vec<Uuid>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ClassView {
    pub id: Uuid,
    pub name: String,
    pub course_id: Uuid,
    pub unit_id: Option<Uuid>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub rule: Rule,
    pub trainer_ids: Vec<Uuid>,
}

fn invalid(vi: impl Into<String>, en: impl Into<String>) -> AppError {
    AppError::unprocessable("invalid_field", vi, en)
}

async fn view(state: &AppState, c: class::Model) -> Result<ClassView, AppError> {
    let trainer_ids = classes::trainers(&state.db, c.id).await?;
    Ok(ClassView {
        rule: classes::rule_of(&c),
        id: c.id,
        name: c.name,
        course_id: c.course_id,
        unit_id: c.unit_id,
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        trainer_ids,
    })
}

/// Create a class (admin).
#[utoipa::path(tag = "classes", security(("bearer" = [])), request_body = ClassInput, responses(
    (status = 201, body = ClassView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/classes")]
pub async fn create(
    user: AuthUser,
    state: web::Data<AppState>,
    body: web::Json<ClassInput>,
) -> Result<HttpResponse, AppError> {
    let c = create_class(&state, &user, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(view(&state, c).await?))
}

/// Validates and creates a class (admin); shared with the class page.
pub(crate) async fn create_class(
    state: &AppState,
    user: &AuthUser,
    input: ClassInput,
) -> Result<class::Model, AppError> {
    user.require_any(&[Role::Admin])?;
    let name = input.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(invalid(
            "Tên lớp không được để trống.",
            "A class needs a name.",
        ));
    }
    if input.ends_on < input.starts_on {
        return Err(invalid(
            "Ngày kết thúc phải sau ngày bắt đầu.",
            "The class must end after it starts.",
        ));
    }
    let tree = course_store::tree(&state.db, input.course_id)
        .await?
        .ok_or_else(|| invalid("Khóa học không tồn tại.", "No such course."))?;
    input
        .rule
        .validate(tree.modules.len())
        .map_err(|(vi, en)| invalid(vi, en))?;
    if let Some(u) = input.unit_id
        && units::get(&state.db, u).await?.is_none()
    {
        return Err(invalid("Đơn vị không tồn tại.", "No such unit."));
    }
    for t in &input.trainer_ids {
        let ok = crate::store::users::find_by_id(&state.db, *t)
            .await?
            .is_some_and(|u| u.has(Role::Trainer));
        if !ok {
            return Err(invalid(
                "Giảng viên được chọn không tồn tại.",
                "A chosen trainer does not exist.",
            ));
        }
    }
    let id = classes::create(
        &state.db,
        classes::NewClass {
            name,
            course_id: input.course_id,
            unit_id: input.unit_id,
            starts_on: input.starts_on,
            ends_on: input.ends_on,
            rule: input.rule,
            trainer_ids: input.trainer_ids,
            created_by: Some(user.id()),
        },
    )
    .await?;
    classes::get(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)
}

/// The class, 404 if unknown, 403 unless the caller may manage it.
async fn managed(state: &AppState, user: &AuthUser, id: Uuid) -> Result<class::Model, AppError> {
    let c = classes::get(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !courses::may_manage(&state.db, &user.record, id).await? {
        return Err(AppError::forbidden());
    }
    Ok(c)
}

/// One class (admin, its trainers).
#[utoipa::path(tag = "classes", security(("bearer" = [])), responses((status = 200, body = ClassView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/classes/{id}")]
pub async fn get(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<ClassView>, AppError> {
    let c = managed(&state, &user, *id).await?;
    Ok(web::Json(view(&state, c).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct EnrolInput {
    /// Up to 1,000 learners a call.
    pub user_ids: Vec<Uuid>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EnrolResult {
    pub enrolled: usize,
    pub already: usize,
}

/// Enrol learners (admin, the class's trainers); each enrolment records the
/// learner's unit at that time.
#[utoipa::path(tag = "classes", security(("bearer" = [])), request_body = EnrolInput, responses(
    (status = 200, body = EnrolResult), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/classes/{id}/enrolments")]
pub async fn enrol(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: web::Json<EnrolInput>,
) -> Result<web::Json<EnrolResult>, AppError> {
    let c = managed(&state, &user, *id).await?;
    if body.user_ids.len() > 1000 {
        return Err(invalid(
            "Tối đa 1.000 học viên mỗi lần.",
            "At most 1,000 learners a call.",
        ));
    }
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let found: Vec<user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(body.user_ids.iter().copied()))
        .all(&state.db)
        .await?;
    let learners: std::collections::HashSet<Uuid> = crate::entities::user_role::Entity::find()
        .filter(crate::entities::user_role::Column::UserId.is_in(body.user_ids.iter().copied()))
        .filter(crate::entities::user_role::Column::Role.eq(Role::Learner.as_str()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect();
    let unknown: Vec<String> = body
        .user_ids
        .iter()
        .filter(|u| !learners.contains(u))
        .map(|u| u.to_string())
        .collect();
    if !unknown.is_empty() {
        return Err(invalid(
            format!("Không phải học viên: {}", unknown.join(", ")),
            format!("Not learners: {}", unknown.join(", ")),
        )
        .with_extra(serde_json::json!({ "user_ids": unknown })));
    }
    let (enrolled, already) = classes::enrol(&state.db, c.id, &found).await?;
    Ok(web::Json(EnrolResult { enrolled, already }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AttendanceInput {
    pub date: NaiveDate,
    pub present_user_ids: Vec<Uuid>,
}

/// Record who attended an in-person session on a date (admin, the class's trainers).
#[utoipa::path(tag = "classes", security(("bearer" = [])), request_body = AttendanceInput, responses(
    (status = 200, body = Object, description = "`{\"date\",\"present\"}`: the date and how many were present"), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/classes/{id}/attendance")]
pub async fn attendance(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: web::Json<AttendanceInput>,
) -> Result<HttpResponse, AppError> {
    let c = managed(&state, &user, *id).await?;
    if body.date < c.starts_on || body.date > c.ends_on {
        return Err(invalid(
            "Ngày điểm danh nằm ngoài thời gian của lớp.",
            "The date is outside the class's dates.",
        ));
    }
    let enrolled: std::collections::HashSet<Uuid> = classes::enrolled_users(&state.db, c.id)
        .await?
        .into_iter()
        .collect();
    if let Some(u) = body.present_user_ids.iter().find(|u| !enrolled.contains(u)) {
        return Err(invalid(
            format!("Học viên {u} không thuộc lớp."),
            format!("Learner {u} is not in the class."),
        ));
    }
    classes::record_attendance(&state.db, c.id, body.date, &body.present_user_ids).await?;
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({"date": body.date, "present": body.present_user_ids.len()})))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ExceptionInput {
    pub user_id: Uuid,
    /// Why the learner may sit the exam anyway (recorded).
    pub reason: String,
}

/// Grant an exception with a written reason (admin, the class's trainers);
/// the learner must be enrolled.
#[utoipa::path(tag = "classes", security(("bearer" = [])), request_body = ExceptionInput, responses(
    (status = 201, body = Object, description = "`{\"id\",\"user_id\",\"reason\"}`: the exception granted"), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/classes/{id}/exceptions")]
pub async fn exception(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: web::Json<ExceptionInput>,
) -> Result<HttpResponse, AppError> {
    let c = managed(&state, &user, *id).await?;
    let reason = body.reason.trim();
    if reason.chars().count() < 3 {
        return Err(invalid(
            "Cần ghi rõ lý do ngoại lệ.",
            "An exception needs a written reason.",
        ));
    }
    if !classes::is_enrolled(&state.db, c.id, body.user_id).await? {
        return Err(AppError::unprocessable(
            "not_enrolled",
            "Học viên không thuộc lớp này.",
            "The learner is not enrolled in this class.",
        ));
    }
    let eid = classes::add_exception(&state.db, c.id, body.user_id, reason, user.id()).await?;
    Ok(HttpResponse::Created()
        .json(serde_json::json!({"id": eid, "user_id": body.user_id, "reason": reason})))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProgressList {
    pub items: Vec<LearnerProgress>,
}

/// Every learner's modules, attendance and eligibility, with what is missing.
#[utoipa::path(tag = "classes", security(("bearer" = [])), responses((status = 200, body = ProgressList), (status = 403, body = ErrorBody)))]
#[get("/classes/{id}/progress")]
pub async fn progress(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<ProgressList>, AppError> {
    let c = managed(&state, &user, *id).await?;
    Ok(web::Json(ProgressList {
        items: courses::class_progress(&state.db, &c, lang_of(&req)).await?,
    }))
}
