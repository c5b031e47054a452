//! The question bank API (trainers and admins; answer keys never reach learners).
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::domain::question::{Difficulty, ImportDefaults, ModuleCode, Status, TopicCode};
use crate::error::AppError;
use crate::routes::openapi::{Binary, ErrorBody};
use crate::routes::{ListOf, Paging, upload};
use crate::services::questions::{
    self as bank, ExportFormat, ImportFormat, Origin, QuestionImportReport, QuestionInput,
};
use crate::startup::AppState;
use crate::store::questions::{self as store, QuestionFilter, QuestionRecord, StoredOption};

#[derive(Serialize, utoipa::ToSchema)]
pub struct OptionView {
    pub id: Uuid,
    pub text: String,
    pub correct: bool,
    pub feedback: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QuestionView {
    pub id: Uuid,
    pub external_id: Option<String>,
    pub module: String,
    pub topic: Option<String>,
    pub difficulty: String,
    #[serde(rename = "type")]
    pub qtype: String,
    pub status: String,
    pub version: i32,
    /// The version exams draw (the latest approved one), if any.
    pub ready_version: Option<i32>,
    pub format: String,
    pub stem: String,
    pub options: Vec<OptionView>,
    pub general_feedback: String,
    pub tags: Vec<String>,
    pub created_by: Option<Uuid>,
    pub approved_by: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
}

impl From<QuestionRecord> for QuestionView {
    fn from(r: QuestionRecord) -> Self {
        let options = r
            .options()
            .into_iter()
            .map(|o: StoredOption| OptionView {
                id: o.id,
                text: o.text,
                correct: o.correct,
                feedback: o.feedback,
            })
            .collect();
        let tags = r.tags();
        let q = r.question;
        let v = r.version;
        QuestionView {
            id: q.id,
            external_id: q.external_id,
            module: q.module,
            topic: q.topic,
            difficulty: q.difficulty,
            qtype: q.qtype,
            status: q.status,
            version: q.current_version,
            ready_version: q.ready_version,
            format: v.format,
            stem: v.stem,
            options,
            general_feedback: v.general_feedback,
            tags,
            created_by: v.created_by,
            approved_by: v.approved_by,
            updated_at: q.updated_at,
        }
    }
}

fn bad(field: &str) -> AppError {
    AppError::bad_request(
        format!("Tham số “{field}” không hợp lệ."),
        format!("Invalid parameter “{field}”."),
    )
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// `IU01` … `IU15`.
    pub module: Option<String>,
    /// A topic code such as `IU04.5` (its sub-topics included).
    pub topic: Option<String>,
    pub difficulty: Option<String>,
    /// `draft`, `ready` or `retired`.
    pub status: Option<String>,
    /// Text in the stem or the id.
    pub q: Option<String>,
}

impl ListQuery {
    pub fn filter(&self) -> Result<QuestionFilter, AppError> {
        Ok(QuestionFilter {
            module: match &self.module {
                Some(m) if !m.is_empty() => Some(
                    ModuleCode::parse(m)
                        .ok_or_else(|| bad("module"))?
                        .as_str()
                        .to_string(),
                ),
                _ => None,
            },
            topic: match &self.topic {
                Some(t) if !t.is_empty() => Some(
                    TopicCode::parse(t)
                        .ok_or_else(|| bad("topic"))?
                        .as_str()
                        .to_string(),
                ),
                _ => None,
            },
            difficulty: match &self.difficulty {
                Some(d) if !d.is_empty() => {
                    Some(Difficulty::parse(d).ok_or_else(|| bad("difficulty"))?)
                }
                _ => None,
            },
            status: match &self.status {
                Some(s) if !s.is_empty() => Some(Status::parse(s).ok_or_else(|| bad("status"))?),
                _ => None,
            },
            search: self.q.clone(),
        })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QuestionListItem {
    #[serde(flatten)]
    pub question: QuestionView,
    /// Times drawn into an attempt.
    pub drawn: i64,
    /// Share answered correctly (0..1), once graded attempts exist.
    pub facility: Option<f64>,
    /// Point-biserial correlation with the rest of the paper (-1..1).
    pub discrimination: Option<f64>,
}

/// List questions with filters (staff).
#[utoipa::path(tag = "questions", security(("bearer" = [])), params(ListQuery, Paging), responses(
    (status = 200, body = ListOf<QuestionListItem>), (status = 403, body = ErrorBody)))]
