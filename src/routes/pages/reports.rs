//! The unit report page: table, charts, drill-down to the people.
use actix_web::{HttpRequest, HttpResponse, get, web};
use uuid::Uuid;

use crate::auth::extract::PageUser;
use crate::domain::charts::{self, Funnel, Labels, RateBar};
use crate::domain::role::Role;
use crate::error::AppError;
use crate::routes::api::reports::{PeopleQuery, ReportQuery, params};
use crate::routes::lang_of;
use crate::routes::pages::render;
use crate::services::reports;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(units).service(people);
}

/// The unit and its ancestors, from the top, for breadcrumbs.
async fn trail(state: &AppState, unit: Option<Uuid>) -> Result<Vec<serde_json::Value>, AppError> {
    let mut out = Vec::new();
    let mut next = unit;
    let mut guard = 0;
    while let Some(id) = next {
        guard += 1;
        if guard > 30 {
            break;
        }
        let Some(u) = crate::store::units::get(&state.db, id).await? else {
            break;
        };
        out.push(serde_json::json!({"id": u.id, "name": u.name}));
        next = u.parent_id;
    }
    out.reverse();
    Ok(out)
}

#[get("/reports/units")]
async fn units(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let p = params(&q)?;
    let lang = lang_of(&req);
    let tz = state.settings.time_zone();
    let mut r = reports::unit_report(&state.db, &user.record, &p, tz, lang).await?;
    let sort = q.sort.clone().unwrap_or_default();
    let desc = q.order.as_deref() == Some("desc");
    if !sort.is_empty() {
        reports::sort_rows(&mut r.rows, &sort, desc);
    }
    let t = |k: &str| {
        state
            .catalogue
            .as_value(lang)
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or(k)
            .to_string()
    };
    let chart_rows = r.rows.iter().filter(|row| row.group.is_none()).take(400);
    let rate_svg = charts::rate_chart(
        &chart_rows
            .clone()
            .map(|row| RateBar {
                label: row.unit_name.clone(),
                rate: row.counts.certification_rate,
            })
            .collect::<Vec<_>>(),
        &t("report_rate_chart"),
        &t("report_no_data"),
    );
    let funnel_svg = charts::funnel_chart(
        &chart_rows
            .map(|row| Funnel {
                label: row.unit_name.clone(),
                assigned: row.counts.assigned,
                took_part: row.took_part,
                eligible: row.eligible,
                sat: row.counts.sat_exam,
                certified: row.counts.certified,
            })
            .collect::<Vec<_>>(),
        &Labels {
            title: t("report_funnel_chart"),
            stages: [
                t("report_assigned"),
                t("report_took_part"),
                t("report_eligible"),
                t("report_sat_exam"),
                t("report_certified"),
            ],
            no_data: t("report_no_data"),
        },
    );
    let pct =
        |x: Option<f64>| x.map(|x| format!("{:.1}%", x * 100.0).replace('.', lang.pick(",", ".")));
    let rows: Vec<serde_json::Value> = r
        .rows
        .iter()
        .map(|row| {
            let mut v = serde_json::to_value(row).unwrap_or_default();
            v["rate_text"] = pct(row.counts.certification_rate).into();
            v
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("report", &r);
    ctx.insert("rows", &rows);
    ctx.insert("total_rate", &pct(r.totals.certification_rate));
    ctx.insert("rate_svg", &rate_svg);
    ctx.insert("funnel_svg", &funnel_svg);
    ctx.insert(
        "trail",
        &trail(&state, r.root.as_ref().map(|u| u.id)).await?,
    );
    ctx.insert("by", &q.by.clone().unwrap_or_default());
    ctx.insert("sort", &sort);
    ctx.insert("desc", &desc);
    ctx.insert("is_admin", &user.has(Role::Admin));
    ctx.insert("own_unit", &user.record.user.unit_id);
    let mut query = format!("from={}&to={}", r.from, r.to);
    if let Some(root) = &r.root {
        query.push_str(&format!("&root={}", root.id));
    }
    query.push_str(&format!("&level={}", r.level));
    if let Some(b) = q.by.as_deref().filter(|b| !b.is_empty()) {
        query.push_str(&format!("&by={b}"));
    }
    ctx.insert("query", &query);
    ctx.insert(
        "leader_label",
        &[
            lang.pick("Lãnh đạo", "Leaders"),
            lang.pick("Không giữ chức vụ lãnh đạo", "Not leaders"),
            lang.pick("(không ghi)", "(none)"),
        ],
    );
    render(&req, &state, Some(&user), "reports/units.html", ctx)
}

#[get("/reports/units/people")]
async fn people(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    q: web::Query<PeopleQuery>,
) -> Result<HttpResponse, AppError> {
    let metric = crate::domain::report::Metric::parse(&q.metric)
        .ok_or_else(|| AppError::bad_request("Chỉ tiêu không hợp lệ.", "Unknown metric."))?;
    let date = |s: &Option<String>| {
        s.as_deref()
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    };
    let p = reports::Params {
        root: q.unit,
        level: Some(0),
        from: date(&q.from),
        to: date(&q.to),
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
    let lang = lang_of(&req);
    let mut ctx = tera::Context::new();
    ctx.insert("items", &items);
    ctx.insert("metric", &q.metric);
    ctx.insert("trail", &trail(&state, q.unit).await?);
    ctx.insert("from", &q.from.clone().unwrap_or_default());
    ctx.insert("to", &q.to.clone().unwrap_or_default());
    ctx.insert("yes", lang.pick("có", "yes"));
    render(&req, &state, Some(&user), "reports/people.html", ctx)
}
