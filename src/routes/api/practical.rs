//! The practical part: tasks, papers, attempts and uploads, marking, appeals.
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::AppError;
use crate::routes::openapi::{Binary, ErrorBody};
use crate::routes::upload;
use crate::routes::{ListOf, lang_of};
use crate::services::practical::{
    self, AppealInput, AppealView, Board, DecideInput, FileView, MarkGiven, MarkerInput,
    MarksInput, PaperInput, PaperView, PracticalAttemptView, QueueItem, SubmissionView, TaskInput,
    TaskView, Uploaded,
};
use crate::startup::AppState;

fn vi(req: &HttpRequest) -> bool {
    lang_of(req) == crate::i18n::Lang::Vi
}

fn file_response(name: &str, bytes: Vec<u8>, content_type: &str) -> HttpResponse {
    let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type.to_string()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(bytes)
}

/// Create a practical task (trainer, admin). The rubric's points sum to 10;
/// a criterion's `check` is an automatic check: `{"kind": …}` with kinds
/// `xlsx_formula {range, function, sheet?}`, `xlsx_chart {chart_type: bar|line|pie|area|scatter|doughnut, sheet?}`,
/// `xlsx_number_format {range, format, sheet?}`, `xlsx_column_width {column, min_width, sheet?}`,
/// `docx_heading {level, text?}`, `docx_landscape`, `docx_margins {top_mm?, bottom_mm?, left_mm?, right_mm?, tolerance_mm?}`,
/// `docx_table {min_rows, min_columns?}`, `docx_header_text {text}`, `docx_footer_text {text}`,
/// `pptx_slide_count {min?, max?}`, `pptx_layout {slide, layout: title|obj|twoObj|titleOnly|blank|secHead}`,
/// `pptx_picture {slide?}`, `pptx_transition {slide?}`.
#[utoipa::path(tag = "practical", security(("bearer" = [])), request_body = TaskInput, responses(
    (status = 201, body = TaskView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/practical-tasks")]
pub async fn create_task(
    user: AuthUser,
    state: web::Data<AppState>,
    body: web::Json<TaskInput>,
) -> Result<HttpResponse, AppError> {
    let t = practical::create_task(&state.db, &user.record, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(t))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct TaskQuery {
    pub module: Option<String>,
}

/// Practical tasks (staff), optionally of one module.
#[utoipa::path(tag = "practical", security(("bearer" = [])), params(TaskQuery), responses(
    (status = 200, body = ListOf<TaskView>), (status = 403, body = ErrorBody)))]
#[get("/practical-tasks")]
pub async fn tasks(
    user: AuthUser,
    state: web::Data<AppState>,
    query: web::Query<TaskQuery>,
) -> Result<HttpResponse, AppError> {
    let items = practical::tasks(&state.db, &user.record, query.module.as_deref()).await?;
    let total = items.len();
    Ok(HttpResponse::Ok().json(serde_json::json!({"items": items, "total": total})))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct NameQuery {
    /// The file name, e.g. `bang-luong.xlsx` (multipart uploads carry their own).
    pub name: Option<String>,
}

/// Add a starter file to a task (trainer, admin): raw body with `?name=`, or multipart.
#[utoipa::path(tag = "practical", security(("bearer" = [])), params(NameQuery),
    request_body(content = Binary, content_type = "application/octet-stream"),
    responses((status = 201, body = FileView), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/practical-tasks/{id}/files")]
pub async fn add_file(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: web::Query<NameQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    practical::check_task_author(&user.record)?;
    let file = upload::read(&req, payload, practical::MAX_UPLOAD_BYTES).await?;
    let name = query.name.clone().or(file.filename).unwrap_or_default();
    let f = practical::add_task_file(&state.db, &user.record, *id, &name, &file.bytes).await?;
    Ok(HttpResponse::Created().json(f))
}

/// Download a starter file (staff; candidates whose paper holds the task),
/// served with the type its extension names.
#[utoipa::path(tag = "practical", security(("bearer" = [])), responses(
    (status = 200, description = "The file", content(
        (Binary = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (Binary = "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        (Binary = "application/vnd.oasis.opendocument.text"),
        (Binary = "application/vnd.oasis.opendocument.spreadsheet"),
        (Binary = "application/vnd.oasis.opendocument.presentation"),
        (Binary = "application/pdf"), (Binary = "image/png"), (Binary = "image/jpeg"),
        (Binary = "text/plain"), (Binary = "text/csv"), (Binary = "application/octet-stream"))),
    (status = 404, body = ErrorBody)))]
#[get("/practical-tasks/{id}/files/{name}")]
pub async fn task_file(
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, name) = path.into_inner();
    if name.contains('\0') {
        // No file is named so, and PostgreSQL could not even compare it.
        return Err(AppError::not_found());
    }
    let (name, bytes, ct) = practical::task_file(&state.db, &user.record, id, &name).await?;
    Ok(file_response(&name, bytes, &ct))
}

