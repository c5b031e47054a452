//! Error pages: a failed page request gets an HTML page with the same
//! status (a 404 is a 404); API requests keep their JSON.
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::web;

use crate::auth::extract::authenticate;
use crate::error::ErrorInfo;
use crate::startup::AppState;

fn wants_json(req: &actix_web::HttpRequest) -> bool {
    let p = req.path();
    p.starts_with("/api/")
        || p == "/health"
        || p.starts_with("/static/")
        || p.starts_with("/.well-known/")
}

pub async fn html_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) || wants_json(res.request()) {
        return Ok(res);
    }
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        return Ok(res);
    }
    let message = res
        .response()
        .extensions()
        .get::<ErrorInfo>()
        .map(|e| e.message.clone());
    let (req, res) = res.into_parts();
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(ServiceResponse::new(req, res));
    };
    let user = authenticate(&req).await.ok().flatten();
    let mut ctx = tera::Context::new();
    ctx.insert("status", &status.as_u16());
    let key = match status {
        StatusCode::NOT_FOUND => "error_404",
        StatusCode::FORBIDDEN => "error_403",
        StatusCode::UNAUTHORIZED => "error_401",
        StatusCode::TOO_MANY_REQUESTS => "error_429",
        s if s.is_server_error() => "error_500",
        _ => "error_400",
    };
    ctx.insert("title_key", key);
    if let Some(m) = message {
        ctx.insert("message", &m);
    }
    match super::render_status(
        &req,
        &state,
        user.as_ref(),
        "errors/error.html",
        ctx,
        status,
    ) {
        Ok(page) => Ok(ServiceResponse::new(req, page)),
        Err(_) => Ok(ServiceResponse::new(req, res)),
    }
}
