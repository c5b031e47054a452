//! Published keys: `/.well-known/jwks.json` and the `did:web` document.
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};

use crate::error::AppError;
use crate::services::certificates;
use crate::startup::AppState;

/// Every credential signing key, current and retired (JWK set).
#[get("/.well-known/jwks.json")]
pub async fn jwks(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(certificates::jwks(&state.db).await?))
}

/// The issuer's `did:web` document.
#[get("/.well-known/did.json")]
pub async fn did(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(certificates::did_document(&state.db, &state.issuer).await?))
}