/// Create a practical paper (trainer, admin): tasks drawn per module.
#[utoipa::path(tag = "practical", security(("bearer" = [])), request_body = PaperInput, responses(
    (status = 201, body = PaperView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/practical-papers")]
pub async fn create_paper(
    user: AuthUser,
    state: web::Data<AppState>,
    body: web::Json<PaperInput>,
) -> Result<HttpResponse, AppError> {
    let p = practical::create_paper(&state.db, &user.record, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(p))
}

/// Practical papers (staff).
#[utoipa::path(tag = "practical", security(("bearer" = [])), responses((status = 200, body = ListOf<PaperView>)))]
#[get("/practical-papers")]
pub async fn papers(user: AuthUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let items = practical::papers(&state.db, &user.record).await?;
    let total = items.len();
    Ok(HttpResponse::Ok().json(serde_json::json!({"items": items, "total": total})))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
pub struct StartInput {
    pub access_code: Option<String>,
}

/// Start (201) or resume (200) my practical attempt in a session.
#[utoipa::path(tag = "practical", security(("bearer" = [])), request_body(content = Option<StartInput>), responses(
    (status = 201, body = PracticalAttemptView), (status = 200, body = PracticalAttemptView),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/exam-sessions/{id}/practical-attempts")]
pub async fn start(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let input: StartInput = if body.iter().all(u8::is_ascii_whitespace) {
        StartInput::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            AppError::bad_request(
                format!("JSON không hợp lệ: {e}"),
                format!("Invalid JSON: {e}"),
            )
        })?
    };
    let (view, created) = practical::start(
        &state.db,
        state.settings.grace(),
        &user.record,
        *id,
        input.access_code.as_deref(),
    )
    .await?;
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// My practical attempt (admins: anyone's).
#[utoipa::path(tag = "practical", security(("bearer" = [])), responses(
    (status = 200, body = PracticalAttemptView), (status = 404, body = ErrorBody)))]
#[get("/practical-attempts/{id}")]
pub async fn get_attempt(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let v = practical::get(&state.db, state.settings.grace(), &user.record, *id).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Upload my file for one task (raw body with `?name=`, or multipart); every
/// upload is kept and the last one counts. 409 `deadline_passed`, 413, 422
/// for a file that is not what it claims or carries macros.
#[utoipa::path(tag = "practical", security(("bearer" = [])), params(NameQuery),
    request_body(content = Binary, content_type = "application/octet-stream"),
    responses((status = 201, body = Uploaded), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/practical-attempts/{id}/tasks/{position}/uploads")]
pub async fn upload_file(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, i32)>,
    query: web::Query<NameQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let (id, position) = path.into_inner();
    practical::check_upload(&state.db, &user.record, id).await?;
    let file = upload::read(&req, payload, practical::MAX_UPLOAD_BYTES).await?;
    let name = query.name.clone().or(file.filename).unwrap_or_default();
    let up = practical::upload(
        &state.db,
        state.settings.grace(),
        &user.record,
        id,
        position,
        &name,
        &file.bytes,
    )
    .await?;
    Ok(HttpResponse::Created().json(up))
}

/// Submit my practical attempt (the uploaded files count).
#[utoipa::path(tag = "practical", security(("bearer" = [])), responses(
    (status = 200, body = PracticalAttemptView), (status = 404, body = ErrorBody)))]
#[post("/practical-attempts/{id}/submit")]
pub async fn submit(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let v = practical::submit(&state.db, state.settings.grace(), &user.record, *id).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Assign a marker, or the head of the marking board, to a session (admin).
#[utoipa::path(tag = "practical", security(("bearer" = [])), request_body = MarkerInput, responses(
    (status = 201, body = Object, description = "`{\"session_id\"}`"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/exam-sessions/{id}/markers")]
pub async fn assign_marker(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: web::Json<MarkerInput>,
) -> Result<HttpResponse, AppError> {
    practical::assign_marker(&state.db, &user.record, *id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({"session_id": *id})))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct QueueQuery {
    pub session: Option<Uuid>,
}

/// Submissions I may mark now, under anonymous numbers (markers, admins).
#[utoipa::path(tag = "practical", security(("bearer" = [])), params(QueueQuery), responses(
    (status = 200, body = ListOf<QueueItem>), (status = 403, body = ErrorBody)))]
#[get("/marking/queue")]
pub async fn queue(
    user: AuthUser,
    state: web::Data<AppState>,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    let items = practical::queue(&state.db, &user.record, query.session).await?;
    let total = items.len();
    Ok(HttpResponse::Ok().json(serde_json::json!({"items": items, "total": total})))
}

