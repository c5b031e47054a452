//! HTTP: the JSON API under `/api/v1`, HTML pages, health, static files.
pub mod api;
pub mod headers;
pub mod health;
pub mod limits;
pub mod media;
pub mod openapi;
pub mod pages;
pub mod static_files;
pub mod upload;
pub mod wellknown;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, web};

use crate::error::AppError;
use crate::i18n::{self, Lang};
use crate::startup::AppState;

/// Routes outside the OpenAPI-described API.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::health)
        .service(static_files::serve)
        .service(media::serve)
        .service(wellknown::jwks)
        .service(wellknown::did)
        .configure(pages::configure);
}

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(2 * 1024 * 1024)
        .error_handler(|err, _req| {
            use actix_web::error::JsonPayloadError as J;
            if matches!(err, J::Overflow { .. } | J::OverflowKnownLength { .. }) {
                return AppError::new(
                    actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    "Dữ liệu gửi lên quá lớn (tối đa 2 MB).",
                    "The request body is too large (at most 2 MB).",
                )
                .into();
            }
            let detail = err.to_string();
            AppError::bad_request(
                format!("Dữ liệu JSON không hợp lệ: {detail}"),
                format!("Malformed JSON: {detail}"),
            )
            .into()
        })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        let detail = err.to_string();
        AppError::bad_request(
            format!("Tham số truy vấn không hợp lệ: {detail}"),
            format!("Invalid query parameters: {detail}"),
        )
        .into()
    })
}

pub fn path_config() -> web::PathConfig {
    // A malformed id names nothing that exists.
    web::PathConfig::default().error_handler(|_err, _req| AppError::not_found().into())
}

pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(256 * 1024)
        .error_handler(|err, _req| {
            use actix_web::error::UrlencodedError as U;
            if matches!(err, U::Overflow { .. }) {
                return AppError::new(
                    actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    "Biểu mẫu quá lớn.",
                    "The form is too large.",
                )
                .into();
            }
            let detail = err.to_string();
            AppError::bad_request(
                format!("Biểu mẫu không hợp lệ: {detail}"),
                format!("Invalid form: {detail}"),
            )
            .into()
        })
}

/// Middleware: serves each request in its language (`?lang=`, cookie,
/// `Accept-Language`, then the installation default).
pub async fn language(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let default = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.default_lang)
        .unwrap_or_default();
    let lang = i18n::negotiate(req.request(), default);
    req.extensions_mut().insert(lang);
    i18n::scope(lang, next.call(req)).await
}

/// The language chosen for this request.
pub fn lang_of(req: &HttpRequest) -> Lang {
    req.extensions().get::<Lang>().copied().unwrap_or_default()
}

pub async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::not_found())
}

/// `?page=` and `?per_page=` as the API conventions define them.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct Paging {
    /// 1-based page number.
    pub page: Option<u64>,
    /// Items per page, default 50, at most 500.
    pub per_page: Option<u64>,
}

/// Pages past this one are empty anyway; the cap keeps `(page - 1) * per_page`
/// far from overflowing (and within PostgreSQL's signed OFFSET).
const MAX_PAGE: u64 = 1_000_000_000;

impl Paging {
    pub fn page(&self) -> u64 {
        self.page.unwrap_or(1).clamp(1, MAX_PAGE)
    }
    pub fn per_page(&self) -> u64 {
        self.per_page.unwrap_or(50).clamp(1, 500)
    }
}

/// A list in the API's shape.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ListOf<T> {
    pub items: Vec<T>,
    pub total: u64,
}

/// A table as a CSV or XLSX download (`format` is `csv` or `xlsx`): the XLSX
/// starts with `header_block`; columns from `numeric_from` on hold numbers.
pub fn table_download(
    format: &str,
    file_stem: &str,
    sheet: &str,
    header_block: &[String],
    headers: &[String],
    rows: &[Vec<String>],
    numeric_from: usize,
) -> Result<actix_web::HttpResponse, AppError> {
    use crate::formats::table;
    use actix_web::http::header;
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let (bytes, ctype) = match format {
        "csv" => (
            table::write_csv(&headers, rows).map_err(AppError::internal)?,
            "text/csv; charset=utf-8",
        ),
        "xlsx" => (
            table::write_xlsx_report(sheet, header_block, &headers, rows, numeric_from)
                .map_err(AppError::internal)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        _ => {
            return Err(AppError::bad_request(
                "Định dạng phải là json, csv hoặc xlsx.",
                "The format must be json, csv or xlsx.",
            ));
        }
    };
    Ok(actix_web::HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, ctype))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_stem}.{format}\""),
        ))
        .body(bytes))
}
