//! The unit tree.
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::domain::role::Role;
use crate::entities::unit;
use crate::error::AppError;
use crate::routes::api::users::ImportQuery;
use crate::routes::openapi::ErrorBody;
use crate::routes::{ListOf, Paging, lang_of, upload};
use crate::services::units::{self as import_units, UnitImportReport};
use crate::startup::AppState;
use crate::store::units::{self, NewUnit};

#[derive(Serialize, utoipa::ToSchema)]
pub struct UnitView {
    pub id: Uuid,
    pub code: Option<String>,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<Uuid>,
    pub closed_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

impl From<unit::Model> for UnitView {
    fn from(m: unit::Model) -> Self {
        UnitView {
            id: m.id,
            code: m.code,
            name: m.name,
            kind: m.kind,
            parent_id: m.parent_id,
            closed_on: m.closed_on,
            created_at: m.created_at,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct UnitInput {
    pub name: String,
    /// Free text: `tỉnh`, `xã`, `phường`, `sector`, …
    pub kind: String,
    /// The official statistics-office code, if any (unique).
    pub code: Option<String>,
    pub parent_id: Option<Uuid>,
}

pub(crate) async fn create_unit(
    state: &AppState,
    input: UnitInput,
) -> Result<unit::Model, AppError> {
    let name = input.name.split_whitespace().collect::<Vec<_>>().join(" ");
    let kind = input.kind.trim().to_string();
    if name.is_empty() || kind.is_empty() {
        return Err(AppError::unprocessable(
            "invalid_field",
            "Tên và loại đơn vị không được để trống.",
            "A unit needs a name and a kind.",
        ));
    }
    if let Some(p) = input.parent_id
        && units::get(&state.db, p).await?.is_none()
    {
        return Err(AppError::unprocessable(
            "invalid_field",
            "Đơn vị cấp trên không tồn tại.",
            "The parent unit does not exist.",
        ));
    }
    let code = input
        .code
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    if let Some(c) = &code
        && units::by_code(&state.db, c).await?.is_some()
    {
        return Err(AppError::conflict(
            "code_taken",
            format!("Mã đơn vị {c} đã tồn tại."),
            format!("Unit code {c} already exists."),
        ));
    }
    Ok(units::create(
        &state.db,
        NewUnit {
            name,
            kind,
            code,
            parent_id: input.parent_id,
        },
    )
    .await?)
}

/// Create a unit (admin).
#[utoipa::path(tag = "units", security(("bearer" = [])), request_body = UnitInput, responses(
    (status = 201, body = UnitView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/units")]
pub async fn create(
    user: AuthUser,
    state: web::Data<AppState>,
    body: web::Json<UnitInput>,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    let m = create_unit(&state, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(UnitView::from(m)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct UnitQuery {
    /// List the children of this unit; without it, the top-level units.
    pub parent: Option<Uuid>,
}

/// Units below `parent` (or the top level), closed ones included; 404 when
/// `parent` names no unit.
#[utoipa::path(tag = "units", security(("bearer" = [])), params(UnitQuery, Paging), responses(
    (status = 200, body = ListOf<UnitView>), (status = 404, body = ErrorBody)))]
#[get("/units")]
pub async fn list(
    _user: AuthUser,
    state: web::Data<AppState>,
    query: web::Query<UnitQuery>,
    paging: web::Query<Paging>,
) -> Result<web::Json<ListOf<UnitView>>, AppError> {
    if let Some(p) = query.parent
        && units::get(&state.db, p).await?.is_none()
    {
        return Err(AppError::not_found());
    }
    let all = units::children(&state.db, query.parent).await?;
    let total = all.len() as u64;
    let start = ((paging.page() - 1) * paging.per_page()) as usize;
    let items = all
        .into_iter()
        .skip(start)
        .take(paging.per_page() as usize)
        .map(UnitView::from)
        .collect();
    Ok(web::Json(ListOf { items, total }))
}

/// One unit.
#[utoipa::path(tag = "units", security(("bearer" = [])), responses(
    (status = 200, body = UnitView), (status = 404, body = ErrorBody)))]
#[get("/units/{id}")]
pub async fn get(
    _user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<UnitView>, AppError> {
    let m = units::get(&state.db, id.into_inner())
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(web::Json(UnitView::from(m)))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
pub struct UnitUpdate {
    pub name: Option<String>,
    pub kind: Option<String>,
    /// An empty string removes the code.
    pub code: Option<String>,
    /// Move the unit under another (`null`: to the top level).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
}

fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Rename, re-code or move a unit (admin). A unit cannot move below itself.
#[utoipa::path(tag = "units", security(("bearer" = [])), request_body = UnitUpdate, responses(
    (status = 200, body = UnitView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/units/{id}")]
pub async fn update(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: web::Json<UnitUpdate>,
) -> Result<web::Json<UnitView>, AppError> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    user.require_any(&[Role::Admin])?;
    let id = id.into_inner();
    let m = units::get(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let body = body.into_inner();
    let mut am: unit::ActiveModel = m.into();
    let invalid = |vi: &str, en: &str| {
        AppError::unprocessable("invalid_field", vi.to_string(), en.to_string())
    };
    if let Some(n) = &body.name {
        let n = n.split_whitespace().collect::<Vec<_>>().join(" ");
        if n.is_empty() {
            return Err(invalid(
                "Tên đơn vị không được để trống.",
                "A unit needs a name.",
            ));
        }
        am.name = Set(n);
    }
    if let Some(k) = &body.kind {
        if k.trim().is_empty() {
            return Err(invalid(
                "Loại đơn vị không được để trống.",
                "A unit needs a kind.",
            ));
        }
        am.kind = Set(k.trim().to_string());
    }
    if let Some(c) = &body.code {
        let c = c.trim().to_string();
        if !c.is_empty()
            && let Some(other) = units::by_code(&state.db, &c).await?
            && other.id != id
        {
            return Err(AppError::conflict(
                "code_taken",
                format!("Mã đơn vị {c} đã tồn tại."),
                format!("Unit code {c} already exists."),
            ));
        }
        am.code = Set((!c.is_empty()).then_some(c));
    }
    if let Some(parent) = body.parent_id {
        if let Some(p) = parent {
            let index = crate::domain::unit_path::UnitIndex::new(units::all_refs(&state.db).await?);
            if index.get(p).is_none() {
                return Err(invalid(
                    "Đơn vị cấp trên không tồn tại.",
                    "The parent unit does not exist.",
                ));
            }
            if index.descendants(id).contains(&p) {
                return Err(invalid(
                    "Không thể chuyển đơn vị vào bên dưới chính nó.",
                    "A unit cannot move below itself.",
                ));
            }
        }
        am.parent_id = Set(parent);
    }
    am.updated_at = Set(Utc::now());
    Ok(web::Json(UnitView::from(am.update(&state.db).await?)))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
pub struct CloseInput {
    /// `YYYY-MM-DD`; today when absent.
    pub closed_on: Option<NaiveDate>,
}

/// Close a unit (admin); its people and history are kept.
#[utoipa::path(tag = "units", security(("bearer" = [])), request_body = CloseInput, responses(
    (status = 200, body = UnitView), (status = 404, body = ErrorBody)))]
#[post("/units/{id}/close")]
pub async fn close(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: Option<web::Json<CloseInput>>,
) -> Result<web::Json<UnitView>, AppError> {
    user.require_any(&[Role::Admin])?;
    let m = units::get(&state.db, id.into_inner())
        .await?
        .ok_or_else(AppError::not_found)?;
    let today = Utc::now()
        .with_timezone(&state.settings.time_zone())
        .date_naive();
    let on = body.and_then(|b| b.closed_on).unwrap_or(today);
    Ok(web::Json(UnitView::from(
        units::close(&state.db, m, on).await?,
    )))
}

/// Import units from CSV `code,name,kind,parent_code` (admin); idempotent by code.
#[utoipa::path(tag = "units", security(("bearer" = [])), params(ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = UnitImportReport), (status = 422, body = UnitImportReport), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
#[post("/units/import")]
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
    let report = import_units::import(
        &state.db,
        &file.bytes,
        query.dry_run.unwrap_or(false),
        lang_of(&req),
    )
    .await?;
    if report.errors.is_empty() {
        Ok(HttpResponse::Ok().json(report))
    } else {
        let mut body = serde_json::to_value(&report).unwrap_or_default();
        if let serde_json::Value::Object(m) = &mut body {
            m.insert("error".into(), "invalid_units".into());
            m.insert(
                "message".into(),
                crate::i18n::current()
                    .pick(
                        "Tệp đơn vị có lỗi; chưa có gì được ghi.",
                        "The unit file has errors; nothing was written.",
                    )
                    .into(),
            );
        }
        Ok(HttpResponse::UnprocessableEntity().json(body))
    }
}
