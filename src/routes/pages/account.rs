//! Login, logout, the account page (password change), forgotten password,
//! set-password links (reset and invitation) and first-admin setup.
use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use crate::auth::csrf;
use crate::auth::extract::{MaybeUser, PageUser, SESSION_COOKIE};
use crate::auth::login::{self, Outcome};
use crate::error::AppError;
use crate::routes::pages::{redirect, redirect_with_flash, render, render_status, safe_next, tr};
use crate::services::accounts;
use crate::startup::AppState;
use crate::store::tokens::{self, Purpose};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(login_form)
        .service(login_submit)
        .service(logout)
        .service(account)
        .service(change_password)
        .service(forgot_form)
        .service(forgot_submit)
        .service(reset_form)
        .service(reset_submit)
        .service(setup_form)
        .service(setup_submit);
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

#[get("/login")]
async fn login_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<NextQuery>,
    MaybeUser(user): MaybeUser,
) -> Result<HttpResponse, AppError> {
    if user.is_some() {
        return Ok(redirect(&safe_next(q.next.as_deref())));
    }
    let mut ctx = tera::Context::new();
    ctx.insert("next", &safe_next(q.next.as_deref()));
    render(&req, &state, None, "auth/login.html", ctx)
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    csrf_token: String,
    next: Option<String>,
}

#[post("/login")]
async fn login_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &form.csrf_token)?;
    let next = safe_next(form.next.as_deref());
    let ip = login::client_ip(&req, state.settings.server.trust_forwarded_for);
    let (status, key) = match login::attempt(&state, &form.email, &form.password, &ip).await? {
        Outcome::Success(user) => {
            let token = state
                .tokens
                .issue(user.user.id, user.user.session_version)?;
            let cookie = Cookie::build(SESSION_COOKIE, token)
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(state.settings.secure_cookies())
                .max_age(Duration::seconds(state.tokens.ttl_seconds))
                .finish();
            let mut resp = redirect(&next);
            resp.add_cookie(&cookie).map_err(AppError::internal)?;
            return Ok(resp);
        }
        Outcome::Wrong => (StatusCode::UNAUTHORIZED, "login_failed"),
        Outcome::Locked(_) => (StatusCode::TOO_MANY_REQUESTS, "login_locked"),
    };
    let mut ctx = tera::Context::new();
    ctx.insert("next", &next);
    ctx.insert("email", &form.email);
    ctx.insert("error", tr(&req, &state, key));
    render_status(&req, &state, None, "auth/login.html", ctx, status)
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

#[post("/logout")]
async fn logout(req: HttpRequest, form: web::Form<CsrfOnly>) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &form.csrf_token)?;
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    gone.make_removal();
    let mut resp = redirect("/login");
    resp.add_cookie(&gone).map_err(AppError::internal)?;
    Ok(resp)
}

#[get("/account")]
async fn account(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
) -> Result<HttpResponse, AppError> {
    let mut ctx = tera::Context::new();
    let u = &user.record.user;
    ctx.insert(
        "profile",
        &crate::routes::api::users::UserView::from(user.record.clone()),
    );
    if let Some(unit_id) = u.unit_id
        && let Some(unit) = crate::store::units::get(&state.db, unit_id).await?
    {
        ctx.insert("unit_name", &unit.name);
    }
    render(&req, &state, Some(&user), "auth/account.html", ctx)
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf_token: String,
    current_password: String,
    new_password: String,
    confirm_password: String,
}

#[post("/account/password")]
async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &form.csrf_token)?;
    if form.new_password != form.confirm_password {
        return Ok(redirect_with_flash(
            "/account",
            "error",
            tr(&req, &state, "password_mismatch"),
        ));
    }
    match accounts::change_password(
        &state.db,
        &user.record,
        &form.current_password,
        &form.new_password,
    )
    .await
    {
        Ok(()) => {
            // The old session ended with the change; log in again.
            let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
            gone.make_removal();
            let mut resp =
                redirect_with_flash("/login", "success", tr(&req, &state, "password_changed"));
            resp.add_cookie(&gone).map_err(AppError::internal)?;
            Ok(resp)
        }
        Err(e) if e.status().is_client_error() => {
            Ok(redirect_with_flash("/account", "error", e.message()))
        }
        Err(e) => Err(e),
    }
}

#[get("/password/forgot")]
async fn forgot_form(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    render(&req, &state, None, "auth/forgot.html", tera::Context::new())
}

#[derive(Deserialize)]
struct ForgotForm {
    #[serde(default)]
    csrf_token: String,
    email: String,
}

#[post("/password/forgot")]
async fn forgot_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &form.csrf_token)?;
    crate::routes::limits::check_reset(&req, &state)?;
    accounts::request_password_reset_limited(&state, &form.email).await?;
    Ok(redirect_with_flash(
        "/login",
        "success",
        tr(&req, &state, "reset_sent"),
    ))
}

#[get("/password/reset/{token}")]
async fn reset_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let valid = tokens::peek(&state.db, &token, &[Purpose::Reset, Purpose::Invite]).await?;
    if valid.is_none() {
        return Err(accounts::bad_link());
    }
    let mut ctx = tera::Context::new();
    ctx.insert("token", token.as_str());
    render(&req, &state, None, "auth/reset.html", ctx)
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    csrf_token: String,
    new_password: String,
    confirm_password: String,
}

#[post("/password/reset/{token}")]
async fn reset_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &form.csrf_token)?;
    crate::routes::limits::check_reset(&req, &state)?;
    let here = format!("/password/reset/{}", token.as_str());
    if form.new_password != form.confirm_password {
        return Ok(redirect_with_flash(
            &here,
            "error",
            tr(&req, &state, "password_mismatch"),
        ));
    }
    match accounts::reset_password(&state.db, &token, &form.new_password).await {
        Ok(_) => Ok(redirect_with_flash(
            "/login",
            "success",
            tr(&req, &state, "password_set"),
        )),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            Ok(redirect_with_flash(&here, "error", e.message()))
        }
        Err(e) => Err(e),
    }
}

#[get("/setup/{token}")]
async fn setup_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    if tokens::peek(&state.db, &token, &[Purpose::Setup])
        .await?
        .is_none()
    {
        return Err(accounts::bad_link());
    }
    let mut ctx = tera::Context::new();
    ctx.insert("token", token.as_str());
    render(&req, &state, None, "auth/setup.html", ctx)
}

#[derive(Deserialize)]
struct SetupForm {
    #[serde(default)]
    csrf_token: String,
    email: String,
    full_name: String,
    new_password: String,
    confirm_password: String,
}

#[post("/setup/{token}")]
async fn setup_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &form.csrf_token)?;
    let here = format!("/setup/{}", token.as_str());
    if form.new_password != form.confirm_password {
        return Ok(redirect_with_flash(
            &here,
            "error",
            tr(&req, &state, "password_mismatch"),
        ));
    }
    match accounts::complete_setup(
        &state.db,
        &state.settings,
        &token,
        &form.email,
        &form.full_name,
        &form.new_password,
    )
    .await
    {
        Ok(_) => Ok(redirect_with_flash(
            "/login",
            "success",
            tr(&req, &state, "setup_done"),
        )),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            Ok(redirect_with_flash(&here, "error", e.message()))
        }
        Err(e) => Err(e),
    }
}
