use actix_web::{HttpResponse, get, web};
use serde_json::json;

use crate::startup::AppState;

/// 200 when the database answers, 503 otherwise.
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ok", "database": "ok"})),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            HttpResponse::ServiceUnavailable().json(json!({
                "status": "unavailable", "database": "unreachable",
                "error": "database_unavailable", "message": "database unreachable"
            }))
        }
    }
}
