//! Exams: blueprints, sessions, registration, attempts.
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::routes::openapi::ErrorBody;
use crate::routes::{ListOf, lang_of};
use crate::services::exams::{
    self, AttemptResult, AttemptView, BlueprintInput, BlueprintView, Request, Saved, SessionInput,
    SessionView,
};
use crate::startup::AppState;

fn ip_of(req: &HttpRequest, state: &AppState) -> Option<std::net::IpAddr> {
    crate::auth::login::client_ip(req, state.settings.server.trust_forwarded_for)
        .parse()
        .ok()
}

/// Blueprints (staff).
#[utoipa::path(tag = "exams", security(("bearer" = [])), responses((status = 200, body = ListOf<BlueprintView>)))]
#[get("/blueprints")]
pub async fn blueprints(
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if !user.record.roles.iter().any(|r| r.is_staff()) {
        return Err(AppError::forbidden());
    }
    let items = exams::blueprints(&state.db).await?;
    let total = items.len();
    Ok(HttpResponse::Ok().json(serde_json::json!({"items": items, "total": total})))
}

/// Create a blueprint (admin); the bank must be able to feed it (422 names the short section).
#[utoipa::path(tag = "exams", security(("bearer" = [])), request_body = BlueprintInput, responses(
    (status = 201, body = BlueprintView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/blueprints")]
pub async fn create_blueprint(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    body: web::Json<BlueprintInput>,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    let b = exams::create_blueprint(&state.db, body.into_inner(), lang_of(&req)).await?;
    Ok(HttpResponse::Created().json(b))
}

/// Create an exam session (admin).
#[utoipa::path(tag = "exams", security(("bearer" = [])), request_body = SessionInput, responses(
    (status = 201, body = SessionView), (status = 422, body = ErrorBody)))]
