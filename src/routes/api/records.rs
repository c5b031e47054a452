//! The permanent records of a session, for admins: JSON, CSV or XLSX.
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::AppError;
use crate::routes::lang_of;
use crate::routes::openapi::{Binary, ErrorBody, TableFormat};
use crate::services::records::{self, SessionRecord};
use crate::startup::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FormatQuery {
    /// `json` (default), `csv` or `xlsx`.
    #[param(inline, value_type = Option<TableFormat>)]
    pub format: Option<String>,
}

/// A session's permanent record (admin): candidate list and score sheet
/// with the approval decision and the certificates issued.
#[utoipa::path(tag = "exams", security(("bearer" = [])), params(FormatQuery),
    responses((status = 200, description = "JSON, or the table as a `format=csv|xlsx` download", content(
        (SessionRecord = "application/json"), (Binary = "text/csv"),
        (Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/exam-sessions/{id}/records")]
pub async fn session(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    q: web::Query<FormatQuery>,
) -> Result<HttpResponse, AppError> {
    let r = records::session_record(&state.db, &user.record, *id).await?;
    let lang = lang_of(&req);
    let tz = state.settings.time_zone();
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(HttpResponse::Ok().json(r)),
        f => {
            let (headers, rows) = records::table(&r, lang, tz);
            let d = |t: chrono::DateTime<chrono::Utc>| {
                t.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string()
            };
            let mut block = vec![
                lang.pick("BẢNG ĐIỂM KỲ THI", "EXAM SCORE SHEET")
                    .to_string(),
                format!("{}: {}", lang.pick("Ca thi", "Session"), r.session.title),
                format!(
                    "{}: {} – {}",
                    lang.pick("Thời gian", "Time"),
                    d(r.session.opens_at),
                    d(r.session.closes_at)
                ),
                format!("{}: {}", lang.pick("Đề thi", "Blueprint"), r.blueprint_name),
            ];
            if let Some(at) = r.session.approved_at {
                block.push(format!(
                    "{}: {} ({})",
                    lang.pick("Quyết định công nhận kết quả", "Results approved"),
                    d(at),
                    r.approved_by.clone().unwrap_or_default()
                ));
            }
            crate::routes::table_download(
                f,
                &format!("bang-diem-{}", *id),
                lang.pick("Bảng điểm", "Scores"),
                &block,
                &headers,
                &rows,
                usize::MAX,
            )
        }
    }
}
