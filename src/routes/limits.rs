//! Abuse limits: in-memory per-key rate limits (one set per instance;
//! decisions allow it) and a time limit on every request.
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, web};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::configuration::Settings;
use crate::error::AppError;
use crate::startup::AppState;

pub type Limiter = Arc<DefaultKeyedRateLimiter<String>>;

/// A limiter allowing `n` requests a minute per key, in bursts of `n`.
pub fn per_minute(n: u32) -> Limiter {
    let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
    Arc::new(RateLimiter::keyed(Quota::per_minute(n)))
}

/// A limiter allowing `n` requests an hour per key, in bursts of `n`.
pub fn per_hour(n: u32) -> Limiter {
    let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
    Arc::new(RateLimiter::keyed(Quota::per_hour(n)))
}

/// The instance's limiters.
pub struct Limits {
    /// Certificate lookups (verify page, lookup form, public API) per address.
    pub lookups: Limiter,
    /// Password-reset requests and confirmations per address.
    pub resets: Limiter,
    /// Reset links sent per account (over it, no more mail: the answer stays
    /// the same, so accounts cannot be discovered).
    pub reset_mails: Limiter,
    /// Imports (questions, rosters, units) per address.
    pub imports: Limiter,
}

impl Limits {
    pub fn from_settings(s: &Settings) -> Limits {
        Limits {
            lookups: per_minute(s.certificates.lookups_per_minute),
            resets: per_minute(s.limits.resets_per_minute),
            reset_mails: per_hour(s.limits.reset_mails_per_hour),
            imports: per_minute(s.limits.imports_per_minute),
        }
    }
}

/// Whether `key` may go on under `limiter` (counts one request).
pub fn allowed(limiter: &Limiter, key: &str) -> bool {
    if limiter.len() > 100_000 {
        limiter.retain_recent();
    }
    limiter.check_key(&key.to_string()).is_ok()
}

/// Counts one request for `key`; 429 `rate_limited` (with the message)
/// when over the limit.
fn limit(limiter: &Limiter, key: &str, vi: &str, en: &str) -> Result<(), AppError> {
    if allowed(limiter, key) {
        return Ok(());
    }
    Err(AppError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", vi, en).with_retry_after(60))
}

/// Counts one certificate lookup for `key`.
pub fn check(limiter: &Limiter, key: &str) -> Result<(), AppError> {
    limit(
        limiter,
        key,
        "Bạn tra cứu quá nhiều lần trong thời gian ngắn. Vui lòng đợi một phút rồi thử lại.",
        "Too many lookups in a short time. Please wait a minute and try again.",
    )
}

/// Counts one password-reset request or confirmation from this address.
pub fn check_reset(req: &HttpRequest, state: &AppState) -> Result<(), AppError> {
    limit(
        &state.limits.resets,
        &client(req, state),
        "Quá nhiều yêu cầu đặt lại mật khẩu từ địa chỉ này. Vui lòng đợi một phút rồi thử lại.",
        "Too many password-reset requests from this address. Please wait a minute and try again.",
    )
}

/// Counts one import from this address.
pub fn check_import(req: &HttpRequest, state: &AppState) -> Result<(), AppError> {
    limit(
        &state.limits.imports,
        &client(req, state),
        "Quá nhiều lần nhập tệp trong thời gian ngắn. Vui lòng đợi một phút rồi thử lại.",
        "Too many imports in a short time. Please wait a minute and try again.",
    )
}

/// The client's address as the limits count it.
pub fn client(req: &HttpRequest, state: &AppState) -> String {
    crate::auth::login::client_ip(req, state.settings.server.trust_forwarded_for)
}

/// How long a request may take: uploads and imports (weak links, big
/// files) get the long limit, everything else the short one.
fn time_limit(method: &Method, path: &str, s: &Settings) -> Duration {
    let long = *method == Method::POST
        && (path.ends_with("/import")
            || path.contains("/uploads")
            || path.ends_with("/files")
            || path.contains("/media"));
    let long = long
        || path.contains("/reports")
        || path.contains("/export")
        || path.ends_with("/pdf")
        || path.ends_with(".xlsx");
    Duration::from_millis(if long {
        s.server.upload_timeout_ms
    } else {
        s.server.request_timeout_ms
    })
}

/// Middleware: a request that runs over its time limit is abandoned (its
/// transaction rolls back) and answered with 503 `request_timeout`.
pub async fn timeouts(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limit = match req.app_data::<web::Data<AppState>>() {
        Some(s) => time_limit(req.method(), req.path(), &s.settings),
        None => Duration::from_secs(30),
    };
    let path = req.path().to_string();
    match tokio::time::timeout(limit, next.call(req)).await {
        Ok(res) => res.map(ServiceResponse::map_into_boxed_body),
        Err(_) => {
            tracing::warn!(%path, ?limit, "request abandoned after its time limit");
            Err(AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "request_timeout",
                "Máy chủ xử lý yêu cầu quá lâu. Vui lòng thử lại sau ít phút.",
                "The request took too long. Please try again in a few minutes.",
            )
            .with_retry_after(5)
            .into())
        }
    }
}
