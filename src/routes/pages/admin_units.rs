//! Admin pages for the unit tree: browse, create, close, import.
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::csrf;
use crate::auth::extract::PageUser;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::routes::api::units::{UnitInput, UnitView, create_unit};
use crate::routes::pages::{redirect_with_flash, render, render_status, tr};
use crate::routes::{lang_of, upload};
use crate::services::units as import_units;
use crate::startup::AppState;
use crate::store::units;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(close)
        .service(import);
}

#[derive(Deserialize)]
struct ListQuery {
    parent: Option<Uuid>,
}

/// The chain of units from the top down to `id`.
async fn breadcrumbs(state: &AppState, mut id: Option<Uuid>) -> Result<Vec<UnitView>, AppError> {
    let mut chain = Vec::new();
    while let Some(i) = id {
        let Some(u) = units::get(&state.db, i).await? else {
            return Err(AppError::not_found());
        };
        id = u.parent_id;
        chain.push(UnitView::from(u));
        if chain.len() > 32 {
            break;
        }
    }
    chain.reverse();
    Ok(chain)
}

#[get("/admin/units")]
async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    let crumbs = breadcrumbs(&state, q.parent).await?;
    let children: Vec<UnitView> = units::children(&state.db, q.parent)
        .await?
        .into_iter()
        .map(UnitView::from)
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("crumbs", &crumbs);
    ctx.insert("units", &children);
    ctx.insert("parent_id", &q.parent);
    render(&req, &state, Some(&user), "units/list.html", ctx)
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    csrf_token: String,
    name: String,
    kind: String,
    code: Option<String>,
    parent_id: Option<String>,
}

fn back_to(parent: Option<Uuid>) -> String {
    match parent {
        Some(p) => format!("/admin/units?parent={p}"),
        None => "/admin/units".into(),
    }
}

#[post("/admin/units")]
async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    csrf::verify(&req, &form.csrf_token)?;
    let form = form.into_inner();
    let parent_id = form
        .parent_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<Uuid>())
        .transpose()
        .map_err(|_| AppError::not_found())?;
    let back = back_to(parent_id);
    match create_unit(
        &state,
        UnitInput {
            name: form.name,
            kind: form.kind,
            code: form.code,
            parent_id,
        },
    )
    .await
    {
        Ok(_) => Ok(redirect_with_flash(
            &back,
            "success",
            tr(&req, &state, "unit_created"),
        )),
        Err(e) if e.status().is_client_error() => {
            Ok(redirect_with_flash(&back, "error", e.message()))
        }
        Err(e) => Err(e),
    }
}

#[post("/admin/units/{id}/close")]
async fn close(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    form: web::Form<crate::routes::pages::admin_users::CsrfForm>,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    csrf::verify(&req, &form.csrf_token)?;
    let m = units::get(&state.db, *id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let parent = m.parent_id;
    let today = chrono::Utc::now()
        .with_timezone(&state.settings.time_zone())
        .date_naive();
    units::close(&state.db, m, today).await?;
    Ok(redirect_with_flash(
        &back_to(parent),
        "success",
        tr(&req, &state, "unit_closed"),
    ))
}

#[post("/admin/units/import")]
async fn import(
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
    let dry_run = file.fields.get("dry_run").is_some_and(|v| !v.is_empty());
    let report = import_units::import(&state.db, &file.bytes, dry_run, lang_of(&req)).await?;
    let status = if report.errors.is_empty() {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut ctx = tera::Context::new();
    ctx.insert("report", &report);
    render_status(
        &req,
        &state,
        Some(&user),
        "units/import_result.html",
        ctx,
        status,
    )
}
