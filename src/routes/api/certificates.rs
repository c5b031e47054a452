//! Certificates: public verification (JSON and the signed credential), the
//! holder's own certificates and PDF, the register, revocation, re-issue,
//! the status lists and the published keys.
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::routes::openapi::{Binary, ErrorBody, TableFormat};
use crate::routes::{ListOf, Paging, lang_of, limits};
use crate::services::certificates::{
    self as certs, CheckResult, EventView, PublicCertificate, RegisterEntry, RegisterFilter,
    RevokeReport,
};
use crate::startup::AppState;

fn client(req: &HttpRequest, state: &AppState) -> String {
    crate::auth::login::client_ip(req, state.settings.server.trust_forwarded_for)
}

/// Verify a certificate (public): by verification code or serial number.
/// 400 `malformed_code`, 404 `certificate_not_found`, 429 when looking up too fast.
#[utoipa::path(tag = "certificates", params(("code" = String, Path, description = "Verification code or serial number")),
    responses((status = 200, body = PublicCertificate), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[get("/certificates/{code}")]
pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<web::Json<PublicCertificate>, AppError> {
    limits::check(&state.limits.lookups, &client(&req, &state))?;
    let c = certs::find(&state.db, &code).await?;
    Ok(web::Json(certs::public_view(
        &state.issuer,
        &c,
        lang_of(&req),
    )))
}

/// The signed credential (public): an Open Badges 3.0 `OpenBadgeCredential`
/// as a compact VC-JWT (EdDSA), verifiable with `/.well-known/jwks.json`.
#[utoipa::path(tag = "certificates", params(("code" = String, Path)),
    responses((status = 200, content_type = "application/vc+jwt", body = String), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[get("/certificates/{code}/credential")]
pub async fn credential(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    limits::check(&state.limits.lookups, &client(&req, &state))?;
    let c = certs::find(&state.db, &code).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/vc+jwt"))
        .body(c.credential))
}

/// The credential's JSON (the decoded `vc` claim), as a download.
#[utoipa::path(tag = "certificates", params(("code" = String, Path)),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
#[get("/certificates/{code}/credential.json")]
pub async fn credential_json(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    limits::check(&state.limits.lookups, &client(&req, &state))?;
    let c = certs::find(&state.db, &code).await?;
    let claims = jwt_claims(&c.credential)?;
    let vc = claims.get("vc").cloned().unwrap_or(claims);
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}.credential.json\"", c.serial),
        ))
        .json(vc))
}

fn jwt_claims(jwt: &str) -> Result<serde_json::Value, AppError> {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("stored credential unreadable")))
}

/// The printable PDF (A4 landscape): the holder or an admin; 404 for anyone else.
#[utoipa::path(tag = "certificates", security(("bearer" = [])), params(("code" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = Binary), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/certificates/{code}/pdf")]
pub async fn pdf(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    pdf_response(&req, &state, &user, &code).await
}

pub async fn pdf_response(
    req: &HttpRequest,
    state: &AppState,
    user: &AuthUser,
    code: &str,
) -> Result<HttpResponse, AppError> {
    let c = certs::find(&state.db, code).await?;
    if !certs::may_view_private(&user.record, &c) {
        return Err(AppError::not_found());
    }
    let entry = certs::register_entry_of(&state.db, &state.issuer, &c, lang_of(req)).await?;
    let print = certs::print_fields(&state.issuer, &entry);
    let bytes = web::block(move || certs::render_pdf(&print))
        .await
        .map_err(AppError::internal)??;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/pdf"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{}.pdf\"", c.serial),
        ))
        .body(bytes))
}

/// The caller's own certificates.
#[utoipa::path(tag = "certificates", security(("bearer" = [])),
    responses((status = 200, body = ListOf<PublicCertificate>), (status = 401, body = ErrorBody)))]
