//! The OpenAPI document: paths are collected from the route table; this
//! adds the title, the bearer scheme and the error shape.
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi};

pub fn finish(mut api: OpenApi) -> OpenApi {
    api.info = InfoBuilder::new()
        .title("ictskills API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Basic ICT skills training, exams and certificates. Every error is \
             {\"error\":\"<code>\",\"message\":\"<text>\"}; authenticate with \
             `Authorization: Bearer <access_token>` from POST /api/v1/auth/token.",
        ))
        .build();
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        ),
    );
    api
}

/// The error body every failing call returns.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable snake_case code, e.g. `not_found`.
    pub error: String,
    /// A sentence in the caller's language.
    pub message: String,
}
