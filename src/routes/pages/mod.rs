//! HTML pages: the shared page context (language, catalogue, user,
//! navigation, CSRF token, flash message) and the route table.
pub mod account;
pub mod admin_units;
pub mod admin_users;
pub mod certificates;
pub mod classes;
pub mod errors;
pub mod exam;
pub mod home;
pub mod lessons_admin;
pub mod practical;
pub mod proctor;
pub mod questions;
pub mod records;
pub mod reports;
pub mod study;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::auth::{AuthUser, csrf};
use crate::domain::role::Role;
use crate::error::AppError;
use crate::routes::lang_of;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    home::configure(cfg);
    account::configure(cfg);
    admin_units::configure(cfg);
    admin_users::configure(cfg);
    questions::configure(cfg);
    study::configure(cfg);
    classes::configure(cfg);
    lessons_admin::configure(cfg);
    exam::configure(cfg);
    practical::configure(cfg);
    proctor::configure(cfg);
    certificates::configure(cfg);
    reports::configure(cfg);
    records::configure(cfg);
}

const FLASH_COOKIE: &str = "flash";

#[derive(Serialize)]
struct NavItem {
    href: &'static str,
    key: &'static str,
    active: bool,
}

#[derive(Serialize)]
struct Flash {
    kind: String,
    text: String,
}

fn nav(user: &AuthUser, path: &str) -> Vec<NavItem> {
    let mut items = vec![("/", "nav_home")];
    if user.has(Role::Learner) {
        items.push(("/exams", "nav_exams"));
    }
    if user.has(Role::Admin) {
        items.push(("/admin/units", "nav_units"));
    }
    if user.has(Role::Admin) || user.has(Role::Trainer) || user.has(Role::UnitManager) {
        items.push(("/admin/users", "nav_users"));
    }
    if user.has(Role::Admin) || user.has(Role::Trainer) {
        items.push(("/classes", "nav_classes"));
        items.push(("/exam-sessions", "nav_sessions"));
        items.push(("/questions", "nav_questions"));
    }
    if user.has(Role::Admin) || user.has(Role::Marker) {
        items.push(("/marking", "nav_marking"));
    }
    if user.has(Role::Admin) || user.has(Role::UnitManager) {
        items.push(("/reports/units", "nav_reports"));
    }
    if user.has(Role::Admin) {
        items.push(("/admin/certificates", "nav_certificates"));
    }
    items.push(("/account", "nav_account"));
    items
        .into_iter()
        .map(|(href, key)| NavItem {
            href,
            key,
            active: if href == "/" {
                path == "/"
            } else {
                path.starts_with(href)
            },
        })
        .collect()
}

fn read_flash(req: &HttpRequest) -> Option<Flash> {
    let c = req.cookie(FLASH_COOKIE)?;
    let decoded: String = url::form_urlencoded::parse(format!("f={}", c.value()).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())?;
    let (kind, text) = decoded.split_once(':')?;
    let kind = if kind == "error" { "error" } else { "success" };
    Some(Flash {
        kind: kind.into(),
        text: text.chars().take(500).collect(),
    })
}

/// Renders `template` with the shared page context and `status`.
pub fn render_status(
    req: &HttpRequest,
    state: &AppState,
    user: Option<&AuthUser>,
    template: &str,
    mut ctx: tera::Context,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let lang = lang_of(req);
    ctx.insert("t", state.catalogue.as_value(lang));
    ctx.insert("lang", lang.code());
    ctx.insert("csrf_token", &csrf::token(req));
    ctx.insert("path", req.path());
    ctx.insert(
        "path_and_query",
        &req.uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/"),
    );
    if let Some(u) = user {
        ctx.insert(
            "me",
            &serde_json::json!({
                "id": u.id(),
                "full_name": u.record.user.full_name,
                "email": u.record.user.email,
                "roles": u.record.roles,
                "is_admin": u.is_admin(),
            }),
        );
        ctx.insert("nav", &nav(u, req.path()));
    }
    let flash = read_flash(req);
    if let Some(f) = &flash {
        ctx.insert("flash", f);
    }
    let html = state
        .tera
        .render(template, &ctx)
        .map_err(|e| AppError::internal(anyhow::anyhow!("template {template}: {e:?}")))?;
    let mut resp = HttpResponse::build(status);
    resp.insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"));
    resp.insert_header((header::CACHE_CONTROL, "no-store"));
    if flash.is_some() {
        let mut gone = Cookie::build(FLASH_COOKIE, "").path("/").finish();
        gone.make_removal();
        resp.cookie(gone);
    }
    Ok(resp.body(html))
}

pub fn render(
    req: &HttpRequest,
    state: &AppState,
    user: Option<&AuthUser>,
    template: &str,
    ctx: tera::Context,
) -> Result<HttpResponse, AppError> {
    render_status(req, state, user, template, ctx, StatusCode::OK)
}

/// 303 to `location` with a message shown once on the next page.
pub fn redirect_with_flash(location: &str, kind: &str, text: &str) -> HttpResponse {
    let value: String =
        url::form_urlencoded::byte_serialize(format!("{kind}:{text}").as_bytes()).collect();
    let cookie = Cookie::build(FLASH_COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::seconds(60))
        .finish();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .cookie(cookie)
        .finish()
}

pub fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

/// The text of `key` in the request's language.
pub fn tr<'a>(req: &HttpRequest, state: &'a AppState, key: &'a str) -> &'a str {
    state.catalogue.get(lang_of(req), key)
}

/// Only local paths are followed after login (no open redirect).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}