#[post("/exam-sessions")]
pub async fn create_session(
    user: AuthUser,
    state: web::Data<AppState>,
    body: web::Json<SessionInput>,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    let s = exams::create_session(&state.db, &user.record, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(s))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RegistrationInput {
    pub user_id: Uuid,
}

/// Register a candidate (admin); with the class rule the learner must be
/// eligible (422 `not_eligible` with `missing`).
#[utoipa::path(tag = "exams", security(("bearer" = [])), request_body = RegistrationInput, responses(
    (status = 201, body = Object, description = "`{\"session_id\",\"user_id\",\"already\"}`"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/exam-sessions/{id}/registrations")]
pub async fn register(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: web::Json<RegistrationInput>,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    let created = exams::register(&state.db, *id, body.user_id, lang_of(&req)).await?;
    Ok(HttpResponse::Created()
        .json(serde_json::json!({"session_id": *id, "user_id": body.user_id, "already": !created})))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
pub struct StartInput {
    pub access_code: Option<String>,
}

/// Start my attempt (201), or get the one in progress (200). No answer key is sent.
#[utoipa::path(tag = "exams", security(("bearer" = [])), request_body = StartInput, responses(
    (status = 201, body = AttemptView), (status = 200, body = AttemptView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/exam-sessions/{id}/attempts")]
pub async fn start(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: Option<web::Json<StartInput>>,
) -> Result<HttpResponse, AppError> {
    let code = body.as_ref().and_then(|b| b.access_code.clone());
    let ua = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|h| h.to_str().ok());
    let (view, created) = exams::start(
        &state.db,
        state.settings.grace(),
        &user.record,
        *id,
        code.as_deref(),
        Request {
            ip: ip_of(&req, &state),
            user_agent: ua,
        },
    )
    .await?;
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// My attempt with every saved answer (and the result once graded).
#[utoipa::path(tag = "exams", security(("bearer" = [])), responses((status = 200, body = AttemptView), (status = 404, body = ErrorBody)))]
#[get("/attempts/{id}")]
pub async fn get(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<AttemptView>, AppError> {
    Ok(web::Json(
        exams::get(
            &state.db,
            state.settings.grace(),
            &user.record,
            *id,
            ip_of(&req, &state),
        )
        .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AnswerInput {
    pub option_ids: Vec<Uuid>,
}

/// Save one answer; `[]` clears it. 409 `deadline_passed` or `attempt_finished`.
#[utoipa::path(tag = "exams", security(("bearer" = [])), request_body = AnswerInput, responses(
    (status = 200, body = Saved), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/attempts/{id}/answers/{position}")]
pub async fn save(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, i32)>,
    body: web::Json<AnswerInput>,
) -> Result<web::Json<Saved>, AppError> {
    let (id, position) = path.into_inner();
    let saved = exams::save(
        &state.db,
        &state.answers,
        state.settings.grace(),
        &user.record,
        id,
        position,
        body.into_inner().option_ids,
        ip_of(&req, &state),
    )
    .await?;
    Ok(web::Json(saved))
}

/// Submit my attempt; a repeat returns the same result.
#[utoipa::path(tag = "exams", security(("bearer" = [])), responses((status = 200, body = AttemptResult), (status = 404, body = ErrorBody)))]
#[post("/attempts/{id}/submit")]
pub async fn submit(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<AttemptResult>, AppError> {
    Ok(web::Json(
        submit_and_certify(&state, &user.record, *id, ip_of(&req, &state)).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ExtraTimeInput {
    pub seconds: i32,
    pub reason: String,
}

/// Give a candidate extra time with a reason (admin, trainer); audited.
#[utoipa::path(tag = "exams", security(("bearer" = [])), request_body = ExtraTimeInput, responses((status = 200, body = AttemptView), (status = 403, body = ErrorBody),
    (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/attempts/{id}/extra-time")]
pub async fn extra_time(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: web::Json<ExtraTimeInput>,
) -> Result<web::Json<AttemptView>, AppError> {
    Ok(web::Json(
        exams::extra_time(&state.db, &user.record, *id, body.seconds, &body.reason).await?,
    ))
}

/// The proctor board of a session (admin, trainer).
#[utoipa::path(tag = "exams", security(("bearer" = [])), responses((status = 200, body = BoardView), (status = 403, body = ErrorBody)))]
#[get("/exam-sessions/{id}/board")]
pub async fn board(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    if !exams::may_proctor(&state.db, &user.record, *id).await? {
        return Err(AppError::forbidden());
    }
    let (session, items) = exams::board(&state.db, *id).await?;
    let total = items.len() as u64;
    Ok(HttpResponse::Ok().json(BoardView {
        session,
        items,
        total,
    }))
}

/// The proctor board: the session and one row per registered candidate.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BoardView {
    pub session: SessionView,
    pub items: Vec<exams::BoardRow>,
    pub total: u64,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReopenInput {
    pub minutes: i64,
    pub reason: String,
}

/// Reopen a finished attempt with a reason (admin, trainer); audited.
#[utoipa::path(tag = "exams", security(("bearer" = [])), request_body = ReopenInput, responses((status = 200, body = StateView), (status = 403, body = ErrorBody),
    (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/attempts/{id}/reopen")]
pub async fn reopen(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: web::Json<ReopenInput>,
) -> Result<HttpResponse, AppError> {
    exams::reopen(&state.db, &user.record, *id, body.minutes, &body.reason).await?;
    Ok(HttpResponse::Ok().json(StateView {
        state: "in_progress".into(),
    }))
}

/// The state an attempt is left in.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StateView {
    /// `in_progress` after a reopen.
    pub state: String,
}

/// An attempt's audit trail: start, saves, submit or auto-finish, proctor actions (admin).
#[utoipa::path(tag = "exams", security(("bearer" = [])), responses((status = 200, body = ListOf<exams::AuditEvent>), (status = 403, body = ErrorBody)))]
#[get("/attempts/{id}/audit")]
pub async fn audit(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    let items = exams::audit(&state.db, *id).await?;
    let total = items.len();
    Ok(HttpResponse::Ok().json(serde_json::json!({"items": items, "total": total})))
}

/// Approve a session's results (admin; the decision approving results).
/// 409 `attempts_in_progress` while any attempt is unfinished.
#[utoipa::path(tag = "exams", security(("bearer" = [])), responses((status = 200, body = SessionView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/exam-sessions/{id}/approve")]
pub async fn approve(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<SessionView>, AppError> {
    Ok(web::Json(
        exams::approve(&state.db, &state.issuer, &user.record, *id).await?,
    ))
}

/// Submits, then issues the certificate a pass earns (sessions issuing on
/// grading); a failure to issue is retried by the background issuer.
pub async fn submit_and_certify(
    state: &AppState,
    user: &crate::store::users::UserRecord,
    id: Uuid,
    ip: Option<std::net::IpAddr>,
) -> Result<AttemptResult, AppError> {
    let r = exams::submit(&state.db, state.settings.grace(), user, id, ip).await?;
    if r.passed
        && let Err(e) =
            crate::services::certificates::issue_for_attempt(&state.db, &state.issuer, id).await
    {
        tracing::warn!(error = ?e, attempt = %id, "issuing after grading failed; the issuer job retries");
    }
    Ok(r)
}
