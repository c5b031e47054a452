//! People: create, list (scoped for unit managers), roster import.
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::domain::role::Role;
use crate::domain::unit_path::UnitIndex;
use crate::error::AppError;
use crate::routes::openapi::{Binary, ErrorBody};
use crate::routes::{ListOf, Paging, lang_of, upload};
use crate::services::accounts::{self, UserInput, UserUpdate};
use crate::services::roster::{self, RosterReport};
use crate::startup::AppState;
use crate::store::units;
use crate::store::users::{self, UserFilter, UserRecord};

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub place_of_birth: Option<String>,
    pub sex: Option<String>,
    pub national_id: Option<String>,
    pub phone: Option<String>,
    pub unit_id: Option<Uuid>,
    pub job_title: Option<String>,
    pub is_leader: bool,
    pub is_active: bool,
    pub roles: Vec<Role>,
    pub created_at: DateTime<Utc>,
}

impl From<UserRecord> for UserView {
    fn from(r: UserRecord) -> Self {
        let u = r.user;
        UserView {
            id: u.id,
            email: u.email,
            full_name: u.full_name,
            date_of_birth: u.date_of_birth,
            place_of_birth: u.place_of_birth,
            sex: u.sex,
            national_id: u.national_id,
            phone: u.phone,
            unit_id: u.unit_id,
            job_title: u.job_title,
            is_leader: u.is_leader,
            is_active: u.is_active,
            roles: r.roles,
            created_at: u.created_at,
        }
    }
}

