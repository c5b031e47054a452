//! The one application error: what the caller did wrong becomes a 4xx with
//! a message in the caller's language; what went wrong inside is logged and
//! answered with a bare 500 (or 503 when the database is unreachable).
use std::borrow::Cow;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use sea_orm::{DbErr, RuntimeErr, SqlErr};
use serde_json::{Map, Value, json};

use crate::i18n;

/// The message of an error, left on its response for the HTML error page.
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    pub message: String,
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Boxed so that `Result<T, AppError>` stays small.
pub struct AppError(Box<Inner>);

struct Inner {
    status: StatusCode,
    code: Cow<'static, str>,
    vi: String,
    en: String,
    /// Extra fields merged into the JSON body (e.g. an import report).
    extra: Option<Map<String, Value>>,
    retry_after: Option<u64>,
    internal: Option<anyhow::Error>,
}

impl AppError {
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        vi: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        AppError(Box::new(Inner {
            status,
            code: code.into(),
            vi: vi.into(),
            en: en.into(),
            extra: None,
            retry_after: None,
            internal: None,
        }))
    }

    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    pub fn code(&self) -> &str {
        &self.0.code
    }

    pub fn bad_request(vi: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", vi, en)
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Bạn cần đăng nhập.",
            "You need to log in.",
        )
    }
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Bạn không có quyền thực hiện thao tác này.",
            "You are not allowed to do this.",
        )
    }
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Không tìm thấy.",
            "Not found.",
        )
    }
    pub fn conflict(
        code: impl Into<Cow<'static, str>>,
        vi: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self::new(StatusCode::CONFLICT, code, vi, en)
    }
    pub fn unprocessable(
        code: impl Into<Cow<'static, str>>,
        vi: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, vi, en)
    }
    pub fn too_many(retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "Quá nhiều lần thử không thành công. Vui lòng thử lại sau.",
            "Too many failed attempts. Please try again later.",
        );
        e.0.retry_after = Some(retry_after);
        e
    }
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        let e = e.into();
        // Database errors that are not our fault, however they arrive.
        if let Some(db) = e.downcast_ref::<DbErr>() {
            if is_unstorable_text(db) {
                return Self::unstorable_text();
            }
            if unavailable(db) {
                return Self::unavailable(e);
            }
        }
        let mut err = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Đã xảy ra lỗi hệ thống. Vui lòng thử lại.",
            "Something went wrong on our side. Please try again.",
        );
        err.0.internal = Some(e);
        err
    }
    /// Text the database cannot store (PostgreSQL refuses the NUL character).
    pub fn unstorable_text() -> Self {
        Self::bad_request(
            "Văn bản không được chứa ký tự NUL (\\u0000).",
            "Text must not contain the NUL character (\\u0000).",
        )
    }
    pub fn unavailable(e: impl Into<anyhow::Error>) -> Self {
        let mut err = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "Cơ sở dữ liệu tạm thời không truy cập được. Vui lòng thử lại sau.",
            "The database is unavailable. Please try again later.",
        );
        err.0.internal = Some(e.into());
        err.0.retry_after = Some(5);
        err
    }

    /// Asks the client to wait this many seconds (`Retry-After`).
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.0.retry_after = Some(seconds);
        self
    }

    /// Adds fields to the JSON body.
    pub fn with_extra(mut self, extra: Value) -> Self {
        if let Value::Object(map) = extra {
            self.0.extra = Some(map);
        }
        self
    }

    /// The English message (CLI output, logs).
    pub fn message_en(&self) -> &str {
        &self.0.en
    }

    /// The message in the current request's language.
    pub fn message(&self) -> &str {
        i18n::current().pick(&self.0.vi, &self.0.en)
    }
}

impl fmt::Debug for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.0.status, self.0.code, self.0.en)?;
        if let Some(e) = &self.0.internal {
            write!(f, " caused by: {e:?}")?;
        }
        Ok(())
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.en)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.0.status
    }

    fn error_response(&self) -> HttpResponse {
        let inner = &self.0;
        if let Some(e) = &inner.internal {
            tracing::error!(error = ?e, code = %inner.code, "request failed");
        }
        let mut body = json!({"error": inner.code, "message": self.message()});
        if let (Some(extra), Value::Object(obj)) = (&inner.extra, &mut body) {
            for (k, v) in extra {
                obj.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        let mut resp = HttpResponse::build(inner.status);
        if let Some(secs) = inner.retry_after {
            resp.insert_header(("Retry-After", secs.to_string()));
        }
        let mut resp = resp.json(body);
        // Errors that end the request outside the middleware chain carry
        // the security headers too.
        crate::routes::headers::apply(resp.headers_mut(), false, false);
        resp.extensions_mut().insert(ErrorInfo {
            message: self.message().to_string(),
        });
        resp
    }
}

/// PostgreSQL cannot store a NUL character in text (SQLSTATE 22021,
/// character_not_in_repertoire) nor `\u0000` in JSON (22P05): that is the
/// caller's input, not a failure of ours.
fn is_unstorable_text(e: &DbErr) -> bool {
    if let DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) = e
        && let sea_orm::sqlx::Error::Database(d) = &**e
    {
        return matches!(d.code().as_deref(), Some("22021" | "22P05"));
    }
    false
}

impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        if let Some(SqlErr::UniqueConstraintViolation(_)) = e.sql_err() {
            return AppError::conflict(
                "already_exists",
                "Dữ liệu đã tồn tại.",
                "This already exists.",
            );
        }
        // Unstorable text (400) and an unreachable database (503) are
        // sorted out there, for errors that come through `anyhow` too.
        AppError::internal(e)
    }
}

/// Whether an error means "the database cannot be reached or is locked
/// right now" (503, retry later) rather than a fault in the request.
pub fn unavailable(e: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as X;
    let x = match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(RuntimeErr::SqlxError(x)) | DbErr::Query(RuntimeErr::SqlxError(x)) => x,
        _ => return false,
    };
    match x.as_ref() {
        X::Io(_) | X::PoolTimedOut | X::PoolClosed | X::WorkerCrashed | X::Tls(_) => true,
        X::Database(d) => {
            let code = d.code().unwrap_or_default();
            // SQLite: BUSY (5 and its extended codes), LOCKED (6, 262);
            // PostgreSQL: class 08 (connection exception), 57P01–57P03
            // (shutting down, cannot connect now).
            let sqlite_busy = code
                .parse::<i32>()
                .is_ok_and(|c| c & 0xff == 5 || c & 0xff == 6);
            sqlite_busy || code.starts_with("08") || code.starts_with("57P0")
        }
        _ => false,
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::internal(e)
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(e: sea_orm::TransactionError<AppError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}