#[get("/me/certificates")]
pub async fn mine(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let items = certs::mine(&state.db, &state.issuer, user.id(), lang_of(&req)).await?;
    let total = items.len();
    Ok(HttpResponse::Ok().json(serde_json::json!({"items": items, "total": total})))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RegisterQuery {
    /// Calendar year of the register.
    pub year: Option<i32>,
    /// `valid` or `revoked`.
    pub status: Option<String>,
    /// Name, serial or code.
    pub q: Option<String>,
    pub session: Option<Uuid>,
    /// `json` (default), `csv` or `xlsx`.
    #[param(inline, value_type = Option<TableFormat>)]
    pub format: Option<String>,
}

/// The register (sổ gốc), in register order (admin); `format=csv|xlsx` exports it whole.
#[utoipa::path(tag = "certificates", security(("bearer" = [])), params(RegisterQuery, Paging),
    responses((status = 200, description = "JSON, or the whole register as a `format=csv|xlsx` download", content(
        (ListOf<RegisterEntry> = "application/json"), (Binary = "text/csv"),
        (Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, body = ErrorBody)))]
#[get("/certificates")]
pub async fn register(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    q: web::Query<RegisterQuery>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    let filter = RegisterFilter {
        year: q.year,
        status: q.status.clone(),
        q: q.q.clone(),
        session: q.session,
    };
    let lang = lang_of(&req);
    match q.format.as_deref().unwrap_or("json") {
        "json" => {
            let (items, total) = certs::register(
                &state.db,
                &user.record,
                &state.issuer,
                &filter,
                paging.page(),
                paging.per_page(),
                lang,
            )
            .await?;
            Ok(HttpResponse::Ok().json(ListOf { items, total }))
        }
        f => {
            let (items, _) = certs::register(
                &state.db,
                &user.record,
                &state.issuer,
                &filter,
                1,
                u64::MAX / 2,
                lang,
            )
            .await?;
            let (headers, rows) = certs::register_table(&items, lang);
            let name = format!(
                "so-goc-{}",
                q.year.map(|y| y.to_string()).unwrap_or("all".into())
            );
            crate::routes::table_download(f, &name, "Sổ gốc", &[], &headers, &rows, usize::MAX)
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RevokeInput {
    /// Verification codes.
    #[serde(default)]
    pub codes: Vec<String>,
    /// Serial numbers.
    #[serde(default)]
    pub serials: Vec<String>,
    /// `fraud`, `ineligible`, `unauthorised_signer`, `altered`, `lent` or `issuer_error`.
    pub reason: Option<String>,
    pub note: Option<String>,
}

/// Revoke certificates, one or many at once (admin); 422 without a valid reason.
#[utoipa::path(tag = "certificates", security(("bearer" = [])), request_body = RevokeInput,
    responses((status = 200, body = RevokeReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/certificates/revoke")]
pub async fn revoke(
    user: AuthUser,
    state: web::Data<AppState>,
    body: web::Json<RevokeInput>,
) -> Result<web::Json<RevokeReport>, AppError> {
    let b = body.into_inner();
    let mut lookups = b.codes;
    lookups.extend(b.serials);
    Ok(web::Json(
        certs::revoke(
            &state.db,
            &state.issuer,
            &user.record,
            lookups,
            b.reason.as_deref(),
            b.note,
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReasonInput {
    pub reason: Option<String>,
}

/// Reinstate a revoked certificate (admin), with a reason that is recorded.
#[utoipa::path(tag = "certificates", security(("bearer" = [])), request_body = ReasonInput, params(("code" = String, Path)),
    responses((status = 200, body = RegisterEntry), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/certificates/{code}/reinstate")]
pub async fn reinstate(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    code: web::Path<String>,
    body: web::Json<ReasonInput>,
) -> Result<web::Json<RegisterEntry>, AppError> {
    let c = certs::reinstate(
        &state.db,
        &user.record,
        &code,
        body.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(web::Json(
        certs::register_entry_of(&state.db, &state.issuer, &c, lang_of(&req)).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NoteInput {
    pub note: Option<String>,
}

/// Re-issue a lost certificate (admin): same serial and register number, a new issue record.
#[utoipa::path(tag = "certificates", security(("bearer" = [])), request_body = NoteInput, params(("code" = String, Path)),
    responses((status = 200, body = RegisterEntry), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/certificates/{code}/reissue")]
pub async fn reissue(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    code: web::Path<String>,
    body: Option<web::Json<NoteInput>>,
) -> Result<web::Json<RegisterEntry>, AppError> {
    let note = body.and_then(|b| b.into_inner().note);
    let c = certs::reissue(&state.db, &user.record, &code, note).await?;
    Ok(web::Json(
        certs::register_entry_of(&state.db, &state.issuer, &c, lang_of(&req)).await?,
    ))
}

/// A certificate's history: issue, re-issues, revocations, reinstatements (admin).
#[utoipa::path(tag = "certificates", security(("bearer" = [])), params(("code" = String, Path)),
    responses((status = 200, body = ListOf<EventView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[get("/certificates/{code}/events")]
pub async fn events(
    user: AuthUser,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    let c = certs::find(&state.db, &code).await?;
    let items = certs::events(&state.db, c.id).await?;
    let total = items.len();
    Ok(HttpResponse::Ok().json(serde_json::json!({"items": items, "total": total})))
}

/// The Bitstring Status List credential (public, VC-JWT) that every
/// certificate's `credentialStatus` points into.
#[utoipa::path(tag = "certificates", params(("id" = i32, Path)),
    responses((status = 200, content_type = "application/vc+jwt", body = String), (status = 404, body = ErrorBody)))]
#[get("/status-lists/{id}")]
pub async fn status_list(
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let jwt = certs::status_list(&state.db, &state.issuer, *id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/vc+jwt"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .body(jwt))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CheckInput {
    /// A compact VC-JWT.
    pub credential: String,
}

/// Check a presented credential (public): our signature (EdDSA with a
/// published key, nothing else accepted) and its current status.
#[utoipa::path(tag = "certificates", request_body = CheckInput,
    responses((status = 200, body = CheckResult), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[post("/credentials/verify")]
pub async fn check(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<CheckInput>,
) -> Result<web::Json<CheckResult>, AppError> {
    limits::check(&state.limits.lookups, &client(&req, &state))?;
    Ok(web::Json(
        certs::check_credential(&state.db, &state.issuer, &body.credential, lang_of(&req)).await?,
    ))
}

/// Rotate the credential signing key (admin); the old key stays published.
#[utoipa::path(tag = "certificates", security(("bearer" = [])),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
#[post("/signing-keys/rotate")]
pub async fn rotate_key(
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    let k = certs::rotate_key(&state.db).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"kid": k.kid})))
}