/// One anonymous submission: files, rubric, automatic proposals, the marks I may see;
/// 409 `not_submitted` while the candidate is still working.
#[utoipa::path(tag = "practical", security(("bearer" = [])), responses(
    (status = 200, body = SubmissionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody)))]
#[get("/marking/submissions/{id}")]
pub async fn submission(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let v = practical::submission(&state.db, &user.record, *id, vi(&req)).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Download a submitted file (named by the anonymous number), served with
/// the type of the office file it is.
#[utoipa::path(tag = "practical", security(("bearer" = [])), responses(
    (status = 200, description = "The file", content(
        (Binary = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (Binary = "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        (Binary = "application/vnd.oasis.opendocument.text"),
        (Binary = "application/vnd.oasis.opendocument.spreadsheet"),
        (Binary = "application/vnd.oasis.opendocument.presentation"))),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/marking/submissions/{id}/files/{upload_id}")]
pub async fn submission_file(
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, AppError> {
    let (id, upload_id) = path.into_inner();
    let (name, bytes, ct) =
        practical::submission_file(&state.db, &user.record, id, upload_id).await?;
    Ok(file_response(&name, bytes, &ct))
}

/// Enter my mark (once per submission): every criterion, with a reason
/// where the points depart from an automatic proposal.
#[utoipa::path(tag = "practical", security(("bearer" = [])), request_body = MarksInput, responses(
    (status = 201, body = MarkGiven), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/marking/submissions/{id}/marks")]
pub async fn mark(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: web::Json<MarksInput>,
) -> Result<HttpResponse, AppError> {
    let m = practical::mark(
        &state.db,
        &state.issuer,
        &user.record,
        *id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Created().json(m))
}

/// The marking board of a session: disagreements, final marks, score sheet
/// (head of the board, admins; names for admins only).
#[utoipa::path(tag = "practical", security(("bearer" = [])), responses(
    (status = 200, body = Board), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/exam-sessions/{id}/marking-board")]
pub async fn board(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(practical::board(&state.db, &user.record, *id).await?))
}

/// The key to a session's anonymous numbers (admin only; markers get 403).
#[utoipa::path(tag = "practical", security(("bearer" = [])), responses(
    (status = 200, body = Object, description = "`{\"items\":[{\"anon_number\",\"user_id\",\"full_name\"}],\"total\"}`"),
    (status = 403, body = ErrorBody)))]
#[get("/exam-sessions/{id}/anonymous-numbers")]
pub async fn anonymous_key(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let rows = practical::anonymous_key(&state.db, &user.record, *id).await?;
    let items: Vec<_> = rows
        .into_iter()
        .map(|(n, uid, name)| serde_json::json!({"anon_number": n, "user_id": uid, "full_name": name}))
        .collect();
    let total = items.len();
    Ok(HttpResponse::Ok().json(serde_json::json!({"items": items, "total": total})))
}

/// Appeal (phúc khảo) one part of my result, within the window after the
/// results; `{id}` is my theory or practical attempt. 422 after the window.
#[utoipa::path(tag = "practical", security(("bearer" = [])), request_body = AppealInput, responses(
    (status = 201, body = AppealView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/attempts/{id}/appeals")]
pub async fn appeal(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: web::Json<AppealInput>,
) -> Result<HttpResponse, AppError> {
    let a = practical::request_appeal(&state.db, &user.record, *id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(a))
}

/// My appeals and their outcomes.
#[utoipa::path(tag = "practical", security(("bearer" = [])), responses((status = 200, body = ListOf<AppealView>)))]
#[get("/me/appeals")]
pub async fn my_appeals(
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let items = practical::my_appeals(&state.db, &user.record).await?;
    let total = items.len();
    Ok(HttpResponse::Ok().json(serde_json::json!({"items": items, "total": total})))
}

/// Pending appeals (admin).
#[utoipa::path(tag = "practical", security(("bearer" = [])), responses((status = 200, body = ListOf<AppealView>), (status = 403, body = ErrorBody)))]
#[get("/appeals")]
pub async fn pending_appeals(
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let items = practical::pending_appeals(&state.db, &user.record).await?;
    let total = items.len();
    Ok(HttpResponse::Ok().json(serde_json::json!({"items": items, "total": total})))
}

/// Decide an appeal on the multiple-choice part (admin): re-graded from the
/// stored answers, recorded with the note; the certificate follows.
#[utoipa::path(tag = "practical", security(("bearer" = [])), request_body = DecideInput, responses(
    (status = 200, body = AppealView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/appeals/{id}/decide")]
pub async fn decide_appeal(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: web::Json<DecideInput>,
) -> Result<HttpResponse, AppError> {
    let a = practical::decide_appeal(
        &state.db,
        &state.issuer,
        &user.record,
        *id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(a))
}
