//! Logging in for API clients, and password reset by e-mailed link.
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};

use crate::auth::login::{self, Outcome};
use crate::error::AppError;
use crate::routes::openapi::ErrorBody;
use crate::services::accounts;
use crate::startup::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

/// Exchange e-mail and password for an access token.
///
/// Wrong credentials answer 401 with the same message whether or not the
/// e-mail exists; repeated failures for one account or address answer 429.
#[utoipa::path(tag = "auth", request_body = TokenRequest, responses(
    (status = 200, body = TokenResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[post("/auth/token")]
pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<TokenRequest>,
) -> Result<web::Json<TokenResponse>, AppError> {
    let ip = login::client_ip(&req, state.settings.server.trust_forwarded_for);
    match login::attempt(&state, &body.email, &body.password, &ip).await? {
        Outcome::Success(user) => {
            let access_token = state
                .tokens
                .issue(user.user.id, user.user.session_version)?;
            Ok(web::Json(TokenResponse {
                access_token,
                token_type: "Bearer".into(),
                expires_in: state.tokens.ttl_seconds,
            }))
        }
        Outcome::Wrong => Err(login::wrong_credentials()),
        Outcome::Locked(secs) => Err(AppError::too_many(secs.max(1) as u64)),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ResetRequest {
    pub email: String,
}

/// Ask for a password-reset link by e-mail. Always 202, so accounts cannot be discovered.
#[utoipa::path(tag = "auth", request_body = ResetRequest, responses(
    (status = 202, body = Object, description = "`{\"status\":\"accepted\"}`"), (status = 429, body = ErrorBody)))]
#[post("/auth/password-reset")]
pub async fn request_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<ResetRequest>,
) -> Result<HttpResponse, AppError> {
    crate::routes::limits::check_reset(&req, &state)?;
    accounts::request_password_reset_limited(&state, &body.email).await?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({"status": "accepted"})))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ResetConfirm {
    /// The token from the e-mailed link.
    pub token: String,
    /// At least 10 characters.
    #[schema(min_length = 10)]
    pub password: String,
}

/// Set a new password with a reset or invitation token (used once).
#[utoipa::path(tag = "auth", request_body = ResetConfirm, responses(
    (status = 200, body = Object, description = "`{\"status\":\"password_set\"}`"), (status = 410, body = ErrorBody),
    (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[post("/auth/password-reset/confirm")]
pub async fn confirm_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<ResetConfirm>,
) -> Result<HttpResponse, AppError> {
    crate::routes::limits::check_reset(&req, &state)?;
    accounts::reset_password(&state.db, &body.token, &body.password).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "password_set"})))
}
