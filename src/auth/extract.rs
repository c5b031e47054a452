//! Who is calling: a bearer token (API clients) or the session cookie
//! (browsers). A handler's signature says who may call it.
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};

use crate::auth::csrf;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::startup::AppState;
use crate::store::users::{self, UserRecord};

pub const SESSION_COOKIE: &str = "ictskills_session";

/// An authenticated, active user.
#[derive(Clone, Debug)]
pub struct AuthUser {
    pub record: UserRecord,
    pub via_cookie: bool,
}

impl AuthUser {
    pub fn id(&self) -> uuid::Uuid {
        self.record.user.id
    }
    pub fn has(&self, role: Role) -> bool {
        self.record.has(role)
    }
    pub fn is_admin(&self) -> bool {
        self.has(Role::Admin)
    }
    /// 403 unless the user holds one of `roles`.
    pub fn require_any(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.iter().any(|r| self.has(*r)) {
            Ok(())
        } else {
            Err(AppError::forbidden())
        }
    }
}

#[derive(Clone)]
struct Resolved(Option<AuthUser>);

/// Finds the caller, once per request.
pub async fn authenticate(req: &HttpRequest) -> Result<Option<AuthUser>, AppError> {
    if let Some(r) = req.extensions().get::<Resolved>() {
        return Ok(r.0.clone());
    }
    let resolved = resolve(req).await?;
    req.extensions_mut().insert(Resolved(resolved.clone()));
    Ok(resolved)
}

async fn resolve(req: &HttpRequest) -> Result<Option<AuthUser>, AppError> {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Err(AppError::internal(anyhow::anyhow!("no application state")));
    };
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .map(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
                .unwrap_or("")
                .trim()
                .to_string()
        });
    let (token, via_cookie) = match bearer {
        Some(t) => (t, false),
        None => match req.cookie(SESSION_COOKIE) {
            Some(c) => (c.value().to_string(), true),
            None => return Ok(None),
        },
    };
    let Some(claims) = state.tokens.verify(&token) else {
        return Ok(None);
    };
    let Some(record) = users::find_by_id_cached(&state.db, claims.sub, claims.sv).await? else {
        return Ok(None);
    };
    if !record.user.is_active || record.user.session_version != claims.sv {
        return Ok(None);
    }
    Ok(Some(AuthUser { record, via_cookie }))
}

fn is_unsafe(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = authenticate(&req)
                .await?
                .ok_or_else(AppError::unauthorized)?;
            // A browser calling the API with its cookie must prove the call
            // came from our own page.
            if user.via_cookie && is_unsafe(req.method()) && req.path().starts_with("/api/") {
                csrf::verify_header(&req)?;
            }
            Ok(user)
        })
    }
}

/// The caller if logged in.
pub struct MaybeUser(pub Option<AuthUser>);

impl FromRequest for MaybeUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(MaybeUser(authenticate(&req).await?)) })
    }
}

/// A logged-in user on an HTML page; anyone else is sent to the login form.
pub struct PageUser(pub AuthUser);

impl FromRequest for PageUser {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match authenticate(&req).await {
                Ok(Some(u)) => Ok(PageUser(u)),
                Ok(None) => {
                    let next = req
                        .uri()
                        .path_and_query()
                        .map(|p| p.as_str().to_string())
                        .unwrap_or_else(|| "/".into());
                    let location = format!("/login?next={}", urlencode(&next));
                    let resp = HttpResponse::SeeOther()
                        .insert_header((header::LOCATION, location))
                        .finish();
                    Err(
                        actix_web::error::InternalError::from_response("login required", resp)
                            .into(),
                    )
                }
                Err(e) => Err(e.into()),
            }
        })
    }
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