#[get("/questions")]
pub async fn list(
    user: AuthUser,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
    paging: web::Query<Paging>,
) -> Result<web::Json<ListOf<QuestionListItem>>, AppError> {
    bank::require_author(&user.record)?;
    let filter = query.filter()?;
    let (records, total) =
        store::list(&state.db, &filter, paging.page(), paging.per_page()).await?;
    let ids: Vec<Uuid> = records.iter().map(|r| r.question.id).collect();
    let stats = crate::store::question_stats::for_questions(&state.db, &ids).await?;
    let items = records
        .into_iter()
        .map(|r| {
            let s = stats.get(&r.question.id).cloned().unwrap_or_default();
            QuestionListItem {
                question: QuestionView::from(r),
                drawn: s.drawn,
                facility: s.facility,
                discrimination: s.discrimination,
            }
        })
        .collect();
    Ok(web::Json(ListOf { items, total }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CountRow {
    pub module: String,
    pub topic: Option<String>,
    pub difficulty: String,
    pub count: i64,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct CountQuery {
    /// Count only questions with this status (e.g. `ready`, what exams draw).
    pub status: Option<String>,
}

/// Counts per module, topic and difficulty (staff).
#[utoipa::path(tag = "questions", security(("bearer" = [])), params(CountQuery), responses((status = 200, body = ListOf<CountRow>)))]
#[get("/questions/counts")]
pub async fn counts(
    user: AuthUser,
    state: web::Data<AppState>,
    query: web::Query<CountQuery>,
) -> Result<web::Json<serde_json::Value>, AppError> {
    bank::require_author(&user.record)?;
    let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(Status::parse(s).ok_or_else(|| bad("status"))?),
        None => None,
    };
    let rows: Vec<CountRow> = store::counts(&state.db, status)
        .await?
        .into_iter()
        .map(|(module, topic, difficulty, count)| CountRow {
            module,
            topic,
            difficulty,
            count,
        })
        .collect();
    let total = rows.len();
    Ok(web::Json(
        serde_json::json!({ "items": rows, "total": total }),
    ))
}

/// `format=` of a question import.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum ImportFormatName {
    Gift,
    MoodleXml,
    Aiken,
    Xlsx,
    Csv,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ImportParams {
    /// `gift`, `moodle-xml`, `aiken`, `xlsx` or `csv`.
    #[param(inline, value_type = ImportFormatName)]
    pub format: String,
    /// Check and report without writing.
    pub dry_run: Option<bool>,
    /// Used when the file does not say (Aiken files never do).
    pub module: Option<String>,
    pub topic: Option<String>,
    pub difficulty: Option<String>,
}

/// Import questions (trainer, admin): the file as the body or multipart.
/// Any error → 422 with the same report and nothing written. Imported
/// questions are drafts until approved.
#[utoipa::path(tag = "questions", security(("bearer" = [])), params(ImportParams),
    request_body(content = Binary, content_type = "application/octet-stream"),
    responses((status = 200, body = QuestionImportReport), (status = 422, body = QuestionImportReport), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
#[post("/questions/import")]
pub async fn import(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<ImportParams>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    bank::require_author(&user.record)?;
    let format = ImportFormat::parse(&params.format).ok_or_else(|| bad("format"))?;
    let defaults = ImportDefaults {
        module: match params.module.as_deref().filter(|s| !s.is_empty()) {
            Some(m) => Some(ModuleCode::parse(m).ok_or_else(|| bad("module"))?),
            None => None,
        },
        topic: match params.topic.as_deref().filter(|s| !s.is_empty()) {
            Some(t) => Some(TopicCode::parse(t).ok_or_else(|| bad("topic"))?),
            None => None,
        },
        difficulty: match params.difficulty.as_deref().filter(|s| !s.is_empty()) {
            Some(d) => Some(Difficulty::parse(d).ok_or_else(|| bad("difficulty"))?),
            None => None,
        },
    };
    crate::routes::limits::check_import(&req, &state)?;
    let file = upload::read(&req, payload, state.settings.server.max_body_bytes).await?;
    let report = bank::import(
        &state.db,
        format,
        &file.bytes,
        &defaults,
        params.dry_run.unwrap_or(false),
        Origin::User(user.id()),
    )
    .await?;
    Ok(import_response(report))
}

pub fn import_response(report: QuestionImportReport) -> HttpResponse {
    if report.errors.is_empty() {
        return HttpResponse::Ok().json(report);
    }
    let mut body = serde_json::to_value(&report).unwrap_or_default();
    if let serde_json::Value::Object(m) = &mut body {
        m.insert("error".into(), "invalid_questions".into());
        m.insert(
            "message".into(),
            crate::i18n::current()
                .pick(
                    "Tệp câu hỏi có lỗi; chưa có gì được ghi.",
                    "The question file has errors; nothing was written.",
                )
                .into(),
        );
    }
    HttpResponse::UnprocessableEntity().json(body)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ExportParams {
    /// `gift`, `moodle-xml` or `xlsx`.
    #[param(inline, value_type = ExportFormatName)]
    pub format: String,
    pub module: Option<String>,
    pub topic: Option<String>,
    pub status: Option<String>,
}

/// `format=` of a question export.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum ExportFormatName {
    Gift,
    MoodleXml,
    Xlsx,
}

/// Export the bank (staff): the current version of each question, retired ones left out.
#[utoipa::path(tag = "questions", security(("bearer" = [])), params(ExportParams), responses(
    (status = 200, description = "GIFT text, Moodle XML or an XLSX workbook", content(
        (Binary = "text/plain"), (Binary = "application/xml"),
        (Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    (status = 403, body = ErrorBody)))]
#[get("/questions/export")]
pub async fn export(
    user: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<ExportParams>,
) -> Result<HttpResponse, AppError> {
    bank::require_author(&user.record)?;
    let format = ExportFormat::parse(&params.format).ok_or_else(|| bad("format"))?;
    let filter = ListQuery {
        module: params.module.clone(),
        topic: params.topic.clone(),
        difficulty: None,
        status: params.status.clone(),
        q: None,
    }
    .filter()?;
    let bytes = bank::export(&state.db, format, &filter).await?;
    let name = format!(
        "ngan-hang-cau-hoi{}.{}",
        params
            .module
            .as_deref()
            .map(|m| format!("-{m}"))
            .unwrap_or_default(),
        format.extension()
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, format.content_type()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes))
}

/// One question in full, current version (staff).
#[utoipa::path(tag = "questions", security(("bearer" = [])), responses((status = 200, body = QuestionView), (status = 404, body = ErrorBody)))]
#[get("/questions/{id}")]
pub async fn get(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<QuestionView>, AppError> {
    bank::require_author(&user.record)?;
    let r = store::get(&state.db, *id)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(web::Json(QuestionView::from(r)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VersionView {
    pub version: i32,
    pub module: String,
    pub topic: Option<String>,
    pub difficulty: String,
    #[serde(rename = "type")]
    pub qtype: String,
    pub stem: String,
    pub options: Vec<OptionView>,
    pub general_feedback: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTime<Utc>>,
}

/// Every version of a question, newest first (staff).
#[utoipa::path(tag = "questions", security(("bearer" = [])), responses((status = 200, body = ListOf<VersionView>), (status = 404, body = ErrorBody)))]
#[get("/questions/{id}/versions")]
pub async fn versions(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<ListOf<VersionView>>, AppError> {
    bank::require_author(&user.record)?;
    let all_versions = store::versions(&state.db, *id).await?;
    if all_versions.is_empty() {
        return Err(AppError::not_found());
    }
    let items: Vec<VersionView> = all_versions
        .into_iter()
        .map(|v| VersionView {
            version: v.version,
            options: store::parse_options(&v.options)
                .into_iter()
                .map(|o| OptionView {
                    id: o.id,
                    text: o.text,
                    correct: o.correct,
                    feedback: o.feedback,
                })
                .collect(),
            module: v.module,
            topic: v.topic,
            difficulty: v.difficulty,
            qtype: v.qtype,
            stem: v.stem,
            general_feedback: v.general_feedback,
            created_by: v.created_by,
            created_at: v.created_at,
            approved_by: v.approved_by,
            approved_at: v.approved_at,
        })
        .collect();
    let total = items.len() as u64;
    Ok(web::Json(ListOf { items, total }))
}

/// Write a question (trainer, admin); it is a draft until approved.
#[utoipa::path(tag = "questions", security(("bearer" = [])), request_body = QuestionInput, responses(
    (status = 201, body = QuestionView), (status = 422, body = ErrorBody)))]
#[post("/questions")]
pub async fn create(
    user: AuthUser,
    state: web::Data<AppState>,
    body: web::Json<QuestionInput>,
) -> Result<HttpResponse, AppError> {
    let r = bank::create(&state.db, &user.record, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(QuestionView::from(r)))
}

/// Edit a question: saved as a new version, a draft until approved; the
/// last approved version stays what exams draw meanwhile.
#[utoipa::path(tag = "questions", security(("bearer" = [])), request_body = QuestionInput, responses(
    (status = 200, body = QuestionView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/questions/{id}")]
pub async fn update(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: web::Json<QuestionInput>,
) -> Result<web::Json<QuestionView>, AppError> {
    let r = bank::update(&state.db, &user.record, *id, body.into_inner()).await?;
    Ok(web::Json(QuestionView::from(r)))
}

/// Approve the current version: a trainer approves others' drafts, an admin any draft.
#[utoipa::path(tag = "questions", security(("bearer" = [])), responses(
    (status = 200, body = QuestionView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/questions/{id}/approve")]
pub async fn approve(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<QuestionView>, AppError> {
    let r = bank::approve(&state.db, &user.record, *id).await?;
    Ok(web::Json(QuestionView::from(r)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RetireInput {
    pub ids: Vec<Uuid>,
}

/// Retire questions in bulk (trainer, admin); papers already drawn keep them.
#[utoipa::path(tag = "questions", security(("bearer" = [])), request_body = RetireInput, responses(
    (status = 200, body = Object, description = "`{\"retired\"}`: how many were retired"), (status = 403, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
#[post("/questions/retire")]
pub async fn retire(
    user: AuthUser,
    state: web::Data<AppState>,
    body: web::Json<RetireInput>,
) -> Result<HttpResponse, AppError> {
    bank::require_author(&user.record)?;
    if body.ids.len() > 1000 {
        return Err(AppError::unprocessable(
            "too_many",
            "Tối đa 1.000 câu hỏi mỗi lần.",
            "At most 1,000 questions at a time.",
        ));
    }
    let n = bank::retire(&state.db, &user.record, &body.ids).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "retired": n })))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct MediaParams {
    /// The file name, e.g. `hinh-1.png`.
    pub name: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MediaView {
    /// Where the image is served; put it in Markdown as `![text](url)`.
    pub url: String,
    pub sha256: String,
}

/// Video types accepted for lessons, by their first bytes.
fn video_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.get(4..8) == Some(b"ftyp") {
        Some("video/mp4")
    } else if bytes.starts_with(&[0x1a, 0x45, 0xdf, 0xa3]) {
        Some("video/webm")
    } else {
        None
    }
}

/// The image types accepted for questions and lessons, by their first bytes.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() > 12 && bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some("image/webp")
    } else {
        None
    }
}

/// Upload an image (PNG, JPEG, GIF, WebP) or a lesson video (MP4, WebM) (trainer, admin).
/// Images may be 5 MB; videos up to `media.max_video_bytes` (default 200 MB).
#[utoipa::path(tag = "questions", security(("bearer" = [])), params(MediaParams),
    request_body(content = Binary, content_type = "application/octet-stream"),
    responses((status = 201, body = MediaView), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/media")]
pub async fn upload_media(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<MediaParams>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    bank::require_author(&user.record)?;
    let file = upload::read(&req, payload, state.settings.media.max_video_bytes).await?;
    let mime = match (image_type(&file.bytes), video_type(&file.bytes)) {
        (Some(m), _) if file.bytes.len() <= 5 * 1024 * 1024 => m,
        (Some(_), _) => return Err(upload::too_large(5 * 1024 * 1024)),
        (None, Some(m)) => m,
        (None, None) => {
            return Err(AppError::unprocessable(
                "not_an_image",
                "Tệp không phải ảnh (PNG, JPEG, GIF, WebP) hoặc video (MP4, WebM).",
                "The file is not an image (PNG, JPEG, GIF, WebP) or a video (MP4, WebM).",
            ));
        }
    };
    let name = params
        .name
        .clone()
        .or(file.filename.clone())
        .unwrap_or_else(|| "anh".into());
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(80)
        .collect();
    let sha = crate::store::blobs::put(&state.db, &file.bytes, mime).await?;
    Ok(HttpResponse::Created().json(MediaView {
        url: format!("/media/{sha}/{safe}"),
        sha256: sha,
    }))
}
