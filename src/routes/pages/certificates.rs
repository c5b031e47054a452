//! Certificate pages: public verification and lookup, the holder's printable
//! certificate, and the register with revocation for admins.
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::auth::extract::{MaybeUser, PageUser};
use crate::auth::{AuthUser, csrf};
use crate::domain::certificate::RevocationReason;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::routes::pages::{redirect_with_flash, render, render_status};
use crate::routes::{lang_of, limits};
use crate::services::certificates::{self as certs, RegisterFilter};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(lookup)
        .service(verify)
        .service(register)
        .service(revoke)
        .service(show)
        .service(reinstate)
        .service(reissue);
}

fn client(req: &HttpRequest, state: &AppState) -> String {
    crate::auth::login::client_ip(req, state.settings.server.trust_forwarded_for)
}

fn qr_svg(url: &str) -> String {
    qrcode::QrCode::new(url.as_bytes())
        .map(|q| {
            q.render::<qrcode::render::svg::Color>()
                .min_dimensions(150, 150)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default()
}

fn reasons(lang: Lang) -> Vec<serde_json::Value> {
    RevocationReason::ALL
        .iter()
        .map(|r| {
            serde_json::json!({
                "code": r.as_str(),
                "label": match lang { Lang::Vi => r.label_vi(), Lang::En => r.label_en() },
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct LookupQuery {
    serial: Option<String>,
    full_name: Option<String>,
    date_of_birth: Option<String>,
}

/// The lookup form: serial number + full name + date of birth.
#[get("/verify")]
async fn lookup(
    req: HttpRequest,
    state: web::Data<AppState>,
    MaybeUser(user): MaybeUser,
    q: web::Query<LookupQuery>,
) -> Result<HttpResponse, AppError> {
    let mut ctx = tera::Context::new();
    let serial = q.serial.clone().unwrap_or_default();
    let name = q.full_name.clone().unwrap_or_default();
    let dob = q.date_of_birth.clone().unwrap_or_default();
    ctx.insert("serial", &serial);
    ctx.insert("full_name", &name);
    ctx.insert("date_of_birth", &dob);
    let asked = !(serial.trim().is_empty() && name.trim().is_empty() && dob.trim().is_empty());
    let mut status = StatusCode::OK;
    if asked {
        limits::check(&state.limits.lookups, &client(&req, &state))?;
        let date = NaiveDate::parse_from_str(dob.trim(), "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(dob.trim(), "%d/%m/%Y"));
        match date {
            Ok(d) if !serial.trim().is_empty() && !name.trim().is_empty() => {
                match certs::lookup_by_serial(&state.db, &serial, &name, d).await? {
                    Some(c) => {
                        return Ok(HttpResponse::SeeOther()
                            .insert_header(("Location", format!("/verify/{}", c.code)))
                            .finish());
                    }
                    None => {
                        status = StatusCode::NOT_FOUND;
                        ctx.insert("not_found", &true);
                    }
                }
            }
            _ => {
                status = StatusCode::BAD_REQUEST;
                ctx.insert("incomplete", &true);
            }
        }
    }
    render_status(
        &req,
        &state,
        user.as_ref(),
        "certificates/lookup.html",
        ctx,
        status,
    )
}

/// The public verification page a QR code leads to.
#[get("/verify/{code}")]
async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    MaybeUser(user): MaybeUser,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    limits::check(&state.limits.lookups, &client(&req, &state))?;
    let lang = lang_of(&req);
    let mut ctx = tera::Context::new();
    ctx.insert("code", code.as_str());
    match certs::find(&state.db, &code).await {
        Ok(c) => {
            ctx.insert("c", &certs::public_view(&state.issuer, &c, lang));
            render(&req, &state, user.as_ref(), "certificates/verify.html", ctx)
        }
        Err(e) if e.status() == StatusCode::NOT_FOUND || e.status() == StatusCode::BAD_REQUEST => {
            ctx.insert("error_message", e.message());
            let status = e.status();
            render_status(
                &req,
                &state,
                user.as_ref(),
                "certificates/verify.html",
                ctx,
                status,
            )
        }
        Err(e) => Err(e),
    }
}

/// The holder's printable certificate (the holder or an admin).
#[get("/certificates/{code}")]
async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let c = certs::find(&state.db, &code).await?;
    if !certs::may_view_private(&user.record, &c) {
        return Err(AppError::not_found());
    }
    let lang = lang_of(&req);
    let entry = certs::register_entry_of(&state.db, &state.issuer, &c, lang).await?;
    let print = certs::print_fields(&state.issuer, &entry);
    let mut ctx = tera::Context::new();
    ctx.insert("qr_svg", &qr_svg(&print.verify_url));
    ctx.insert("print", &serde_json::json!({
        "title": print.title, "header_left": print.header_left, "header_right": print.header_right,
        "fields": print.fields, "footer_left": print.footer_left, "place_date": print.place_date,
        "signer_title": print.signer_title, "signer_name": print.signer_name,
        "verify_url": print.verify_url, "note": print.note,
    }));
    ctx.insert("c", &entry);
    if user.has(Role::Admin) {
        ctx.insert("events", &certs::events(&state.db, c.id).await?);
        ctx.insert("reasons", &reasons(lang));
    }
    render(&req, &state, Some(&user), "certificates/show.html", ctx)
}

#[derive(Deserialize)]
struct RegisterQuery {
    year: Option<String>,
    status: Option<String>,
    q: Option<String>,
    page: Option<u64>,
}

fn require_admin(user: &AuthUser) -> Result<(), AppError> {
    user.require_any(&[Role::Admin])
}

/// The register (sổ gốc): browse, search, export, revoke in bulk.
#[get("/admin/certificates")]
async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    q: web::Query<RegisterQuery>,
) -> Result<HttpResponse, AppError> {
    require_admin(&user)?;
    let lang = lang_of(&req);
    let filter = RegisterFilter {
        year: q.year.as_deref().and_then(|y| y.trim().parse().ok()),
        status: q.status.clone().filter(|s| !s.is_empty()),
        q: q.q.clone(),
        session: None,
    };
    let page = q.page.unwrap_or(1).max(1);
    let (items, total) = certs::register(
        &state.db,
        &user.record,
        &state.issuer,
        &filter,
        page,
        50,
        lang,
    )
    .await?;
    let mut ctx = tera::Context::new();
    ctx.insert("items", &items);
    ctx.insert("total", &total);
    ctx.insert("page", &page);
    ctx.insert("pages", &total.div_ceil(50).max(1));
    ctx.insert("year", &filter.year);
    ctx.insert("status", &filter.status.clone().unwrap_or_default());
    ctx.insert("q", &filter.q.clone().unwrap_or_default());
    ctx.insert("reasons", &reasons(lang));
    let mut export = String::new();
    if let Some(y) = filter.year {
        export.push_str(&format!("&year={y}"));
    }
    if let Some(s) = &filter.status {
        export.push_str(&format!("&status={s}"));
    }
    ctx.insert("export_query", &export);
    render(&req, &state, Some(&user), "certificates/register.html", ctx)
}

#[derive(Deserialize)]
struct RevokeForm {
    #[serde(default)]
    csrf_token: String,
    lookups: String,
    reason: String,
    note: Option<String>,
}

#[post("/admin/certificates/revoke")]
async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    form: web::Form<RevokeForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &form.csrf_token)?;
    require_admin(&user)?;
    let lang = lang_of(&req);
    let lookups: Vec<String> = form
        .lookups
        .split(['\n', ',', ';'])
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let back = req
        .headers()
        .get("referer")
        .and_then(|r| r.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .map(|u| u.path().to_string())
        .filter(|p| p.starts_with("/admin/certificates") || p.starts_with("/certificates/"))
        .unwrap_or_else(|| "/admin/certificates".into());
    match certs::revoke(
        &state.db,
        &state.issuer,
        &user.record,
        lookups,
        Some(&form.reason),
        form.note.clone(),
    )
    .await
    {
        Ok(r) => {
            let text = match lang {
                Lang::Vi => format!(
                    "Đã thu hồi {} chứng chỉ; {} đã bị thu hồi trước đó; {} không tìm thấy{}.",
                    r.revoked.len(),
                    r.already.len(),
                    r.unknown.len(),
                    if r.unknown.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", r.unknown.join(", "))
                    }
                ),
                Lang::En => format!(
                    "Revoked {}; {} already revoked; {} not found{}.",
                    r.revoked.len(),
                    r.already.len(),
                    r.unknown.len(),
                    if r.unknown.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", r.unknown.join(", "))
                    }
                ),
            };
            let kind = if r.unknown.is_empty() {
                "success"
            } else {
                "error"
            };
            Ok(redirect_with_flash(&back, kind, &text))
        }
        Err(e) if e.status().is_client_error() => {
            Ok(redirect_with_flash(&back, "error", e.message()))
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct ReasonForm {
    #[serde(default)]
    csrf_token: String,
    reason: Option<String>,
    note: Option<String>,
}

#[post("/certificates/{code}/reinstate")]
async fn reinstate(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    code: web::Path<String>,
    form: web::Form<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &form.csrf_token)?;
    require_admin(&user)?;
    let back = format!("/certificates/{}", code.as_str());
    let done = certs::reinstate(
        &state.db,
        &user.record,
        &code,
        form.reason.as_deref().unwrap_or(""),
    )
    .await;
    flash_outcome(
        &back,
        done,
        lang_of(&req).pick("Đã khôi phục chứng chỉ.", "The certificate was reinstated."),
    )
}

/// Back to `back` with the success text, or with the refusal's message.
fn flash_outcome<T>(
    back: &str,
    done: Result<T, AppError>,
    ok: &str,
) -> Result<HttpResponse, AppError> {
    match done {
        Ok(_) => Ok(redirect_with_flash(back, "success", ok)),
        Err(e) if e.status().is_client_error() => {
            Ok(redirect_with_flash(back, "error", e.message()))
        }
        Err(e) => Err(e),
    }
}

#[post("/certificates/{code}/reissue")]
async fn reissue(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    code: web::Path<String>,
    form: web::Form<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &form.csrf_token)?;
    require_admin(&user)?;
    let back = format!("/certificates/{}", code.as_str());
    let done = certs::reissue(&state.db, &user.record, &code, form.note.clone()).await;
    flash_outcome(
        &back,
        done,
        lang_of(&req).pick(
            "Đã ghi nhận cấp lại chứng chỉ.",
            "The re-issue was recorded.",
        ),
    )
}
