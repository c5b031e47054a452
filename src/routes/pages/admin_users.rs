//! Admin pages for people: list, create, roster import with a preview.
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use base64::Engine;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::csrf;
use crate::auth::extract::PageUser;
use crate::domain::role::Role;
use crate::domain::unit_path::UnitIndex;
use crate::error::AppError;
use crate::routes::api::users::{UserView, visible_units};
use crate::routes::pages::{redirect_with_flash, render, render_status, tr};
use crate::routes::{lang_of, upload};
use crate::services::accounts::{self, UserInput, UserUpdate};
use crate::services::roster;
use crate::startup::AppState;
use crate::store::units;
use crate::store::users::{self, UserFilter};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(new_form)
        .service(create)
        .service(import_form)
        .service(import_submit)
        .service(template)
        .service(edit_form)
        .service(edit_submit)
        .service(send_reset);
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf_token: String,
}

#[derive(Deserialize)]
struct ListQuery {
    unit: Option<Uuid>,
    q: Option<String>,
    page: Option<u64>,
}

const PER_PAGE: u64 = 50;

#[get("/admin/users")]
async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let unit_ids = visible_units(&state, &user, q.unit).await?;
    let page = q.page.unwrap_or(1).max(1);
    let filter = UserFilter {
        unit_ids,
        search: q.q.clone(),
        role: None,
    };
    let (items, total) = users::list(&state.db, &filter, page, PER_PAGE).await?;
    let index = UnitIndex::new(units::all_refs(&state.db).await?);
    let rows: Vec<serde_json::Value> = items
        .into_iter()
        .map(|r| {
            let unit = r
                .user
                .unit_id
                .and_then(|u| index.path_of(u))
                .unwrap_or_default();
            let mut v = serde_json::to_value(UserView::from(r)).unwrap_or_default();
            if let serde_json::Value::Object(m) = &mut v {
                m.insert("unit_path".into(), unit.into());
            }
            v
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("users", &rows);
    ctx.insert("total", &total);
    ctx.insert("page", &page);
    ctx.insert("pages", &total.div_ceil(PER_PAGE).max(1));
    ctx.insert("q", &q.q.clone().unwrap_or_default());
    ctx.insert("unit", &q.unit);
    ctx.insert("unit_path", &q.unit.and_then(|u| index.path_of(u)));
    render(&req, &state, Some(&user), "users/list.html", ctx)
}

#[get("/admin/users/new")]
async fn new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    let mut ctx = tera::Context::new();
    ctx.insert("form", &serde_json::json!({"roles": ["learner"]}));
    ctx.insert("all_roles", &Role::ALL);
    render(&req, &state, Some(&user), "users/new.html", ctx)
}

#[derive(Deserialize, serde::Serialize)]
struct NewUserForm {
    #[serde(default)]
    csrf_token: String,
    email: String,
    full_name: String,
    date_of_birth: Option<String>,
    place_of_birth: Option<String>,
    sex: Option<String>,
    unit: Option<String>,
    job_title: Option<String>,
    is_leader: Option<String>,
    phone: Option<String>,
    national_id: Option<String>,
    role: Option<String>,
    password: Option<String>,
}

#[post("/admin/users/new")]
async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    form: web::Form<NewUserForm>,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    csrf::verify(&req, &form.csrf_token)?;
    let form = form.into_inner();
    let lang = lang_of(&req);
    // The unit is typed as a path or code, as in rosters.
    let unit_id = match form
        .unit
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Ok(None),
        Some(path) => {
            let index = UnitIndex::new(units::all_refs(&state.db).await?);
            index.resolve(path).map(Some).map_err(|e| e.message(lang))
        }
    };
    let result = match unit_id {
        Err(msg) => Err(AppError::unprocessable("invalid_field", msg.clone(), msg)),
        Ok(unit_id) => {
            let input = UserInput {
                email: form.email.clone(),
                full_name: form.full_name.clone(),
                date_of_birth: form.date_of_birth.clone(),
                place_of_birth: form.place_of_birth.clone(),
                sex: form.sex.clone(),
                unit_id,
                job_title: form.job_title.clone(),
                is_leader: Some(form.is_leader.is_some()),
                phone: form.phone.clone(),
                national_id: form.national_id.clone(),
                roles: vec![form.role.clone().unwrap_or_else(|| "learner".into())],
                password: form.password.clone(),
            };
            accounts::create_user(&state.db, &state.settings, input).await
        }
    };
    match result {
        Ok(_) => Ok(redirect_with_flash(
            "/admin/users",
            "success",
            tr(&req, &state, "user_created"),
        )),
        Err(e) if e.status().is_client_error() => {
            let mut ctx = tera::Context::new();
            let mut shown = serde_json::to_value(&form).unwrap_or_default();
            if let serde_json::Value::Object(m) = &mut shown {
                m.remove("password");
                m.remove("csrf_token");
            }
            ctx.insert("form", &shown);
            ctx.insert("all_roles", &Role::ALL);
            ctx.insert("error", e.message());
            render_status(&req, &state, Some(&user), "users/new.html", ctx, e.status())
        }
        Err(e) => Err(e),
    }
}

#[get("/admin/users/import")]
async fn import_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    render(
        &req,
        &state,
        Some(&user),
        "users/import.html",
        tera::Context::new(),
    )
}

