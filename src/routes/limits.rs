//! In-memory per-address rate limits (one per instance; decisions allow it).
use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::http::StatusCode;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;

pub type Limiter = Arc<DefaultKeyedRateLimiter<String>>;

/// A limiter allowing `n` requests a minute per key, in bursts of `n`.
pub fn per_minute(n: u32) -> Limiter {
    let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
    Arc::new(RateLimiter::keyed(Quota::per_minute(n)))
}

/// Counts one request for `key`; 429 `rate_limited` when over the limit.
pub fn check(limiter: &Limiter, key: &str) -> Result<(), AppError> {
    if limiter.len() > 100_000 {
        limiter.retain_recent();
    }
    limiter.check_key(&key.to_string()).map_err(|_| {
        AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Bạn tra cứu quá nhiều lần trong thời gian ngắn. Vui lòng đợi một phút rồi thử lại.",
            "Too many lookups in a short time. Please wait a minute and try again.",
        )
    })
}
