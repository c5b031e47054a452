//! Checking a password, with failed attempts counted per account and per
//! address. Successful logins are never limited: a whole exam room often
//! shares one public address.
use chrono::{Duration, Utc};

use crate::auth::password;
use crate::error::AppError;
use crate::startup::AppState;
use crate::store::login_failures;
use crate::store::users::{self, UserRecord};

pub enum Outcome {
    Success(Box<UserRecord>),
    Wrong,
    /// Refused for this many seconds.
    Locked(i64),
}

pub async fn attempt(
    state: &AppState,
    email: &str,
    password_given: &str,
    client_ip: &str,
) -> Result<Outcome, AppError> {
    let email = email.trim().to_lowercase();
    let account_key = format!("account:{email}");
    let address_key = format!("address:{client_ip}");
    let now = Utc::now();
    for key in [&account_key, &address_key] {
        if let Some(secs) = login_failures::locked_for(&state.db, key, now).await? {
            return Ok(Outcome::Locked(secs));
        }
    }
    let found = users::find_by_email(&state.db, &email).await?;
    let hash = found
        .as_ref()
        .filter(|u| u.user.is_active)
        .and_then(|u| u.user.password_hash.clone());
    let ok = password::verify(password_given.to_string(), hash).await?;
    match found {
        Some(user) if ok => {
            login_failures::clear(&state.db, &account_key).await?;
            Ok(Outcome::Success(Box::new(user)))
        }
        _ => {
            let a = &state.settings.auth;
            let window = Duration::seconds(a.failure_window_seconds);
            let lockout = Duration::seconds(a.lockout_seconds);
            login_failures::record(
                &state.db,
                &account_key,
                a.account_failures,
                window,
                lockout,
                now,
            )
            .await?;
            login_failures::record(
                &state.db,
                &address_key,
                a.address_failures,
                window,
                lockout,
                now,
            )
            .await?;
            Ok(Outcome::Wrong)
        }
    }
}

/// The client's address: the peer, or the first `X-Forwarded-For` hop when configured.
pub fn client_ip(req: &actix_web::HttpRequest, trust_forwarded: bool) -> String {
    if trust_forwarded && let Some(ip) = req.connection_info().realip_remote_addr() {
        return ip.to_string();
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

pub fn wrong_credentials() -> AppError {
    AppError::new(
        actix_web::http::StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "Email hoặc mật khẩu không đúng.",
        "Wrong e-mail or password.",
    )
}
