//! Reports: the unit report (JSON, CSV, XLSX) and the people behind a number.
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::domain::report::Metric;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::routes::openapi::{Binary, ErrorBody, TableFormat};
use crate::routes::{ListOf, lang_of};
use crate::services::reports::{self, GroupBy, Params, PersonRow, Report};
use crate::startup::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReportQuery {
    /// The unit whose subtree is reported (default: the caller's unit for a
    /// unit manager, the whole installation for an admin).
    pub root: Option<Uuid>,
    /// Depth below `root`: 0 = the root itself, 1 = its children (default 1).
    pub level: Option<u32>,
    /// First day of the period (default: 1 January of `to`'s year).
    pub from: Option<String>,
    /// Last day of the period (default: today).
    pub to: Option<String>,
    /// `leadership` or `job_title`: adds a `group` per row.
    pub by: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    #[param(inline, value_type = Option<TableFormat>)]
    pub format: Option<String>,
    /// A column to sort by (`unit_name`, `assigned`, …, `certification_rate`).
    pub sort: Option<String>,
    /// `asc` (default) or `desc`.
    pub order: Option<String>,
}

fn date(s: &Option<String>, what: &str) -> Result<Option<NaiveDate>, AppError> {
    match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                AppError::bad_request(
                    format!("Ngày {what} không hợp lệ (cần dạng YYYY-MM-DD): {d}"),
                    format!("Invalid {what} date (expected YYYY-MM-DD): {d}"),
                )
            }),
    }
}

pub fn params(q: &ReportQuery) -> Result<Params, AppError> {
    let by = match q.by.as_deref().filter(|b| !b.is_empty()) {
        None => None,
        Some(b) => Some(GroupBy::parse(b).ok_or_else(|| {
            AppError::bad_request(
                "Tham số by phải là leadership hoặc job_title.",
                "`by` must be leadership or job_title.",
            )
        })?),
    };
    Ok(Params {
        root: q.root,
        level: q.level,
        from: date(&q.from, "from")?,
        to: date(&q.to, "to")?,
        by,
    })
}

/// The header block of an exported report.
pub fn header_block(r: &Report, lang: Lang, tz: chrono_tz::Tz) -> Vec<String> {
    let unit = r
        .root
        .as_ref()
        .map(|u| u.name.clone())
        .unwrap_or_else(|| lang.pick("Toàn bộ đơn vị", "All units").into());
    let d = |d: NaiveDate| d.format("%d/%m/%Y").to_string();
    let now = r.generated_at.with_timezone(&tz).format("%d/%m/%Y %H:%M");
    match lang {
        Lang::Vi => vec![
            "BÁO CÁO KẾT QUẢ BỒI DƯỠNG, CẤP CHỨNG CHỈ ỨNG DỤNG CNTT CƠ BẢN".into(),
            format!("Đơn vị: {unit}"),
            format!("Kỳ báo cáo: từ {} đến {}", d(r.from), d(r.to)),
            format!("Ngày lập: {now}"),
        ],
        Lang::En => vec![
            "BASIC ICT SKILLS TRAINING AND CERTIFICATION REPORT".into(),
            format!("Unit: {unit}"),
            format!("Period: {} to {}", d(r.from), d(r.to)),
            format!("Produced: {now}"),
        ],
    }
}

/// The unit report: per unit at `level` below `root`, rolled up from every
/// descendant, with totals (admins: any unit; unit managers: their subtree).
#[utoipa::path(tag = "reports", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, description = "JSON, or the table as a `format=csv|xlsx` download", content(
        (Report = "application/json"), (Binary = "text/csv"),
        (Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/reports/units")]
pub async fn units(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let p = params(&q)?;
    let lang = lang_of(&req);
    let tz = state.settings.time_zone();
    let mut r = reports::unit_report(&state.db, &user.record, &p, tz, lang).await?;
    if let Some(key) = q.sort.as_deref() {
        reports::sort_rows(&mut r.rows, key, q.order.as_deref() == Some("desc"));
    }
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(HttpResponse::Ok().json(r)),
        f => {
            let (headers, rows) = reports::table(&r, lang, p.by);
            let name = format!("bao-cao-don-vi-{}-{}", r.from, r.to);
            let numeric_from = if p.by.is_some() { 3 } else { 2 };
            crate::routes::table_download(
                f,
                &name,
                lang.pick("Báo cáo", "Report"),
                &header_block(&r, lang, tz),
                &headers,
                &rows,
                numeric_from,
            )
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PeopleQuery {
    /// The unit (its whole subtree); default as for the report's root.
    pub unit: Option<Uuid>,
    /// `assigned`, `not_participating`, `took_part`, `not_eligible`, `eligible`,
    /// `sat_exam`, `passed`, `certified` or `not_certified`.
    pub metric: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The people behind one number of the unit report, by name.
#[utoipa::path(tag = "reports", security(("bearer" = [])), params(PeopleQuery),
    responses((status = 200, body = ListOf<PersonRow>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/reports/units/people")]
pub async fn people(
    user: AuthUser,
    state: web::Data<AppState>,
    q: web::Query<PeopleQuery>,
) -> Result<HttpResponse, AppError> {
    let metric = Metric::parse(&q.metric)
        .ok_or_else(|| AppError::bad_request("Chỉ tiêu không hợp lệ.", "Unknown metric."))?;
    let p = Params {
        root: q.unit,
        level: Some(0),
        from: date(&q.from, "from")?,
        to: date(&q.to, "to")?,
        by: None,
    };
    let items = reports::people_behind(
        &state.db,
        &user.record,
        &p,
        metric,
        state.settings.time_zone(),
    )
    .await?;
    let total = items.len();
    Ok(HttpResponse::Ok().json(serde_json::json!({"items": items, "total": total})))
}