#[post("/admin/users/import")]
async fn import_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    crate::routes::limits::check_import(&req, &state)?;
    let file = upload::read(&req, payload, state.settings.server.max_body_bytes).await?;
    csrf::verify(
        &req,
        file.fields
            .get("csrf_token")
            .map(String::as_str)
            .unwrap_or(""),
    )?;
    // The preview page sends the same file back, base64-encoded, to confirm.
    let bytes = match file.fields.get("content_b64").filter(|s| !s.is_empty()) {
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|_| {
                AppError::bad_request("Tệp gửi lại bị hỏng.", "The resent file is corrupt.")
            })?,
        None => file.bytes,
    };
    let dry_run = file.fields.get("dry_run").is_some_and(|v| !v.is_empty());
    let report = roster::import(&state.db, &state.settings, &bytes, dry_run, lang_of(&req)).await?;
    let status = if report.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut ctx = tera::Context::new();
    if dry_run && report.errors.is_empty() {
        ctx.insert(
            "content_b64",
            &base64::engine::general_purpose::STANDARD.encode(&bytes),
        );
    }
    ctx.insert("report", &report);
    render_status(
        &req,
        &state,
        Some(&user),
        "users/import_result.html",
        ctx,
        status,
    )
}

#[get("/admin/users/import/template.{ext}")]
async fn template(
    PageUser(user): PageUser,
    ext: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    if !user.record.roles.iter().any(|r| r.is_staff()) {
        return Err(AppError::forbidden());
    }
    let format = if ext.as_str() == "csv" { "csv" } else { "xlsx" };
    let (bytes, mime, name) = roster::template(format)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, mime))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes))
}

async fn edit_page(
    req: &HttpRequest,
    state: &AppState,
    user: &crate::auth::AuthUser,
    id: Uuid,
    error: Option<(StatusCode, String)>,
) -> Result<HttpResponse, AppError> {
    let target = users::find_by_id(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let unit_path = match target.user.unit_id {
        Some(u) => UnitIndex::new(units::all_refs(&state.db).await?).path_of(u),
        None => None,
    };
    let mut ctx = tera::Context::new();
    ctx.insert("target", &UserView::from(target));
    ctx.insert("unit_path", &unit_path.unwrap_or_default());
    ctx.insert("all_roles", &Role::ALL);
    let status = match error {
        Some((status, message)) => {
            ctx.insert("error", &message);
            status
        }
        None => StatusCode::OK,
    };
    render_status(req, state, Some(user), "users/edit.html", ctx, status)
}

#[get("/admin/users/{id}")]
async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    edit_page(&req, &state, &user, *id, None).await
}

#[derive(Deserialize)]
struct EditForm {
    #[serde(default)]
    csrf_token: String,
    full_name: String,
    date_of_birth: Option<String>,
    place_of_birth: Option<String>,
    sex: Option<String>,
    unit: Option<String>,
    job_title: Option<String>,
    is_leader: Option<String>,
    is_active: Option<String>,
    phone: Option<String>,
    national_id: Option<String>,
    role: Option<String>,
}

#[post("/admin/users/{id}")]
async fn edit_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    csrf::verify(&req, &form.csrf_token)?;
    let id = id.into_inner();
    let form = form.into_inner();
    let lang = lang_of(&req);
    let unit_id = match form
        .unit
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Ok(None),
        Some(path) => UnitIndex::new(units::all_refs(&state.db).await?)
            .resolve(path)
            .map(Some)
            .map_err(|e| e.message(lang)),
    };
    let unit_id = match unit_id {
        Ok(u) => u,
        Err(msg) => {
            return edit_page(
                &req,
                &state,
                &user,
                id,
                Some((StatusCode::UNPROCESSABLE_ENTITY, msg)),
            )
            .await;
        }
    };
    let active = form.is_active.is_some();
    if id == user.id() && !active {
        let msg = tr(&req, &state, "cannot_deactivate_self").to_string();
        return edit_page(
            &req,
            &state,
            &user,
            id,
            Some((StatusCode::UNPROCESSABLE_ENTITY, msg)),
        )
        .await;
    }
    let update = UserUpdate {
        full_name: Some(form.full_name),
        date_of_birth: Some(form.date_of_birth.unwrap_or_default()),
        place_of_birth: Some(form.place_of_birth.unwrap_or_default()),
        sex: Some(form.sex.unwrap_or_default()),
        unit_id: Some(unit_id),
        job_title: Some(form.job_title.unwrap_or_default()),
        is_leader: Some(form.is_leader.is_some()),
        phone: Some(form.phone.unwrap_or_default()),
        national_id: Some(form.national_id.unwrap_or_default()),
        roles: form.role.map(|r| vec![r]),
        is_active: Some(active),
    };
    match accounts::update_user(&state.db, &state.settings, id, update).await {
        Ok(_) => Ok(redirect_with_flash(
            &format!("/admin/users/{id}"),
            "success",
            tr(&req, &state, "user_saved"),
        )),
        Err(e) if e.status().is_client_error() && e.status() != StatusCode::NOT_FOUND => {
            let msg = e.message().to_string();
            edit_page(&req, &state, &user, id, Some((e.status(), msg))).await
        }
        Err(e) => Err(e),
    }
}

#[post("/admin/users/{id}/reset")]
async fn send_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    csrf::verify(&req, &form.csrf_token)?;
    let target = users::find_by_id(&state.db, *id)
        .await?
        .ok_or_else(AppError::not_found)?;
    accounts::request_password_reset(&state.db, &state.settings, &target.user.email).await?;
    Ok(redirect_with_flash(
        &format!("/admin/users/{}", *id),
        "success",
        tr(&req, &state, "reset_link_queued"),
    ))
}
