//! Exam sessions for admins and proctors: list and create sessions, register
//! candidates, and the proctor board (refreshing itself) with extra time,
//! reopening and the audit trail.
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::csrf;
use crate::auth::extract::{AuthUser, PageUser};
use crate::domain::role::Role;
use crate::error::AppError;
use crate::routes::lang_of;
use crate::routes::pages::{redirect_with_flash, render, tr};
use crate::services::exams::{self, Review, SessionInput};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(board)
        .service(register)
        .service(extra)
        .service(reopen)
        .service(approve)
        .service(audit);
}

/// A refusal of what the form asks (bad minutes, a finished attempt, results
/// not ready) is shown on the board; a caller who may not act on the session
/// (403) or an unknown attempt or session (404) gets that answer instead.
fn shown_on_board(e: &AppError) -> bool {
    e.status().is_client_error()
        && !matches!(
            e.status(),
            actix_web::http::StatusCode::FORBIDDEN | actix_web::http::StatusCode::NOT_FOUND
        )
}

fn proctor(user: &AuthUser) -> Result<(), AppError> {
    user.require_any(&[Role::Admin, Role::Trainer])
}

#[get("/exam-sessions")]
async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
) -> Result<HttpResponse, AppError> {
    proctor(&user)?;
    let tz = state.settings.time_zone();
    let sessions: Vec<serde_json::Value> = exams::sessions(&state.db)
        .await?
        .iter()
        .map(|s| serde_json::json!({"id": s.id, "title": s.title, "opens": s.opens_at.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string(), "closes": s.closes_at.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string()}))
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("sessions", &sessions);
    ctx.insert("blueprints", &exams::blueprints(&state.db).await?);
    ctx.insert(
        "practical_papers",
        &crate::services::practical::papers(&state.db, &user.record).await?,
    );
    render(&req, &state, Some(&user), "exams/sessions.html", ctx)
}

#[derive(Deserialize)]
struct SessionForm {
    #[serde(default)]
    csrf_token: String,
    title: String,
    blueprint_id: Uuid,
    opens_at: String,
    closes_at: String,
    access_code: Option<String>,
    attempts_allowed: Option<i32>,
    registration: Option<String>,
    review_show: Option<String>,
    issue_mode: Option<String>,
    /// Empty: no practical part.
    practical_paper_id: Option<String>,
}

/// A `datetime-local` value in the installation's time zone, as UTC.
fn local_time(state: &AppState, s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::TimeZone;
    let naive = chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M").ok()?;
    state
        .settings
        .time_zone()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&chrono::Utc))
}

#[post("/exam-sessions")]
async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    form: web::Form<SessionForm>,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    csrf::verify(&req, &form.csrf_token)?;
    let (Some(opens_at), Some(closes_at)) = (
        local_time(&state, &form.opens_at),
        local_time(&state, &form.closes_at),
    ) else {
        return Ok(redirect_with_flash(
            "/exam-sessions",
            "error",
            tr(&req, &state, "class_bad_dates"),
        ));
    };
    let input = SessionInput {
        title: form.title.clone(),
        blueprint_id: form.blueprint_id,
        opens_at,
        closes_at,
        access_code: form.access_code.clone(),
        ip_allow: Vec::new(),
        attempts_allowed: form.attempts_allowed,
        review: Some(Review {
            show: form.review_show.clone().unwrap_or_else(|| "score".into()),
            from: "finish".into(),
        }),
        issue_mode: form.issue_mode.clone().filter(|m| !m.is_empty()),
        registration: form.registration.clone(),
        course_id: None,
        proctor_ids: Vec::new(),
        practical_paper_id: form
            .practical_paper_id
            .as_deref()
            .and_then(|p| Uuid::parse_str(p.trim()).ok()),
        practical_pass_score: None,
        reserve_months: None,
        appeal_days: None,
        marking_threshold: None,
    };
    match exams::create_session(&state.db, &user.record, input).await {
        Ok(s) => Ok(redirect_with_flash(
            &format!("/exam-sessions/{}", s.id),
            "success",
            tr(&req, &state, "session_created"),
        )),
        Err(e) if e.status().is_client_error() => {
            Ok(redirect_with_flash("/exam-sessions", "error", e.message()))
        }
        Err(e) => Err(e),
    }
}