/// Create a user (admin). Without `password` the user is e-mailed an invitation link.
#[utoipa::path(tag = "users", security(("bearer" = [])), request_body = UserInput, responses(
    (status = 201, body = UserView), (status = 403, body = ErrorBody),
    (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/users")]
pub async fn create(
    user: AuthUser,
    state: web::Data<AppState>,
    body: web::Json<UserInput>,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    let created = accounts::create_user(&state.db, &state.settings, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(UserView::from(created)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct UserQuery {
    /// A unit id: people in it and in the units below it.
    pub unit: Option<Uuid>,
    /// Part of a name or e-mail.
    pub q: Option<String>,
    pub role: Option<Role>,
}

/// The units a caller may see people in: everything for admins and
/// trainers, their own subtree for unit managers.
pub(crate) async fn visible_units(
    state: &AppState,
    user: &AuthUser,
    requested: Option<Uuid>,
) -> Result<Option<Vec<Uuid>>, AppError> {
    let full = user.has(Role::Admin) || user.has(Role::Trainer);
    if !full && !user.has(Role::UnitManager) {
        return Err(AppError::forbidden());
    }
    if full && requested.is_none() {
        return Ok(None);
    }
    let index = UnitIndex::new(units::all_refs(&state.db).await?);
    let scope = if full {
        None
    } else {
        let own = user.record.user.unit_id.ok_or_else(AppError::forbidden)?;
        Some(index.descendants(own))
    };
    match (requested, scope) {
        (Some(u), Some(scope)) => {
            if !scope.contains(&u) {
                return Err(AppError::forbidden());
            }
            Ok(Some(index.descendants(u)))
        }
        (Some(u), None) => {
            if index.get(u).is_none() {
                return Err(AppError::not_found());
            }
            Ok(Some(index.descendants(u)))
        }
        (None, scope) => Ok(scope),
    }
}

/// List people (admin, trainer; a unit manager sees their own units);
/// 404 when `unit` names no unit.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(UserQuery, Paging), responses(
    (status = 200, body = ListOf<UserView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/users")]
pub async fn list(
    user: AuthUser,
    state: web::Data<AppState>,
    query: web::Query<UserQuery>,
    paging: web::Query<Paging>,
) -> Result<web::Json<ListOf<UserView>>, AppError> {
    let unit_ids = visible_units(&state, &user, query.unit).await?;
    let filter = UserFilter {
        unit_ids,
        search: query.q.clone(),
        role: query.role,
    };
    let (items, total) = users::list(&state.db, &filter, paging.page(), paging.per_page()).await?;
    Ok(web::Json(ListOf {
        items: items.into_iter().map(UserView::from).collect(),
        total,
    }))
}

/// One person (staff within their scope, or the person themself).
#[utoipa::path(tag = "users", security(("bearer" = [])), responses(
    (status = 200, body = UserView), (status = 404, body = ErrorBody)))]
#[get("/users/{id}")]
pub async fn get(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<UserView>, AppError> {
    let id = id.into_inner();
    let found = users::find_by_id(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if user.id() != id {
        // Someone outside the caller's scope does not exist for them.
        let scope = visible_units(&state, &user, None)
            .await
            .map_err(|_| AppError::not_found())?;
        if let Some(scope) = scope
            && !found.user.unit_id.is_some_and(|u| scope.contains(&u))
        {
            return Err(AppError::not_found());
        }
    }
    Ok(web::Json(UserView::from(found)))
}

/// Change a user (admin): profile, unit, roles, or `is_active: false` to
/// deactivate (their sessions end).
#[utoipa::path(tag = "users", security(("bearer" = [])), request_body = UserUpdate, responses(
    (status = 200, body = UserView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/users/{id}")]
pub async fn update(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: web::Json<UserUpdate>,
) -> Result<web::Json<UserView>, AppError> {
    user.require_any(&[Role::Admin])?;
    let id = id.into_inner();
    if id == user.id() && body.is_active == Some(false) {
        return Err(AppError::unprocessable(
            "cannot_deactivate_self",
            "Bạn không thể tự khóa tài khoản của mình.",
            "You cannot deactivate your own account.",
        ));
    }
    let updated = accounts::update_user(&state.db, &state.settings, id, body.into_inner()).await?;
    Ok(web::Json(UserView::from(updated)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// Check and report without writing.
    pub dry_run: Option<bool>,
}

/// Import a roster (CSV or XLSX, raw body or multipart; admin).
///
/// Columns: họ và tên, ngày sinh, nơi sinh, giới tính, email, số điện thoại,
/// đơn vị (a path such as `Hà Nội / Phường Hoàn Kiếm`, or an official code),
/// chức danh, lãnh đạo. Any error → 422 with the report and nothing written.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(ImportQuery),
    request_body(content = Binary, content_type = "application/octet-stream"),
    responses((status = 200, body = RosterReport), (status = 422, body = RosterReport), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
#[post("/users/import")]
pub async fn import(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    crate::routes::limits::check_import(&req, &state)?;
    let file = upload::read(&req, payload, state.settings.server.max_body_bytes).await?;
    let lang = lang_of(&req);
    let report = roster::import(
        &state.db,
        &state.settings,
        &file.bytes,
        query.dry_run.unwrap_or(false),
        lang,
    )
    .await?;
    Ok(import_response(report))
}

pub fn import_response(report: RosterReport) -> HttpResponse {
    if report.errors.is_empty() {
        HttpResponse::Ok().json(report)
    } else {
        let message = crate::i18n::current().pick(
            "Danh sách có lỗi; chưa có gì được ghi.",
            "The roster has errors; nothing was written.",
        );
        let mut body = serde_json::to_value(&report).unwrap_or_default();
        if let serde_json::Value::Object(m) = &mut body {
            m.insert("error".into(), "invalid_roster".into());
            m.insert("message".into(), message.into());
        }
        HttpResponse::UnprocessableEntity().json(body)
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct TemplateQuery {
    /// `xlsx` (default) or `csv`.
    #[param(inline, value_type = Option<TemplateFormat>)]
    pub format: Option<String>,
}

/// `format=` of the roster template.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum TemplateFormat {
    Xlsx,
    Csv,
}

/// The roster template to fill in (staff).
#[utoipa::path(tag = "users", security(("bearer" = [])), params(TemplateQuery), responses(
    (status = 200, description = "The template", content(
        (Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (Binary = "text/csv"))),
    (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/users/import/template")]
pub async fn template(
    user: AuthUser,
    query: web::Query<TemplateQuery>,
) -> Result<HttpResponse, AppError> {
    if !user.record.roles.iter().any(|r| r.is_staff()) {
        return Err(AppError::forbidden());
    }
    let (bytes, mime, name) = roster::template(query.format.as_deref().unwrap_or("xlsx"))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, mime))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes))
}
