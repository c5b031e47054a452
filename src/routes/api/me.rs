//! The caller's own account.
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::AppError;
use crate::routes::openapi::ErrorBody;
use crate::services::accounts;
use crate::startup::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub roles: Vec<crate::domain::role::Role>,
    pub unit_id: Option<Uuid>,
}

/// Who am I.
#[utoipa::path(tag = "me", security(("bearer" = [])), responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
#[get("/me")]
pub async fn me(user: AuthUser) -> web::Json<Me> {
    let u = &user.record.user;
    web::Json(Me {
        id: u.id,
        email: u.email.clone(),
        full_name: u.full_name.clone(),
        roles: user.record.roles.clone(),
        unit_id: u.unit_id,
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 10 characters.
    #[schema(min_length = 10)]
    pub new_password: String,
}

/// Change my password; every other session (and token) ends.
#[utoipa::path(tag = "me", security(("bearer" = [])), request_body = PasswordChange, responses(
    (status = 200, body = Object, description = "`{\"status\":\"password_changed\"}`"), (status = 422, body = ErrorBody)))]
#[post("/me/password")]
pub async fn change_password(
    user: AuthUser,
    state: web::Data<AppState>,
    body: web::Json<PasswordChange>,
) -> Result<HttpResponse, AppError> {
    accounts::change_password(
        &state.db,
        &user.record,
        &body.current_password,
        &body.new_password,
    )
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "password_changed"})))
}
