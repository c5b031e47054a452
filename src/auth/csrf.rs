//! CSRF protection for cookie-authenticated requests: the double-submit
//! pattern. A random token lives in a `SameSite=Strict` cookie; forms carry
//! it in a hidden field and scripts in the `X-CSRF-Token` header, and the
//! two must match.
use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, body::MessageBody};

use crate::error::AppError;

pub const COOKIE: &str = "csrf";
pub const HEADER: &str = "x-csrf-token";

/// The token of this request (set by [`ensure_cookie`]).
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

pub fn token(req: &HttpRequest) -> String {
    if let Some(t) = req.extensions().get::<CsrfToken>() {
        return t.0.clone();
    }
    req.cookie(COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default()
}

/// Middleware: gives every browser a CSRF cookie.
pub async fn ensure_cookie(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let existing = req
        .cookie(COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() >= 32);
    let fresh = existing.is_none().then(super::random_token);
    let value = existing.or_else(|| fresh.clone()).unwrap_or_default();
    req.extensions_mut().insert(CsrfToken(value));
    let mut res = next.call(req).await?;
    if let Some(v) = fresh {
        let secure = res
            .request()
            .app_data::<actix_web::web::Data<crate::startup::AppState>>()
            .is_some_and(|s| s.settings.secure_cookies());
        let cookie = Cookie::build(COOKIE, v)
            .path("/")
            .same_site(SameSite::Strict)
            .secure(secure)
            .finish();
        res.response_mut().add_cookie(&cookie)?;
    }
    Ok(res)
}

fn equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn refused() -> AppError {
    AppError::new(
        actix_web::http::StatusCode::FORBIDDEN,
        "csrf_failed",
        "Phiên biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử lại.",
        "The form has expired or is invalid. Please reload the page and try again.",
    )
}

/// Checks a submitted token (form field) against the cookie.
pub fn verify(req: &HttpRequest, submitted: &str) -> Result<(), AppError> {
    let cookie = req.cookie(COOKIE).map(|c| c.value().to_string());
    match cookie {
        Some(c) if c.len() >= 32 && equal(&c, submitted) => Ok(()),
        _ => Err(refused()),
    }
}

/// Checks the `X-CSRF-Token` header against the cookie (scripts calling the API).
pub fn verify_header(req: &HttpRequest) -> Result<(), AppError> {
    let header = req
        .headers()
        .get(HEADER)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_string();
    verify(req, &header)
}
