//! The OpenAPI document: paths are collected from the route table; this
//! adds the title, the bearer scheme, the error shape and the error answers
//! that every route shares (those of the extractors and the bearer guard).
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, InfoBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};

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
    components
        .schemas
        .entry(ErrorBody::name().into_owned())
        .or_insert_with(ErrorBody::schema);
    for item in api.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in ops.into_iter().flatten() {
            add_shared_errors(op);
        }
    }
    api
}

/// The answers that do not depend on the handler: a malformed JSON body or
/// query string is 400 (`routes::json_config`, `routes::query_config`), a
/// bearer-protected route without a valid token is 401, a path id that
/// does not parse, or names nothing, is 404 (`routes::path_config`), a JSON
/// body over the limit is 413, and any request may meet 503 (the database
/// unavailable, or the request over its time limit: `routes::limits`).
fn add_shared_errors(op: &mut Operation) {
    let params = op.parameters.iter().flatten().filter_map(|p| match p {
        RefOr::T(p) => Some(&p.parameter_in),
        RefOr::Ref(_) => None,
    });
    let (mut in_path, mut in_query) = (false, false);
    for p in params {
        match p {
            ParameterIn::Path => in_path = true,
            ParameterIn::Query => in_query = true,
            _ => {}
        }
    }
    let json_body = op.request_body.as_ref().is_some_and(|b| match b {
        RefOr::T(b) => b.content.contains_key("application/json"),
        RefOr::Ref(_) => false,
    });
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    if json_body || in_query {
        add_error(op, "400", "Malformed JSON body or query parameters.");
    }
    if secured {
        add_error(
            op,
            "401",
            "Not logged in, or the token is invalid or expired.",
        );
    }
    if in_path {
        add_error(op, "404", "Not found.");
    }
    if json_body {
        add_error(op, "413", "The body is too large.");
    }
    add_error(
        op,
        "503",
        "The database is unavailable, or the request ran over its time limit; retry later.",
    );
}

fn add_error(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                            .build(),
                    )
                    .build(),
            )
        });
}

/// The error body every failing call returns.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable snake_case code, e.g. `not_found`.
    pub error: String,
    /// A sentence in the caller's language.
    pub message: String,
}

/// A file's bytes, as uploaded or downloaded (not JSON).
pub struct Binary;

impl PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for Binary {}

/// `format=` of a table that is JSON by default and a download on request.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum TableFormat {
    Json,
    Csv,
    Xlsx,
}