#[get("/exam-sessions/{id}")]
async fn board(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    proctor(&user)?;
    if !exams::may_proctor(&state.db, &user.record, *id).await? {
        return Err(AppError::forbidden());
    }
    let (session, rows) = exams::board(&state.db, *id).await?;
    let lang = lang_of(&req);
    let rows: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            if let serde_json::Value::Object(m) = &mut v {
                m.insert(
                    "score_text".into(),
                    r.score
                        .map(|s| crate::routes::pages::study::score_text(s, lang))
                        .into(),
                );
                m.insert(
                    "left_text".into(),
                    r.seconds_left
                        .map(|s| format!("{}:{:02}", s / 60, s % 60))
                        .into(),
                );
            }
            v
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("session", &session);
    ctx.insert("rows", &rows);
    if user.has(Role::Admin) {
        ctx.insert(
            "approval",
            &crate::services::certificates::approval_list(&state.db, *id).await?,
        );
    }
    render(&req, &state, Some(&user), "exams/board.html", ctx)
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

/// The decision approving a session's results (admin).
#[post("/exam-sessions/{id}/approve-form")]
async fn approve(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &form.csrf_token)?;
    let back = format!("/exam-sessions/{}", *id);
    match exams::approve(&state.db, &state.issuer, &user.record, *id).await {
        Ok(_) => Ok(redirect_with_flash(
            &back,
            "success",
            tr(&req, &state, "session_approved"),
        )),
        Err(e) if shown_on_board(&e) => Ok(redirect_with_flash(&back, "error", e.message())),
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct RegisterForm {
    #[serde(default)]
    csrf_token: String,
    emails: String,
}

#[post("/exam-sessions/{id}/register")]
async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    form: web::Form<RegisterForm>,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    csrf::verify(&req, &form.csrf_token)?;
    let lang = lang_of(&req);
    let emails: Vec<String> = form
        .emails
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty())
        .collect();
    let people = crate::store::users::by_emails(&state.db, &emails).await?;
    let mut report = Vec::new();
    for email in &emails {
        let line = match people.iter().find(|p| &p.email == email) {
            None => format!("{email}: {}", tr(&req, &state, "no_such_email")),
            Some(p) => match exams::register(&state.db, *id, p.id, lang).await {
                Ok(_) => format!("{email}: {}", tr(&req, &state, "registered_ok")),
                Err(e) if e.status().is_client_error() => format!("{email}: {}", e.message()),
                Err(e) => return Err(e),
            },
        };
        report.push(line);
    }
    Ok(redirect_with_flash(
        &format!("/exam-sessions/{}", *id),
        "success",
        &report.join(" · "),
    ))
}

#[derive(Deserialize)]
struct ActionForm {
    #[serde(default)]
    csrf_token: String,
    amount: i64,
    reason: String,
    session: Uuid,
}

#[post("/attempts/{id}/extra-time-form")]
async fn extra(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &form.csrf_token)?;
    let back = format!("/exam-sessions/{}", form.session);
    match exams::extra_time(
        &state.db,
        &user.record,
        *id,
        (form.amount * 60) as i32,
        &form.reason,
    )
    .await
    {
        Ok(_) => Ok(redirect_with_flash(
            &back,
            "success",
            tr(&req, &state, "extra_time_given"),
        )),
        Err(e) if shown_on_board(&e) => Ok(redirect_with_flash(&back, "error", e.message())),
        Err(e) => Err(e),
    }
}

#[post("/attempts/{id}/reopen-form")]
async fn reopen(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &form.csrf_token)?;
    let back = format!("/exam-sessions/{}", form.session);
    match exams::reopen(&state.db, &user.record, *id, form.amount, &form.reason).await {
        Ok(()) => Ok(redirect_with_flash(
            &back,
            "success",
            tr(&req, &state, "attempt_reopened"),
        )),
        Err(e) if shown_on_board(&e) => Ok(redirect_with_flash(&back, "error", e.message())),
        Err(e) => Err(e),
    }
}

#[get("/attempts/{id}/audit")]
async fn audit(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    let tz = state.settings.time_zone();
    let events: Vec<serde_json::Value> = exams::audit(&state.db, *id)
        .await?
        .iter()
        .map(|e| serde_json::json!({"at": e.at.with_timezone(&tz).format("%d/%m/%Y %H:%M:%S").to_string(), "kind": e.kind, "position": e.position, "ip": e.ip, "detail": e.detail}))
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("events", &events);
    ctx.insert("attempt_id", &*id);
    render(&req, &state, Some(&user), "exams/audit.html", ctx)
}
