//! The start page and the language switch.
use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;

use crate::auth::extract::PageUser;
use crate::error::AppError;
use crate::i18n::{LANG_COOKIE, Lang};
use crate::routes::pages::{render, safe_next};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(index).service(switch_language);
}

#[get("/")]
async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
) -> Result<HttpResponse, AppError> {
    let mut ctx = tera::Context::new();
    if let Some(unit_id) = user.record.user.unit_id
        && let Some(unit) = crate::store::units::get(&state.db, unit_id).await?
    {
        ctx.insert("unit_name", &unit.name);
    }
    render(&req, &state, Some(&user), "home/index.html", ctx)
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

#[get("/lang/{code}")]
async fn switch_language(code: web::Path<String>, q: web::Query<NextQuery>) -> HttpResponse {
    let lang = Lang::parse(&code).unwrap_or_default();
    let cookie = Cookie::build(LANG_COOKIE, lang.code())
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(Duration::days(365))
        .finish();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, safe_next(q.next.as_deref())))
        .cookie(cookie)
        .finish()
}
