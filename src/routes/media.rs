//! Stored files (question images) by content hash; the name is cosmetic.
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};

use crate::error::AppError;
use crate::startup::AppState;
use crate::store::blobs;

#[get("/media/{sha}/{name}")]
pub async fn serve(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (sha, _) = path.into_inner();
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::not_found());
    }
    let blob = blobs::get(&state.db, &sha)
        .await?
        .ok_or_else(AppError::not_found)?;
    // Only images are shown inline; anything else downloads.
    let inline = (blob.content_type.starts_with("image/") && blob.content_type != "image/svg+xml")
        || blob.content_type.starts_with("video/");
    let disposition = if inline { "inline" } else { "attachment" };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, blob.content_type.as_str()))
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(blob.data))
}
