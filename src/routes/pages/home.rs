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
    if user.has(crate::domain::role::Role::Learner) {
        let lang = crate::routes::lang_of(&req);
        let progress = crate::services::courses::my_progress(&state.db, &user.record, lang).await?;
        if let Some(course_id) = progress.course_id
            && let Some(tree) = crate::store::courses::tree(&state.db, course_id).await?
        {
            let next = crate::services::courses::next_lesson(&state.db, user.id(), &tree).await?;
            ctx.insert(
                "next_lesson",
                &next.map(|l| serde_json::json!({"id": l.id, "title": l.title})),
            );
            let titles: std::collections::HashMap<String, String> = tree
                .modules
                .iter()
                .map(|(m, _)| (m.code.clone(), m.title.clone()))
                .collect();
            let modules: Vec<serde_json::Value> = progress
                .modules
                .iter()
                .map(|m| {
                    let pct = (m.lessons_completed * 100).checked_div(m.lessons_total).unwrap_or(0);
                    serde_json::json!({"code": m.code, "title": titles.get(&m.code), "done": m.lessons_completed, "total": m.lessons_total, "pct": pct, "completed": m.completed})
                })
                .collect();
            ctx.insert("modules", &modules);
            ctx.insert("course_id", &course_id);
        }
        ctx.insert("progress", &progress);
    }
    let lang = crate::routes::lang_of(&req);
    let certificates =
        crate::services::certificates::mine(&state.db, &state.issuer, user.id(), lang).await?;
    if !certificates.is_empty() {
        ctx.insert("certificates", &certificates);
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
