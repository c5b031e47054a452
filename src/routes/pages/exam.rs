//! The candidate's pages: my exams, and one page per attempt (navigator,
//! countdown from the server's clock, saves on every change with retry).
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::csrf;
use crate::auth::extract::PageUser;
use crate::error::AppError;
use crate::routes::lang_of;
use crate::routes::pages::{redirect, redirect_with_flash, render};
use crate::services::exams::{self, Request};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(my_exams)
        .service(start)
        .service(attempt)
        .service(submit);
}

#[get("/exams")]
async fn my_exams(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
) -> Result<HttpResponse, AppError> {
    let sessions = exams::my_sessions(&state.db, user.id()).await?;
    let practical = crate::services::practical::my_attempts(&state.db, user.id()).await?;
    let lang = lang_of(&req);
    let tz = state.settings.time_zone();
    let rows: Vec<serde_json::Value> = sessions
        .iter()
        .map(|m| {
            serde_json::json!({
                "id": m.session.id, "title": m.session.title, "open_now": m.open_now,
                "opens": m.session.opens_at.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string(),
                "closes": m.session.closes_at.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string(),
                "needs_code": m.session.has_access_code, "attempt_id": m.attempt_id, "state": m.state,
                "score": m.score.map(|s| crate::routes::pages::study::score_text(s, lang)), "passed": m.passed,
                "practical": m.session.practical_paper_id.is_some(),
                "pr": practical.get(&m.session.id).map(|p| serde_json::json!({
                    "id": p.id, "state": p.state, "passed": p.passed,
                    "score": p.score.map(|s| crate::routes::pages::study::score_text(s, lang)),
                })),
            })
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("sessions", &rows);
    render(&req, &state, Some(&user), "exams/mine.html", ctx)
}

#[derive(Deserialize)]
pub struct StartForm {
    #[serde(default)]
    pub csrf_token: String,
    pub access_code: Option<String>,
}

#[post("/exams/{id}/start")]
async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    form: web::Form<StartForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &form.csrf_token)?;
    let ip = crate::auth::login::client_ip(&req, state.settings.server.trust_forwarded_for)
        .parse()
        .ok();
    let ua = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|h| h.to_str().ok());
    match exams::start(
        &state.db,
        state.settings.grace(),
        &user.record,
        *id,
        form.access_code.as_deref(),
        Request { ip, user_agent: ua },
    )
    .await
    {
        Ok((view, _)) => Ok(redirect(&format!("/attempts/{}", view.id))),
        Err(e)
            if e.status().is_client_error()
                && e.status() != actix_web::http::StatusCode::NOT_FOUND =>
        {
            Ok(redirect_with_flash("/exams", "error", e.message()))
        }
        Err(e) => Err(e),
    }
}

#[get("/attempts/{id}")]
async fn attempt(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let ip = crate::auth::login::client_ip(&req, state.settings.server.trust_forwarded_for)
        .parse()
        .ok();
    let view = exams::get(&state.db, state.settings.grace(), &user.record, *id, ip).await?;
    let mut ctx = tera::Context::new();
    if let Some(r) = &view.result {
        ctx.insert(
            "score_text",
            &crate::routes::pages::study::score_text(r.score, lang_of(&req)),
        );
    }
    ctx.insert("grace_seconds", &state.settings.exams.grace_seconds);
    ctx.insert("attempt", &view);
    render(&req, &state, Some(&user), "exams/attempt.html", ctx)
}

#[post("/attempts/{id}/submit")]
async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    form: web::Form<crate::routes::pages::admin_users::CsrfForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &form.csrf_token)?;
    let ip = crate::auth::login::client_ip(&req, state.settings.server.trust_forwarded_for)
        .parse()
        .ok();
    crate::routes::api::exams::submit_and_certify(&state, &user.record, *id, ip).await?;
    Ok(redirect(&format!("/attempts/{}", *id)))
}
