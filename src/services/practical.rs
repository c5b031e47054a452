//! The practical part: tasks and their starter files, practical papers,
//! candidates' attempts and uploads, blind double marking, results and
//! appeals. Rules live in `domain::practical`; file checks in
//! `domain::office` and `domain::office_checks`.
use std::collections::{HashMap, HashSet};

use actix_web::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use rand::seq::SliceRandom;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::office::{self, OfficeKind};
use crate::domain::office_checks::{self, Outcome as CheckOutcome};
use crate::domain::practical::{
    self as rules, Criterion, CriterionMark, PaperSection, Round, Standing, StoredMark,
};
use crate::domain::question::TextFormat;
use crate::domain::role::Role;
use crate::entities::{
    appeal, attempt, exam_registration, exam_session, practical_attempt, practical_mark,
    practical_paper, practical_submission, practical_task, practical_task_file, practical_upload,
    session_marker, user,
};
use crate::error::AppError;
use crate::render;
use crate::store::blobs;
use crate::store::users::UserRecord;

pub const IN_PROGRESS: &str = "in_progress";
pub const SUBMITTED: &str = "submitted";
pub const MARKED: &str = "marked";

/// Largest file a candidate or trainer may upload.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

fn invalid(e: rules::Invalid) -> AppError {
    AppError::unprocessable("invalid", e.vi, e.en)
}

fn conflict(code: &'static str, vi: &str, en: &str) -> AppError {
    AppError::conflict(code, vi.to_string(), en.to_string())
}

fn forbidden(code: &'static str, vi: &str, en: &str) -> AppError {
    AppError::new(StatusCode::FORBIDDEN, code, vi, en)
}

// ---------------------------------------------------------------- tasks

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    pub module: String,
    pub title: String,
    /// Markdown.
    pub instructions: String,
    /// File types accepted back: `docx`, `xlsx`, `pptx`, `odt`, `ods`, `odp`.
    pub expected_types: Vec<String>,
    /// Criteria with points summing to 10; `check` is an automatic check.
    pub rubric: Vec<Criterion>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FileView {
    pub id: Uuid,
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub url: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TaskView {
    pub id: Uuid,
    pub module: String,
    pub title: String,
    pub instructions: String,
    pub expected_types: Vec<String>,
    pub rubric: Vec<Criterion>,
    pub starter_files: Vec<FileView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
}

fn task_rubric(t: &practical_task::Model) -> Vec<Criterion> {
    serde_json::from_str(&t.rubric).unwrap_or_default()
}

fn task_types(t: &practical_task::Model) -> Vec<String> {
    serde_json::from_str(&t.expected_types).unwrap_or_default()
}

fn file_url(task: Uuid, name: &str) -> String {
    format!(
        "/api/v1/practical-tasks/{task}/files/{}",
        url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
    )
}

async fn task_view(
    db: &impl ConnectionTrait,
    t: practical_task::Model,
) -> Result<TaskView, AppError> {
    let files = practical_task_file::Entity::find()
        .filter(practical_task_file::Column::TaskId.eq(t.id))
        .order_by_asc(practical_task_file::Column::Name)
        .all(db)
        .await?;
    Ok(TaskView {
        id: t.id,
        module: t.module.clone(),
        title: t.title.clone(),
        instructions: t.instructions.clone(),
        expected_types: task_types(&t),
        rubric: task_rubric(&t),
        starter_files: files
            .into_iter()
            .map(|f| FileView {
                url: file_url(t.id, &f.name),
                id: f.id,
                name: f.name,
                size: f.size,
                sha256: f.sha256,
            })
            .collect(),
        slug: t.slug,
    })
}

fn validate_task(input: &TaskInput) -> Result<Vec<OfficeKind>, AppError> {
    if !rules::PRACTICAL_MODULES.contains(&input.module.as_str()) {
        return Err(AppError::unprocessable(
            "invalid",
            format!(
                "Mô-đun {} không có bài thực hành (chỉ IU03, IU04, IU05).",
                input.module
            ),
            format!(
                "Module {} has no practical tasks (only IU03, IU04, IU05).",
                input.module
            ),
        ));
    }
    if input.title.trim().is_empty() || input.instructions.trim().is_empty() {
        return Err(AppError::unprocessable(
            "invalid",
            "Bài cần tên và đề bài.",
            "A task needs a title and instructions.",
        ));
    }
    let kinds = rules::parse_expected_types(&input.expected_types).map_err(invalid)?;
    rules::validate_rubric(&input.rubric, &kinds).map_err(invalid)?;
    Ok(kinds)
}

fn is_staff_author(user: &UserRecord) -> bool {
    user.has(Role::Trainer) || user.has(Role::Admin)
}

/// Creates a task (trainers and admins).
pub async fn create_task(
    db: &DatabaseConnection,
    actor: &UserRecord,
    input: TaskInput,
) -> Result<TaskView, AppError> {
    if !is_staff_author(actor) {
        return Err(AppError::forbidden());
    }
    let kinds = validate_task(&input)?;
    let now = Utc::now();
    let t = practical_task::ActiveModel {
        id: Set(Uuid::now_v7()),
        slug: Set(None),
        module: Set(input.module),
        title: Set(input.title.trim().to_string()),
        instructions: Set(input.instructions),
        expected_types: Set(json(
            &kinds.iter().map(|k| k.extension()).collect::<Vec<_>>(),
        )?),
        rubric: Set(json(&input.rubric)?),
        created_by: Set(Some(actor.user.id)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    task_view(db, t).await
}

fn json<T: Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(AppError::internal)
}

/// Tasks, optionally of one module (staff).
pub async fn tasks(
    db: &DatabaseConnection,
    actor: &UserRecord,
    module: Option<&str>,
) -> Result<Vec<TaskView>, AppError> {
    if !actor.roles.iter().any(|r| r.is_staff()) {
        return Err(AppError::forbidden());
    }
    let mut q = practical_task::Entity::find()
        .order_by_asc(practical_task::Column::Module)
        .order_by_asc(practical_task::Column::Title);
    if let Some(m) = module.filter(|m| !m.is_empty()) {
        q = q.filter(practical_task::Column::Module.eq(m));
    }
    let mut out = Vec::new();
    for t in q.all(db).await? {
        out.push(task_view(db, t).await?);
    }
    Ok(out)
}

/// Starter file names: a plain file name with a known extension.
fn check_starter_name(name: &str) -> Result<(), AppError> {
    let ok_chars = !name.is_empty()
        && name.len() <= 120
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' ' | '(' | ')'));
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let known = matches!(
        ext.as_deref(),
        Some(
            "docx"
                | "xlsx"
                | "pptx"
                | "odt"
                | "ods"
                | "odp"
                | "png"
                | "jpg"
                | "jpeg"
                | "txt"
                | "csv"
                | "pdf"
        )
    );
    if ok_chars && known {
        Ok(())
    } else {
        Err(AppError::unprocessable(
            "invalid_file_name",
            "Tên tệp không hợp lệ (chỉ chữ, số, - _ . và đuôi docx, xlsx, pptx, odt, ods, odp, png, jpg, txt, csv, pdf).",
            "Invalid file name (letters, digits, - _ . and a docx, xlsx, pptx, odt, ods, odp, png, jpg, txt, csv or pdf extension).",
        ))
    }
}

fn content_type_of(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if let Some(k) = OfficeKind::from_extension(&ext) {
        return k.mime();
    }
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "txt" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

fn too_large() -> AppError {
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        "Tệp quá lớn (tối đa 20 MB).",
        "The file is too large (at most 20 MB).",
    )
}

/// Adds (or replaces) a starter file of a task.
pub async fn add_task_file(
    db: &DatabaseConnection,
    actor: &UserRecord,
    task_id: Uuid,
    name: &str,
    bytes: &[u8],
) -> Result<FileView, AppError> {
    if !is_staff_author(actor) {
        return Err(AppError::forbidden());
    }
    let t = practical_task::Entity::find_by_id(task_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let name = name.trim();
    check_starter_name(name)?;
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(too_large());
    }
    if OfficeKind::from_file_name(name).is_some() {
        office::inspect(name, bytes, &office::Limits::default())
            .map_err(|r| AppError::unprocessable(r.code(), r.message(true), r.message(false)))?;
    }
    let txn = db.begin().await?;
    let f = store_task_file(&txn, t.id, name, bytes).await?;
    txn.commit().await?;
    Ok(f)
}

async fn store_task_file(
    db: &impl ConnectionTrait,
    task: Uuid,
    name: &str,
    bytes: &[u8],
) -> Result<FileView, AppError> {
    let sha = blobs::put(db, bytes, content_type_of(name)).await?;
    practical_task_file::Entity::delete_many()
        .filter(practical_task_file::Column::TaskId.eq(task))
        .filter(practical_task_file::Column::Name.eq(name))
        .exec(db)
        .await?;
    let f = practical_task_file::ActiveModel {
        id: Set(Uuid::now_v7()),
        task_id: Set(task),
        name: Set(name.to_string()),
        sha256: Set(sha),
        size: Set(bytes.len() as i64),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(FileView {
        url: file_url(task, &f.name),
        id: f.id,
        name: f.name,
        size: f.size,
        sha256: f.sha256,
    })
}

/// A starter file for download: staff, and candidates whose practical
/// attempt holds the task.
pub async fn task_file(
    db: &DatabaseConnection,
    actor: &UserRecord,
    task_id: Uuid,
    name: &str,
) -> Result<(String, Vec<u8>, String), AppError> {
    if !actor.roles.iter().any(|r| r.is_staff()) {
        let mine: Vec<Uuid> = practical_attempt::Entity::find()
            .filter(practical_attempt::Column::UserId.eq(actor.user.id))
            .all(db)
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect();
        let holds = !mine.is_empty()
            && practical_submission::Entity::find()
                .filter(practical_submission::Column::AttemptId.is_in(mine))
                .filter(practical_submission::Column::TaskId.eq(task_id))
                .one(db)
                .await?
                .is_some();
        if !holds {
            return Err(AppError::not_found());
        }
    }
    let f = practical_task_file::Entity::find()
        .filter(practical_task_file::Column::TaskId.eq(task_id))
        .filter(practical_task_file::Column::Name.eq(name))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let b = blobs::get(db, &f.sha256)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok((f.name, b.data, b.content_type))
}

// ------------------------------------------------------- shipped tasks

#[derive(rust_embed::RustEmbed)]
#[folder = "question-bank/practical/"]
struct Shipped;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskToml {
    module: String,
    title: String,
    expected_types: Vec<String>,
    #[serde(default)]
    starter_files: Vec<String>,
    rubric: Vec<Criterion>,
}

/// A shipped task read from its folder, checked like a web task.
pub struct ShippedTask {
    pub slug: String,
    pub input: TaskInput,
    pub files: Vec<(String, Vec<u8>)>,
}

/// Reads every shipped task (`question-bank/practical/<slug>/`); errors name
/// the file.
pub fn shipped_tasks() -> Result<Vec<ShippedTask>, String> {
    let mut slugs: Vec<String> = Shipped::iter()
        .filter_map(|p| {
            let (slug, rest) = p.split_once('/')?;
            (rest == "task.toml").then(|| slug.to_string())
        })
        .collect();
    slugs.sort();
    let mut out = Vec::new();
    for slug in slugs {
        let read = |rel: &str| -> Result<Vec<u8>, String> {
            Shipped::get(&format!("{slug}/{rel}"))
                .map(|f| f.data.into_owned())
                .ok_or_else(|| format!("question-bank/practical/{slug}/{rel}: missing"))
        };
        let toml_text = String::from_utf8(read("task.toml")?)
            .map_err(|_| format!("question-bank/practical/{slug}/task.toml: not UTF-8"))?;
        let t: TaskToml = toml::from_str(&toml_text)
            .map_err(|e| format!("question-bank/practical/{slug}/task.toml: {e}"))?;
        let instructions = String::from_utf8(read("instructions.md")?)
            .map_err(|_| format!("question-bank/practical/{slug}/instructions.md: not UTF-8"))?;
        let mut files = Vec::new();
        for name in &t.starter_files {
            files.push((name.clone(), read(&format!("files/{name}"))?));
        }
        let input = TaskInput {
            module: t.module,
            title: t.title,
            instructions,
            expected_types: t.expected_types,
            rubric: t.rubric,
        };
        validate_task(&input).map_err(|e| {
            format!(
                "question-bank/practical/{slug}/task.toml: {}",
                e.message_en()
            )
        })?;
        out.push(ShippedTask { slug, input, files });
    }
    Ok(out)
}

/// The shipped practical paper: one task each of IU03, IU04 and IU05.
pub const DEFAULT_PAPER: &str = "Basic practical exam";

/// Creates the shipped practical paper when it is missing.
pub async fn ensure_default_paper(db: &DatabaseConnection) -> anyhow::Result<()> {
    if practical_paper::Entity::find()
        .filter(practical_paper::Column::Name.eq(DEFAULT_PAPER))
        .one(db)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let sections: Vec<PaperSection> = rules::PRACTICAL_MODULES
        .iter()
        .map(|m| PaperSection {
            module: (*m).to_string(),
            count: 1,
        })
        .collect();
    practical_paper::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(DEFAULT_PAPER.into()),
        time_limit_seconds: Set(60 * 60),
        pass_score: Set(5.0),
        sections: Set(serde_json::to_string(&sections)?),
        created_by: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Loads the shipped tasks that are not there yet (by folder name).
pub async fn load_shipped(db: &DatabaseConnection) -> anyhow::Result<usize> {
    let tasks = shipped_tasks().map_err(|e| anyhow::anyhow!(e))?;
    let have: HashSet<String> = practical_task::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|t| t.slug)
        .collect();
    let mut n = 0;
    let txn = db.begin().await?;
    for t in tasks {
        if have.contains(&t.slug) {
            continue;
        }
        let kinds = rules::parse_expected_types(&t.input.expected_types)
            .map_err(|e| anyhow::anyhow!(e.en))?;
        let now = Utc::now();
        let id = Uuid::now_v7();
        practical_task::ActiveModel {
            id: Set(id),
            slug: Set(Some(t.slug.clone())),
            module: Set(t.input.module.clone()),
            title: Set(t.input.title.clone()),
            instructions: Set(t.input.instructions.clone()),
            expected_types: Set(serde_json::to_string(
                &kinds.iter().map(|k| k.extension()).collect::<Vec<_>>(),
            )?),
            rubric: Set(serde_json::to_string(&t.input.rubric)?),
            created_by: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        for (name, bytes) in &t.files {
            store_task_file(&txn, id, name, bytes)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {}", t.slug, e.message_en()))?;
        }
        n += 1;
    }
    txn.commit().await?;
    Ok(n)
}

// --------------------------------------------------------------- papers

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaperInput {
    pub name: String,
    pub time_limit_seconds: i32,
    #[serde(default = "default_pass")]
    pub pass_score: f64,
    pub sections: Vec<PaperSection>,
}

fn default_pass() -> f64 {
    5.0
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PaperView {
    pub id: Uuid,
    pub name: String,
    pub time_limit_seconds: i32,
    pub pass_score: f64,
    pub sections: Vec<PaperSection>,
}

fn paper_view(p: &practical_paper::Model) -> PaperView {
    PaperView {
        id: p.id,
        name: p.name.clone(),
        time_limit_seconds: p.time_limit_seconds,
        pass_score: p.pass_score,
        sections: serde_json::from_str(&p.sections).unwrap_or_default(),
    }
}

/// Creates a practical paper (admins and trainers); the tasks must be able
/// to feed it.
pub async fn create_paper(
    db: &DatabaseConnection,
    actor: &UserRecord,
    input: PaperInput,
) -> Result<PaperView, AppError> {
    if !is_staff_author(actor) {
        return Err(AppError::forbidden());
    }
    if input.name.trim().is_empty() {
        return Err(AppError::unprocessable(
            "invalid",
            "Đề cần có tên.",
            "The paper needs a name.",
        ));
    }
    if !(60..=4 * 3600).contains(&input.time_limit_seconds) {
        return Err(AppError::unprocessable(
            "invalid",
            "Thời gian làm bài từ 1 phút đến 4 giờ.",
            "The time limit is between 1 minute and 4 hours.",
        ));
    }
    if !(0.0..=10.0).contains(&input.pass_score) {
        return Err(AppError::unprocessable(
            "invalid",
            "Điểm đạt từ 0 đến 10.",
            "The pass score is between 0 and 10.",
        ));
    }
    rules::validate_sections(&input.sections).map_err(invalid)?;
    for s in &input.sections {
        let have = practical_task::Entity::find()
            .filter(practical_task::Column::Module.eq(s.module.as_str()))
            .all(db)
            .await?
            .len();
        if have < s.count as usize {
            return Err(AppError::unprocessable(
                "bank_too_small",
                format!(
                    "Mô-đun {} chỉ có {have} bài thực hành, cần {}.",
                    s.module, s.count
                ),
                format!(
                    "Module {} has {have} practical tasks; {} are needed.",
                    s.module, s.count
                ),
            ));
        }
    }
    let p = practical_paper::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(input.name.trim().to_string()),
        time_limit_seconds: Set(input.time_limit_seconds),
        pass_score: Set(input.pass_score),
        sections: Set(json(&input.sections)?),
        created_by: Set(Some(actor.user.id)),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .map_err(|e| match AppError::from(e) {
        e if e.status() == StatusCode::CONFLICT => AppError::conflict(
            "name_taken",
            "Đã có đề thực hành trùng tên.".to_string(),
            "A practical paper with this name exists.".to_string(),
        ),
        e => e,
    })?;
    Ok(paper_view(&p))
}

pub async fn papers(
    db: &DatabaseConnection,
    actor: &UserRecord,
) -> Result<Vec<PaperView>, AppError> {
    if !actor.roles.iter().any(|r| r.is_staff()) {
        return Err(AppError::forbidden());
    }
    Ok(practical_paper::Entity::find()
        .order_by_asc(practical_paper::Column::Name)
        .all(db)
        .await?
        .iter()
        .map(paper_view)
        .collect())
}

/// Checks that a session may name this paper.
pub async fn paper_exists(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, AppError> {
    Ok(practical_paper::Entity::find_by_id(id)
        .one(db)
        .await?
        .is_some())
}

// ------------------------------------------------------------ attempts

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StarterLink {
    pub name: String,
    pub url: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PracticalTaskView {
    pub position: i32,
    pub module: String,
    pub title: String,
    pub instructions_html: String,
    pub expected_types: Vec<String>,
    pub starter_files: Vec<StarterLink>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UploadView {
    pub id: Uuid,
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PracticalAttemptView {
    pub id: Uuid,
    pub session_id: Uuid,
    pub state: String,
    pub deadline: DateTime<Utc>,
    pub server_now: DateTime<Utc>,
    pub tasks: Vec<PracticalTaskView>,
    /// Uploads per task position, oldest first; the last one counts.
    pub uploads: HashMap<String, Vec<UploadView>>,
    /// Out of 10, once marked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Uploaded {
    pub id: Uuid,
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
    pub server_now: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
}

async fn attempt_view(
    db: &impl ConnectionTrait,
    a: &practical_attempt::Model,
) -> Result<PracticalAttemptView, AppError> {
    let subs = practical_submission::Entity::find()
        .filter(practical_submission::Column::AttemptId.eq(a.id))
        .order_by_asc(practical_submission::Column::Position)
        .all(db)
        .await?;
    let mut tasks = Vec::new();
    let mut uploads = HashMap::new();
    for s in &subs {
        let Some(t) = practical_task::Entity::find_by_id(s.task_id)
            .one(db)
            .await?
        else {
            continue;
        };
        let view = task_view(db, t).await?;
        tasks.push(PracticalTaskView {
            position: s.position,
            module: view.module,
            title: view.title,
            instructions_html: render::to_html(&view.instructions, TextFormat::Markdown),
            expected_types: view.expected_types,
            starter_files: view
                .starter_files
                .into_iter()
                .map(|f| StarterLink {
                    name: f.name,
                    url: f.url,
                })
                .collect(),
        });
        let ups: Vec<UploadView> = practical_upload::Entity::find()
            .filter(practical_upload::Column::SubmissionId.eq(s.id))
            .order_by_asc(practical_upload::Column::UploadedAt)
            .all(db)
            .await?
            .into_iter()
            .map(|u| UploadView {
                id: u.id,
                name: u.name,
                size: u.size,
                sha256: u.sha256,
                uploaded_at: u.uploaded_at,
            })
            .collect();
        if !ups.is_empty() {
            uploads.insert(s.position.to_string(), ups);
        }
    }
    Ok(PracticalAttemptView {
        id: a.id,
        session_id: a.session_id,
        state: a.state.clone(),
        deadline: a.deadline,
        server_now: Utc::now(),
        tasks,
        uploads,
        score: a.score,
        passed: a.passed,
    })
}

/// Ends an attempt whose time (plus grace) is over: it counts as submitted
/// at its deadline. Conditional, so two finishers never both win.
async fn close_if_due(
    db: &impl ConnectionTrait,
    a: practical_attempt::Model,
    grace: Duration,
) -> Result<practical_attempt::Model, AppError> {
    if a.state == IN_PROGRESS && Utc::now() > a.deadline + grace {
        practical_attempt::Entity::update_many()
            .col_expr(practical_attempt::Column::State, Expr::value(SUBMITTED))
            .col_expr(
                practical_attempt::Column::SubmittedAt,
                Expr::value(a.deadline),
            )
            .filter(practical_attempt::Column::Id.eq(a.id))
            .filter(practical_attempt::Column::State.eq(IN_PROGRESS))
            .exec(db)
            .await?;
        return practical_attempt::Entity::find_by_id(a.id)
            .one(db)
            .await?
            .ok_or_else(AppError::not_found);
    }
    Ok(a)
}

/// Closes every practical attempt whose time is over (the sweeper).
pub async fn sweep(db: &DatabaseConnection, grace: Duration) -> Result<u64, AppError> {
    // Read first: on SQLite an UPDATE takes the write lock even when it
    // changes nothing.
    let due = practical_attempt::Entity::find()
        .filter(practical_attempt::Column::State.eq(IN_PROGRESS))
        .filter(practical_attempt::Column::Deadline.lt(Utc::now() - grace))
        .one(db)
        .await?;
    if due.is_none() {
        return Ok(0);
    }
    let res = practical_attempt::Entity::update_many()
        .col_expr(practical_attempt::Column::State, Expr::value(SUBMITTED))
        .col_expr(
            practical_attempt::Column::SubmittedAt,
            Expr::col(practical_attempt::Column::Deadline),
        )
        .filter(practical_attempt::Column::State.eq(IN_PROGRESS))
        .filter(practical_attempt::Column::Deadline.lt(Utc::now() - grace))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

fn no_practical() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "no_practical_part",
        "Ca thi này không có phần thực hành.",
        "This session has no practical part.",
    )
}

/// Starts (or returns) the caller's practical attempt in a session.
pub async fn start(
    db: &DatabaseConnection,
    grace: Duration,
    user: &UserRecord,
    session_id: Uuid,
    access_code: Option<&str>,
) -> Result<(PracticalAttemptView, bool), AppError> {
    let s = exam_session::Entity::find_by_id(session_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let paper_id = s.practical_paper_id.ok_or_else(no_practical)?;
    let reg = exam_registration::Entity::find_by_id((s.id, user.user.id))
        .one(db)
        .await?
        .ok_or_else(|| {
            forbidden(
                "not_registered",
                "Bạn chưa được đăng ký dự thi ca này.",
                "You are not registered for this session.",
            )
        })?;
    if let Some(a) = practical_attempt::Entity::find()
        .filter(practical_attempt::Column::SessionId.eq(s.id))
        .filter(practical_attempt::Column::UserId.eq(user.user.id))
        .one(db)
        .await?
    {
        let a = close_if_due(db, a, grace).await?;
        return Ok((attempt_view(db, &a).await?, false));
    }
    let now = Utc::now();
    crate::services::exams::check_open(&s, now, access_code)?;
    let paper = practical_paper::Entity::find_by_id(paper_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let sections: Vec<PaperSection> = serde_json::from_str(&paper.sections).unwrap_or_default();
    let mut drawn: Vec<practical_task::Model> = Vec::new();
    {
        let mut rng = rand::rng();
        for sec in &sections {
            let mut pool = practical_task::Entity::find()
                .filter(practical_task::Column::Module.eq(sec.module.as_str()))
                .all(db)
                .await?;
            if pool.len() < sec.count as usize {
                return Err(conflict(
                    "bank_too_small",
                    "Không đủ bài thực hành để tạo đề.",
                    "Not enough practical tasks to draw a paper.",
                ));
            }
            pool.sort_by_key(|t| t.id);
            pool.shuffle(&mut rng);
            drawn.extend(pool.into_iter().take(sec.count as usize));
        }
    }
    let limit =
        Duration::seconds(i64::from(paper.time_limit_seconds) + i64::from(reg.extra_seconds));
    let deadline = (now + limit).min(s.closes_at);
    // A random anonymous number, unique in the session (retried on a clash).
    for _ in 0..8 {
        let anon: i32 = rand::random_range(100_000..1_000_000);
        let id = Uuid::now_v7();
        let txn = db.begin().await?;
        let inserted = practical_attempt::ActiveModel {
            id: Set(id),
            session_id: Set(s.id),
            user_id: Set(user.user.id),
            anon_number: Set(anon),
            state: Set(IN_PROGRESS.into()),
            started_at: Set(now),
            deadline: Set(deadline),
            submitted_at: Set(None),
            score: Set(None),
            passed: Set(None),
            marked_at: Set(None),
        }
        .insert(&txn)
        .await;
        match inserted {
            Ok(a) => {
                for (i, t) in drawn.iter().enumerate() {
                    practical_submission::ActiveModel {
                        id: Set(Uuid::now_v7()),
                        attempt_id: Set(a.id),
                        position: Set(i as i32 + 1),
                        task_id: Set(t.id),
                        state: Set("open".into()),
                        score: Set(None),
                        finalized_at: Set(None),
                    }
                    .insert(&txn)
                    .await?;
                }
                txn.commit().await?;
                return Ok((attempt_view(db, &a).await?, true));
            }
            Err(e) => {
                let _ = txn.rollback().await;
                let err = AppError::from(e);
                if err.status() != StatusCode::CONFLICT {
                    return Err(err);
                }
                // Either the same candidate started on another instance
                // (return that attempt) or the number clashed (draw again).
                if let Some(a) = practical_attempt::Entity::find()
                    .filter(practical_attempt::Column::SessionId.eq(s.id))
                    .filter(practical_attempt::Column::UserId.eq(user.user.id))
                    .one(db)
                    .await?
                {
                    return Ok((attempt_view(db, &a).await?, false));
                }
            }
        }
    }
    Err(AppError::internal(anyhow::anyhow!(
        "no free anonymous number"
    )))
}

async fn mine(
    db: &impl ConnectionTrait,
    user: &UserRecord,
    id: Uuid,
) -> Result<practical_attempt::Model, AppError> {
    practical_attempt::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|a| a.user_id == user.user.id)
        .ok_or_else(AppError::not_found)
}

/// The caller's practical attempt (admins: anyone's).
pub async fn get(
    db: &DatabaseConnection,
    grace: Duration,
    user: &UserRecord,
    id: Uuid,
) -> Result<PracticalAttemptView, AppError> {
    let a = if user.has(Role::Admin) {
        practical_attempt::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(AppError::not_found)?
    } else {
        mine(db, user, id).await?
    };
    let a = close_if_due(db, a, grace).await?;
    attempt_view(db, &a).await
}

/// Stores an upload for one task: the file must be what its name claims, of
/// a type the task accepts, without macros, within the size limit, and in
/// time (deadline + grace). The automatic checks run now; their outcomes
/// are kept for the markers and never shown to the candidate.
/// Before a file is read: the caller may upload to this attempt at all
/// (their own, still open). 404 / 409 without reading the body.
pub async fn check_upload(
    db: &DatabaseConnection,
    user: &UserRecord,
    id: Uuid,
) -> Result<(), AppError> {
    let a = mine(db, user, id).await?;
    if a.state != IN_PROGRESS {
        return Err(conflict(
            "attempt_finished",
            "Bài thực hành đã nộp.",
            "The practical attempt is already submitted.",
        ));
    }
    Ok(())
}

/// Before a starter file is read: the caller may add one.
pub fn check_task_author(user: &UserRecord) -> Result<(), AppError> {
    if is_staff_author(user) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

pub async fn upload(
    db: &DatabaseConnection,
    grace: Duration,
    user: &UserRecord,
    id: Uuid,
    position: i32,
    name: &str,
    bytes: &[u8],
) -> Result<Uploaded, AppError> {
    let a = mine(db, user, id).await?;
    let now = Utc::now();
    if a.state != IN_PROGRESS {
        return Err(conflict(
            "attempt_finished",
            "Bài thực hành đã nộp.",
            "The practical attempt is already submitted.",
        ));
    }
    if now > a.deadline + grace {
        close_if_due(db, a, grace).await?;
        return Err(conflict(
            "deadline_passed",
            "Đã hết giờ làm bài; tệp này không được nhận.",
            "Time is up; this file was not accepted.",
        ));
    }
    let sub = practical_submission::Entity::find()
        .filter(practical_submission::Column::AttemptId.eq(a.id))
        .filter(practical_submission::Column::Position.eq(position))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let task = practical_task::Entity::find_by_id(sub.task_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(too_large());
    }
    let name = sanitize_upload_name(name)?;
    let kind = office::inspect(&name, bytes, &office::Limits::default()).map_err(|r| {
        if matches!(r, office::Rejection::TooLarge { .. }) {
            too_large()
        } else {
            AppError::unprocessable(r.code(), r.message(true), r.message(false))
        }
    })?;
    let accepted = task_types(&task);
    if !accepted.iter().any(|t| t == kind.extension()) {
        return Err(AppError::unprocessable(
            "wrong_type",
            format!("Bài này nhận tệp {}.", accepted.join(", ")),
            format!("This task takes {} files.", accepted.join(", ")),
        ));
    }
    let rubric = task_rubric(&task);
    let outcomes: Vec<Option<CheckOutcome>> = rubric
        .iter()
        .map(|c| {
            c.check
                .as_ref()
                .and_then(|check| office_checks::run(check, kind, bytes))
        })
        .collect();
    let checks = json(&outcomes)?;
    let bytes_owned = bytes.to_vec();
    let (sub_id, attempt_id, deadline) = (sub.id, a.id, a.deadline);
    let name_owned = name.clone();
    let up = crate::db::write_tx(db, move |txn| {
        Box::pin(async move {
            // Still open inside the transaction (a submit may have landed).
            let open = practical_attempt::Entity::find_by_id(attempt_id)
                .one(txn)
                .await?
                .is_some_and(|a| a.state == IN_PROGRESS);
            if !open {
                return Err(conflict(
                    "attempt_finished",
                    "Bài thực hành đã nộp.",
                    "The practical attempt is already submitted.",
                ));
            }
            let sha = blobs::put(txn, &bytes_owned, kind.mime()).await?;
            Ok(practical_upload::ActiveModel {
                id: Set(Uuid::now_v7()),
                submission_id: Set(sub_id),
                name: Set(name_owned),
                kind: Set(kind.extension().into()),
                size: Set(bytes_owned.len() as i64),
                sha256: Set(sha),
                uploaded_at: Set(now),
                checks: Set(Some(checks)),
            }
            .insert(txn)
            .await?)
        })
    })
    .await?;
    Ok(Uploaded {
        id: up.id,
        name: up.name,
        size: up.size,
        sha256: up.sha256,
        uploaded_at: up.uploaded_at,
        server_now: Utc::now(),
        deadline,
    })
}

/// The file name as stored: the last path segment, without control
/// characters, at most 120 characters.
fn sanitize_upload_name(name: &str) -> Result<String, AppError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = base.chars().filter(|c| !c.is_control()).take(120).collect();
    let clean = clean.trim().to_string();
    if clean.is_empty() || !clean.contains('.') {
        return Err(AppError::unprocessable(
            "invalid_file_name",
            "Thiếu tên tệp (ví dụ ?name=bai-lam.xlsx).",
            "The file name is missing (e.g. ?name=work.xlsx).",
        ));
    }
    Ok(clean)
}

/// Submits the practical part (once); the files already uploaded count.
pub async fn submit(
    db: &DatabaseConnection,
    grace: Duration,
    user: &UserRecord,
    id: Uuid,
) -> Result<PracticalAttemptView, AppError> {
    let a = mine(db, user, id).await?;
    let a = close_if_due(db, a, grace).await?;
    if a.state == IN_PROGRESS {
        practical_attempt::Entity::update_many()
            .col_expr(practical_attempt::Column::State, Expr::value(SUBMITTED))
            .col_expr(
                practical_attempt::Column::SubmittedAt,
                Expr::value(Utc::now().min(a.deadline)),
            )
            .filter(practical_attempt::Column::Id.eq(a.id))
            .filter(practical_attempt::Column::State.eq(IN_PROGRESS))
            .exec(db)
            .await?;
    }
    let a = mine(db, user, id).await?;
    attempt_view(db, &a).await
}

/// The caller's practical attempts by session.
pub async fn my_attempts(
    db: &DatabaseConnection,
    user: Uuid,
) -> Result<HashMap<Uuid, practical_attempt::Model>, AppError> {
    Ok(practical_attempt::Entity::find()
        .filter(practical_attempt::Column::UserId.eq(user))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.session_id, a))
        .collect())
}

// -------------------------------------------------------------- marking

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkerInput {
    pub user_id: Uuid,
    #[serde(default)]
    pub is_head: bool,
}

/// Assigns a marker (or the head of the marking board) to a session (admin).
pub async fn assign_marker(
    db: &DatabaseConnection,
    actor: &UserRecord,
    session_id: Uuid,
    input: MarkerInput,
) -> Result<(), AppError> {
    if !actor.has(Role::Admin) {
        return Err(AppError::forbidden());
    }
    exam_session::Entity::find_by_id(session_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let roles = crate::store::users::find_by_id(db, input.user_id)
        .await?
        .ok_or_else(AppError::not_found)?
        .roles;
    if !roles.contains(&Role::Marker) && !roles.contains(&Role::Admin) {
        return Err(AppError::unprocessable(
            "not_a_marker",
            "Người này không có vai trò cán bộ chấm thi.",
            "This person does not have the marker role.",
        ));
    }
    // Replaces an earlier assignment (e.g. to make them head) in one step.
    let txn = db.begin().await?;
    session_marker::Entity::delete_many()
        .filter(session_marker::Column::SessionId.eq(session_id))
        .filter(session_marker::Column::UserId.eq(input.user_id))
        .exec(&txn)
        .await?;
    session_marker::ActiveModel {
        session_id: Set(session_id),
        user_id: Set(input.user_id),
        is_head: Set(input.is_head),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The caller's place on a session's marking board: `None` when they are
/// neither a marker of it nor an admin; `Some(true)` for the head (admins
/// act as heads).
async fn board_role(
    db: &impl ConnectionTrait,
    user: &UserRecord,
    session_id: Uuid,
) -> Result<Option<bool>, AppError> {
    if user.has(Role::Admin) {
        return Ok(Some(true));
    }
    if !user.has(Role::Marker) {
        return Ok(None);
    }
    Ok(
        session_marker::Entity::find_by_id((session_id, user.user.id))
            .one(db)
            .await?
            .map(|m| m.is_head),
    )
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct QueueItem {
    pub submission_id: Uuid,
    pub anon_number: i32,
    pub module: String,
    pub task_title: String,
    /// `blind`, `third` or `appeal`: the mark the caller would give.
    pub round: String,
}

struct SubmissionCtx {
    sub: practical_submission::Model,
    attempt: practical_attempt::Model,
    session: exam_session::Model,
    task: practical_task::Model,
    marks: Vec<practical_mark::Model>,
}

async fn ctx(db: &impl ConnectionTrait, id: Uuid) -> Result<SubmissionCtx, AppError> {
    let sub = practical_submission::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let attempt = practical_attempt::Entity::find_by_id(sub.attempt_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let session = exam_session::Entity::find_by_id(attempt.session_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let task = practical_task::Entity::find_by_id(sub.task_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let marks = practical_mark::Entity::find()
        .filter(practical_mark::Column::SubmissionId.eq(sub.id))
        .order_by_asc(practical_mark::Column::CreatedAt)
        .all(db)
        .await?;
    Ok(SubmissionCtx {
        sub,
        attempt,
        session,
        task,
        marks,
    })
}

fn rounds(marks: &[practical_mark::Model]) -> Vec<(Round, f64)> {
    marks
        .iter()
        .filter_map(|m| Round::parse(&m.round).map(|r| (r, m.total)))
        .collect()
}

async fn pending_appeal(
    db: &impl ConnectionTrait,
    attempt_id: Uuid,
) -> Result<Option<appeal::Model>, AppError> {
    Ok(appeal::Entity::find()
        .filter(appeal::Column::AttemptId.eq(attempt_id))
        .filter(appeal::Column::Part.eq("practical"))
        .filter(appeal::Column::State.eq("pending"))
        .one(db)
        .await?)
}

/// Which mark `user` may give now on this submission, if any.
async fn next_round(
    db: &impl ConnectionTrait,
    c: &SubmissionCtx,
    user: &UserRecord,
) -> Result<Option<Round>, AppError> {
    if c.attempt.state == IN_PROGRESS {
        return Ok(None);
    }
    if c.marks.iter().any(|m| m.marker_id == user.user.id) {
        return Ok(None);
    }
    let blind = c.marks.iter().filter(|m| m.round == "blind").count();
    let rs = rounds(&c.marks);
    Ok(match rules::standing(&rs, c.session.marking_threshold) {
        Standing::Marking { .. } if blind < 2 => Some(Round::Blind),
        Standing::Marking { .. } => None,
        // A third marker of the board, or its head, settles it.
        Standing::Disputed { .. } => Some(Round::Third),
        // A pending appeal without a re-mark given since it was lodged.
        Standing::Final(_) => pending_appeal(db, c.attempt.id).await?.and_then(|ap| {
            (!c.marks
                .iter()
                .any(|m| m.round == "appeal" && m.created_at >= ap.requested_at))
            .then_some(Round::Appeal)
        }),
    })
}

/// Submissions the caller may mark now, anonymous (markers of the session
/// and admins).
pub async fn queue(
    db: &DatabaseConnection,
    user: &UserRecord,
    session_id: Option<Uuid>,
) -> Result<Vec<QueueItem>, AppError> {
    if !user.has(Role::Marker) && !user.has(Role::Admin) {
        return Err(AppError::forbidden());
    }
    let sessions: Vec<(Uuid, bool)> = if user.has(Role::Admin) {
        let q = exam_session::Entity::find()
            .filter(exam_session::Column::PracticalPaperId.is_not_null());
        let q = match session_id {
            Some(id) => q.filter(exam_session::Column::Id.eq(id)),
            None => q,
        };
        q.all(db).await?.into_iter().map(|s| (s.id, true)).collect()
    } else {
        let q =
            session_marker::Entity::find().filter(session_marker::Column::UserId.eq(user.user.id));
        let q = match session_id {
            Some(id) => q.filter(session_marker::Column::SessionId.eq(id)),
            None => q,
        };
        q.all(db)
            .await?
            .into_iter()
            .map(|m| (m.session_id, m.is_head))
            .collect()
    };
    let mut items = Vec::new();
    for (sid, _head) in sessions {
        let attempts = practical_attempt::Entity::find()
            .filter(practical_attempt::Column::SessionId.eq(sid))
            .filter(practical_attempt::Column::State.ne(IN_PROGRESS))
            .order_by_asc(practical_attempt::Column::AnonNumber)
            .all(db)
            .await?;
        for a in attempts {
            let subs = practical_submission::Entity::find()
                .filter(practical_submission::Column::AttemptId.eq(a.id))
                .order_by_asc(practical_submission::Column::Position)
                .all(db)
                .await?;
            for s in subs {
                let c = ctx(db, s.id).await?;
                if let Some(r) = next_round(db, &c, user).await? {
                    items.push(QueueItem {
                        submission_id: s.id,
                        anon_number: a.anon_number,
                        module: c.task.module.clone(),
                        task_title: c.task.title.clone(),
                        round: r.as_str().into(),
                    });
                }
            }
        }
    }
    Ok(items)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Proposal {
    /// 1-based criterion.
    pub criterion: usize,
    pub points: f64,
    pub passed: bool,
    pub detail: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MarkView {
    /// "A", "B", "C"… in the order the marks were given; never a name.
    pub marker: String,
    pub round: String,
    pub total: f64,
    pub marks: Vec<StoredMark>,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SubmissionView {
    pub submission_id: Uuid,
    pub anon_number: i32,
    pub module: String,
    pub task_title: String,
    pub instructions_html: String,
    pub rubric: Vec<Criterion>,
    /// Every upload, oldest first; the last one is marked.
    pub files: Vec<SubmittedFile>,
    /// The automatic checks' proposals on the file being marked.
    pub proposals: Vec<Proposal>,
    /// The mark the caller may give now, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round: Option<String>,
    /// Marks the caller may see: their own, and the others' once both
    /// blind marks are in.
    pub marks: Vec<MarkView>,
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SubmittedFile {
    pub id: Uuid,
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
    pub url: String,
    pub counts: bool,
}

fn lang_detail(o: &CheckOutcome, vi: bool) -> String {
    if vi {
        o.detail_vi.clone()
    } else {
        o.detail_en.clone()
    }
}

/// One anonymous submission for marking.
pub async fn submission(
    db: &DatabaseConnection,
    user: &UserRecord,
    id: Uuid,
    vi: bool,
) -> Result<SubmissionView, AppError> {
    // Only markers and admins learn whether the submission exists.
    if !(user.has(Role::Admin) || user.has(Role::Marker)) {
        return Err(AppError::forbidden());
    }
    let c = ctx(db, id).await?;
    let Some(head) = board_role(db, user, c.session.id).await? else {
        return Err(AppError::forbidden());
    };
    if c.attempt.state == IN_PROGRESS {
        return Err(conflict(
            "not_submitted",
            "Bài thực hành chưa nộp.",
            "The practical attempt is not submitted yet.",
        ));
    }
    let uploads = practical_upload::Entity::find()
        .filter(practical_upload::Column::SubmissionId.eq(c.sub.id))
        .order_by_asc(practical_upload::Column::UploadedAt)
        .all(db)
        .await?;
    let rubric = task_rubric(&c.task);
    let last = uploads.last();
    let outcomes: Vec<Option<CheckOutcome>> = last
        .and_then(|u| u.checks.as_deref())
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let proposals = rubric
        .iter()
        .enumerate()
        .filter_map(|(i, cr)| {
            let o = outcomes.get(i)?.as_ref()?;
            Some(Proposal {
                criterion: i + 1,
                points: rules::proposed_points(cr.points, o.passed),
                passed: o.passed,
                detail: lang_detail(o, vi),
            })
        })
        .collect();
    let round = next_round(db, &c, user).await?;
    let blind_in = c.marks.iter().filter(|m| m.round == "blind").count() >= 2;
    let mine_given = c.marks.iter().any(|m| m.marker_id == user.user.id);
    let see_all = head || (blind_in && mine_given);
    let marks = c
        .marks
        .iter()
        .enumerate()
        .filter(|(_, m)| see_all || m.marker_id == user.user.id)
        .map(|(i, m)| MarkView {
            marker: marker_letter(i),
            round: m.round.clone(),
            total: m.total,
            marks: serde_json::from_str(&m.marks).unwrap_or_default(),
            at: m.created_at,
        })
        .collect();
    let files = uploads
        .iter()
        .enumerate()
        .map(|(i, u)| SubmittedFile {
            id: u.id,
            name: format!("{}-{}.{}", c.attempt.anon_number, c.sub.position, u.kind),
            size: u.size,
            sha256: u.sha256.clone(),
            uploaded_at: u.uploaded_at,
            url: format!("/api/v1/marking/submissions/{}/files/{}", c.sub.id, u.id),
            counts: i + 1 == uploads.len(),
        })
        .collect();
    Ok(SubmissionView {
        submission_id: c.sub.id,
        anon_number: c.attempt.anon_number,
        module: c.task.module.clone(),
        task_title: c.task.title.clone(),
        instructions_html: render::to_html(&c.task.instructions, TextFormat::Markdown),
        rubric,
        files,
        proposals,
        round: round.map(|r| r.as_str().to_string()),
        marks,
        state: c.sub.state.clone(),
        score: c.sub.score,
    })
}

fn marker_letter(i: usize) -> String {
    let letters = ["A", "B", "C", "D", "E", "F"];
    letters
        .get(i)
        .map(|s| s.to_string())
        .unwrap_or_else(|| format!("{}", i + 1))
}

/// A submitted file for a marker (named by the anonymous number only).
pub async fn submission_file(
    db: &DatabaseConnection,
    user: &UserRecord,
    id: Uuid,
    upload_id: Uuid,
) -> Result<(String, Vec<u8>, String), AppError> {
    let c = ctx(db, id).await?;
    if board_role(db, user, c.session.id).await?.is_none() {
        return Err(AppError::forbidden());
    }
    let u = practical_upload::Entity::find_by_id(upload_id)
        .one(db)
        .await?
        .filter(|u| u.submission_id == c.sub.id)
        .ok_or_else(AppError::not_found)?;
    let b = blobs::get(db, &u.sha256)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok((
        format!("{}-{}.{}", c.attempt.anon_number, c.sub.position, u.kind),
        b.data,
        b.content_type,
    ))
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarksInput {
    pub marks: Vec<CriterionMark>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MarkGiven {
    pub id: Uuid,
    pub round: String,
    pub total: f64,
    /// `marking`, `disputed` or `final`.
    pub state: String,
}

/// Enters the caller's mark on a submission. Each marker marks a submission
/// once; the two blind marks are independent; a third mark settles a
/// disagreement; an appeal re-mark comes from a marker who has not marked it.
pub async fn mark(
    db: &DatabaseConnection,
    issuer: &crate::services::certificates::Issuer,
    user: &UserRecord,
    id: Uuid,
    input: MarksInput,
) -> Result<MarkGiven, AppError> {
    if !(user.has(Role::Admin) || user.has(Role::Marker)) {
        return Err(AppError::forbidden());
    }
    let c = ctx(db, id).await?;
    if board_role(db, user, c.session.id).await?.is_none() {
        return Err(AppError::forbidden());
    }
    if c.marks.iter().any(|m| m.marker_id == user.user.id) {
        return Err(conflict(
            "already_marked",
            "Bạn đã chấm bài này.",
            "You have already marked this submission.",
        ));
    }
    let Some(round) = next_round(db, &c, user).await? else {
        return Err(conflict(
            "nothing_to_mark",
            "Bài này không cần chấm thêm.",
            "This submission needs no further mark.",
        ));
    };
    let rubric = task_rubric(&c.task);
    let last = practical_upload::Entity::find()
        .filter(practical_upload::Column::SubmissionId.eq(c.sub.id))
        .order_by_desc(practical_upload::Column::UploadedAt)
        .one(db)
        .await?;
    let outcomes: Vec<Option<CheckOutcome>> = last
        .and_then(|u| u.checks)
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let proposals: Vec<Option<f64>> = rubric
        .iter()
        .enumerate()
        .map(|(i, cr)| {
            outcomes
                .get(i)
                .and_then(|o| o.as_ref())
                .map(|o| rules::proposed_points(cr.points, o.passed))
        })
        .collect();
    let (stored, total) = rules::check_marks(&rubric, &proposals, &input.marks).map_err(invalid)?;
    let marks_json = json(&stored)?;
    let (sub_id, marker) = (c.sub.id, user.user.id);
    let threshold = c.session.marking_threshold;
    let mark_id = Uuid::now_v7();
    let state = crate::db::write_tx(db, move |txn| {
        Box::pin(async move {
            practical_mark::ActiveModel {
                id: Set(mark_id),
                submission_id: Set(sub_id),
                marker_id: Set(marker),
                round: Set(round.as_str().into()),
                marks: Set(marks_json.clone()),
                total: Set(total),
                created_at: Set(Utc::now()),
            }
            .insert(txn)
            .await
            .map_err(|e| match AppError::from(e) {
                e if e.status() == StatusCode::CONFLICT => AppError::conflict(
                    "already_marked",
                    "Bạn đã chấm bài này.".to_string(),
                    "You have already marked this submission.".to_string(),
                ),
                e => e,
            })?;
            crate::services::audit::record(
                txn,
                Some(marker),
                crate::services::audit::kind::PRACTICAL_MARK,
                "practical_submission",
                sub_id,
                serde_json::json!({
                    "mark_id": mark_id, "round": round.as_str(), "total": total,
                    "marks": serde_json::from_str::<serde_json::Value>(&marks_json)
                        .unwrap_or(serde_json::Value::Null),
                }),
            )
            .await?;
            settle_submission(txn, sub_id, threshold).await
        })
    })
    .await?;
    // Results and certificates follow once every task is final.
    finalize_attempt(db, issuer, c.attempt.id, Some(user.user.id)).await?;
    Ok(MarkGiven {
        id: mark_id,
        round: round.as_str().into(),
        total,
        state,
    })
}

/// Recomputes a submission's standing from its marks and stores it.
async fn settle_submission(
    txn: &impl ConnectionTrait,
    sub_id: Uuid,
    threshold: f64,
) -> Result<String, AppError> {
    let marks = practical_mark::Entity::find()
        .filter(practical_mark::Column::SubmissionId.eq(sub_id))
        .order_by_asc(practical_mark::Column::CreatedAt)
        .all(txn)
        .await?;
    let (state, score) = match rules::standing(&rounds(&marks), threshold) {
        Standing::Marking { .. } => ("marking", None),
        Standing::Disputed { .. } => ("disputed", None),
        Standing::Final(s) => ("final", Some(s)),
    };
    practical_submission::Entity::update_many()
        .col_expr(practical_submission::Column::State, Expr::value(state))
        .col_expr(practical_submission::Column::Score, Expr::value(score))
        .col_expr(
            practical_submission::Column::FinalizedAt,
            Expr::value(score.map(|_| Utc::now())),
        )
        .filter(practical_submission::Column::Id.eq(sub_id))
        .exec(txn)
        .await?;
    Ok(state.to_string())
}

/// When every task of an attempt has its final mark: the practical score,
/// pass or fail, the result time, a decided appeal, and the certificate.
pub async fn finalize_attempt(
    db: &DatabaseConnection,
    issuer: &crate::services::certificates::Issuer,
    attempt_id: Uuid,
    actor: Option<Uuid>,
) -> Result<(), AppError> {
    let a = practical_attempt::Entity::find_by_id(attempt_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let subs = practical_submission::Entity::find()
        .filter(practical_submission::Column::AttemptId.eq(a.id))
        .all(db)
        .await?;
    let finals: Vec<f64> = subs.iter().filter_map(|s| s.score).collect();
    if finals.len() != subs.len() || a.state == IN_PROGRESS {
        return Ok(());
    }
    let Some(score) = rules::paper_score(&finals) else {
        return Ok(());
    };
    let s = exam_session::Entity::find_by_id(a.session_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let pass_score = match s.practical_pass_score {
        Some(p) => p,
        None => match s.practical_paper_id {
            Some(pid) => practical_paper::Entity::find_by_id(pid)
                .one(db)
                .await?
                .map(|p| p.pass_score)
                .unwrap_or(5.0),
            None => 5.0,
        },
    };
    let passed = score + 1e-9 >= pass_score;
    let was_passed = a.passed;
    let now = Utc::now();
    let appeal = pending_appeal(db, a.id).await?;
    let appeal_done = match &appeal {
        Some(ap) => {
            // Decided once every task has a re-mark given after the appeal.
            let mut all = true;
            for sub in &subs {
                let remarked = practical_mark::Entity::find()
                    .filter(practical_mark::Column::SubmissionId.eq(sub.id))
                    .filter(practical_mark::Column::Round.eq("appeal"))
                    .filter(practical_mark::Column::CreatedAt.gte(ap.requested_at))
                    .one(db)
                    .await?
                    .is_some();
                all &= remarked;
            }
            all
        }
        None => false,
    };
    if a.state == MARKED && a.score == Some(score) && !appeal_done {
        return Ok(());
    }
    let txn = db.begin().await?;
    practical_attempt::Entity::update_many()
        .col_expr(practical_attempt::Column::State, Expr::value(MARKED))
        .col_expr(practical_attempt::Column::Score, Expr::value(score))
        .col_expr(practical_attempt::Column::Passed, Expr::value(passed))
        .col_expr(practical_attempt::Column::MarkedAt, Expr::value(now))
        .filter(practical_attempt::Column::Id.eq(a.id))
        .exec(&txn)
        .await?;
    crate::services::audit::record(
        &txn,
        actor,
        crate::services::audit::kind::PRACTICAL_RESULT,
        "practical_attempt",
        a.id,
        serde_json::json!({
            "score": score, "passed": passed, "score_before": a.score,
            "appeal_decided": appeal.as_ref().filter(|_| appeal_done).map(|ap| ap.id),
        }),
    )
    .await?;
    if let (Some(ap), true) = (&appeal, appeal_done) {
        appeal::Entity::update_many()
            .col_expr(appeal::Column::State, Expr::value("decided"))
            .col_expr(appeal::Column::NewScore, Expr::value(score))
            .col_expr(appeal::Column::DecidedAt, Expr::value(now))
            .col_expr(appeal::Column::DecidedBy, Expr::value(actor))
            .filter(appeal::Column::Id.eq(ap.id))
            .exec(&txn)
            .await?;
    }
    if s.results_at.is_none() {
        exam_session::Entity::update_many()
            .col_expr(exam_session::Column::ResultsAt, Expr::value(now))
            .filter(exam_session::Column::Id.eq(s.id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    if passed {
        crate::services::certificates::issue_for_practical(db, issuer, a.id).await?;
    } else if was_passed == Some(true) {
        // An appeal re-mark turned a pass into a fail: the certificate that
        // rested on it is revoked as an issuer's error.
        crate::services::certificates::revoke_for_session(
            db,
            issuer,
            a.user_id,
            a.session_id,
            actor,
            "Phúc khảo phần thực hành: không đạt.",
        )
        .await?;
    }
    Ok(())
}

// ------------------------------------------------------ results, reserve

/// The latest passed practical attempt of `user` still kept at `now`
/// (bảo lưu), from any session.
pub async fn practical_pass(
    db: &impl ConnectionTrait,
    user: Uuid,
    session: &exam_session::Model,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let attempts = practical_attempt::Entity::find()
        .filter(practical_attempt::Column::UserId.eq(user))
        .filter(practical_attempt::Column::Passed.eq(true))
        .all(db)
        .await?;
    for a in attempts {
        if a.session_id == session.id {
            return Ok(true);
        }
        if let Some(at) = a.marked_at
            && rules::reserved(at, now, session.reserve_months)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The passed theory attempt that counts for `user` in `session`: their own
/// in the session, else one kept from an earlier session (bảo lưu).
pub async fn theory_pass(
    db: &impl ConnectionTrait,
    user: Uuid,
    session: &exam_session::Model,
    now: DateTime<Utc>,
) -> Result<Option<attempt::Model>, AppError> {
    let attempts = attempt::Entity::find()
        .filter(attempt::Column::UserId.eq(user))
        .filter(attempt::Column::Passed.eq(true))
        .order_by_desc(attempt::Column::StartedAt)
        .all(db)
        .await?;
    if let Some(a) = attempts.iter().find(|a| a.session_id == session.id) {
        return Ok(Some(a.clone()));
    }
    Ok(attempts.into_iter().find(|a| {
        a.finished_at
            .is_some_and(|at| rules::reserved(at, now, session.reserve_months))
    }))
}

// -------------------------------------------------------------- appeals

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealInput {
    /// `theory` or `practical`.
    pub part: String,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AppealView {
    pub id: Uuid,
    pub attempt_id: Uuid,
    pub session_id: Uuid,
    pub part: String,
    pub state: String,
    pub reason: String,
    pub requested_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn appeal_view(a: &appeal::Model) -> AppealView {
    AppealView {
        id: a.id,
        attempt_id: a.attempt_id,
        session_id: a.session_id,
        part: a.part.clone(),
        state: a.state.clone(),
        reason: a.reason.clone(),
        requested_at: a.requested_at,
        old_score: a.old_score,
        new_score: a.new_score,
        decided_at: a.decided_at,
        note: a.note.clone(),
    }
}

/// A candidate asks for a re-mark of one part, within the session's window
/// after the results. `id` is their theory or practical attempt.
pub async fn request_appeal(
    db: &DatabaseConnection,
    user: &UserRecord,
    id: Uuid,
    input: AppealInput,
) -> Result<AppealView, AppError> {
    let reason = input.reason.trim();
    if reason.is_empty() {
        return Err(AppError::unprocessable(
            "invalid",
            "Cần nêu lý do phúc khảo.",
            "Give a reason for the appeal.",
        ));
    }
    // The session, from either kind of attempt of the caller's.
    let session_id = if let Some(a) = attempt::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|a| a.user_id == user.user.id)
    {
        a.session_id
    } else {
        mine(db, user, id).await?.session_id
    };
    let s = exam_session::Entity::find_by_id(session_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let now = Utc::now();
    let (attempt_id, score, result_at) = match input.part.as_str() {
        "theory" => {
            let a = attempt::Entity::find()
                .filter(attempt::Column::SessionId.eq(s.id))
                .filter(attempt::Column::UserId.eq(user.user.id))
                .filter(attempt::Column::State.eq("graded"))
                .order_by_desc(attempt::Column::Number)
                .one(db)
                .await?
                .ok_or_else(no_result)?;
            (a.id, a.score, a.finished_at)
        }
        "practical" => {
            let a = practical_attempt::Entity::find()
                .filter(practical_attempt::Column::SessionId.eq(s.id))
                .filter(practical_attempt::Column::UserId.eq(user.user.id))
                .filter(practical_attempt::Column::State.eq(MARKED))
                .one(db)
                .await?
                .ok_or_else(no_result)?;
            (a.id, a.score, a.marked_at)
        }
        _ => {
            return Err(AppError::unprocessable(
                "invalid",
                "Phần thi phải là theory hoặc practical.",
                "The part is theory or practical.",
            ));
        }
    };
    let results = s.results_at.or(result_at).unwrap_or(now);
    if now > results + Duration::days(i64::from(s.appeal_days)) {
        return Err(AppError::unprocessable(
            "appeal_window_closed",
            format!(
                "Đã quá thời hạn phúc khảo ({} ngày sau khi có kết quả).",
                s.appeal_days
            ),
            format!(
                "The appeal window ({} days after the results) has closed.",
                s.appeal_days
            ),
        ));
    }
    if appeal::Entity::find()
        .filter(appeal::Column::AttemptId.eq(attempt_id))
        .filter(appeal::Column::State.eq("pending"))
        .one(db)
        .await?
        .is_some()
    {
        return Err(conflict(
            "appeal_pending",
            "Đã có đơn phúc khảo đang chờ xử lý.",
            "An appeal is already pending.",
        ));
    }
    let ap = appeal::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.user.id),
        session_id: Set(s.id),
        part: Set(input.part.clone()),
        attempt_id: Set(attempt_id),
        reason: Set(reason.to_string()),
        state: Set("pending".into()),
        requested_at: Set(now),
        old_score: Set(score),
        new_score: Set(None),
        decided_at: Set(None),
        decided_by: Set(None),
        note: Set(None),
    }
    .insert(db)
    .await?;
    Ok(appeal_view(&ap))
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideInput {
    /// What the re-check found, kept with the appeal.
    pub note: String,
}

/// Decides an appeal on the multiple-choice part (admins): the attempt is
/// re-graded from its stored answers, the outcome recorded with the note,
/// and the certificate follows the result. Practical appeals are decided by
/// the re-mark itself.
pub async fn decide_appeal(
    db: &DatabaseConnection,
    issuer: &crate::services::certificates::Issuer,
    user: &UserRecord,
    id: Uuid,
    input: DecideInput,
) -> Result<AppealView, AppError> {
    if !user.has(Role::Admin) {
        return Err(AppError::forbidden());
    }
    let ap = appeal::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    if ap.state != "pending" {
        return Err(conflict(
            "appeal_decided",
            "Đơn phúc khảo đã được giải quyết.",
            "The appeal is already decided.",
        ));
    }
    if ap.part != "theory" {
        return Err(conflict(
            "remark_needed",
            "Phúc khảo phần thực hành được giải quyết bằng lượt chấm phúc khảo.",
            "A practical appeal is decided by its re-mark.",
        ));
    }
    let note = input.note.trim().to_string();
    if note.is_empty() {
        return Err(AppError::unprocessable(
            "invalid",
            "Cần ghi kết quả kiểm tra lại.",
            "Record what the re-check found.",
        ));
    }
    let was_passed = attempt::Entity::find_by_id(ap.attempt_id)
        .one(db)
        .await?
        .and_then(|a| a.passed);
    let (score, passed) = crate::services::exams::regrade(db, ap.attempt_id).await?;
    let now = Utc::now();
    let (appeal_id, actor_id) = (ap.id, user.user.id);
    let audit = serde_json::json!({
        "attempt_id": ap.attempt_id, "part": "theory", "score": score,
        "passed": passed, "passed_before": was_passed, "note": note,
    });
    let decided = crate::db::write_tx(db, move |txn| {
        Box::pin(async move {
            let decided = appeal::Entity::update_many()
                .col_expr(appeal::Column::State, Expr::value("decided"))
                .col_expr(appeal::Column::NewScore, Expr::value(score))
                .col_expr(appeal::Column::DecidedAt, Expr::value(now))
                .col_expr(appeal::Column::DecidedBy, Expr::value(actor_id))
                .col_expr(appeal::Column::Note, Expr::value(note))
                .filter(appeal::Column::Id.eq(appeal_id))
                .filter(appeal::Column::State.eq("pending"))
                .exec(txn)
                .await?;
            if decided.rows_affected == 1 {
                crate::services::audit::record(
                    txn,
                    Some(actor_id),
                    crate::services::audit::kind::APPEAL_DECIDED,
                    "appeal",
                    appeal_id,
                    audit,
                )
                .await?;
            }
            Ok(decided)
        })
    })
    .await?;
    if decided.rows_affected == 1 {
        if passed && was_passed != Some(true) {
            crate::services::certificates::issue_for_attempt(db, issuer, ap.attempt_id).await?;
        } else if !passed && was_passed == Some(true) {
            crate::services::certificates::revoke_for_session(
                db,
                issuer,
                ap.user_id,
                ap.session_id,
                Some(user.user.id),
                "Phúc khảo phần trắc nghiệm: không đạt.",
            )
            .await?;
        }
    }
    let ap = appeal::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(appeal_view(&ap))
}

/// Pending appeals (admins): the queue of the exam board.
pub async fn pending_appeals(
    db: &DatabaseConnection,
    user: &UserRecord,
) -> Result<Vec<AppealView>, AppError> {
    if !user.has(Role::Admin) {
        return Err(AppError::forbidden());
    }
    Ok(appeal::Entity::find()
        .filter(appeal::Column::State.eq("pending"))
        .order_by_asc(appeal::Column::RequestedAt)
        .all(db)
        .await?
        .iter()
        .map(appeal_view)
        .collect())
}

fn no_result() -> AppError {
    AppError::unprocessable(
        "no_result",
        "Phần thi này chưa có kết quả để phúc khảo.",
        "This part has no result to appeal yet.",
    )
}

/// The caller's appeals.
pub async fn my_appeals(
    db: &DatabaseConnection,
    user: &UserRecord,
) -> Result<Vec<AppealView>, AppError> {
    Ok(appeal::Entity::find()
        .filter(appeal::Column::UserId.eq(user.user.id))
        .order_by_desc(appeal::Column::RequestedAt)
        .all(db)
        .await?
        .iter()
        .map(appeal_view)
        .collect())
}

// ---------------------------------------------------------------- board

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = MarkingBoardRow)]
pub struct BoardRow {
    pub submission_id: Uuid,
    pub anon_number: i32,
    pub position: i32,
    pub module: String,
    pub task_title: String,
    pub state: String,
    pub marks: Vec<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ScoreRow {
    pub anon_number: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
    /// Only for admins (the key to the anonymous numbers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Board {
    pub threshold: f64,
    pub disputed: Vec<BoardRow>,
    pub submissions: Vec<BoardRow>,
    pub scores: Vec<ScoreRow>,
}

/// The marking board of a session: disagreements, final marks and the
/// score sheet (the head of the board and admins; names for admins only).
pub async fn board(
    db: &DatabaseConnection,
    user: &UserRecord,
    session_id: Uuid,
) -> Result<Board, AppError> {
    let s = exam_session::Entity::find_by_id(session_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    if board_role(db, user, s.id).await? != Some(true) {
        return Err(AppError::forbidden());
    }
    let admin = user.has(Role::Admin);
    let attempts = practical_attempt::Entity::find()
        .filter(practical_attempt::Column::SessionId.eq(s.id))
        .order_by_asc(practical_attempt::Column::AnonNumber)
        .all(db)
        .await?;
    let mut rows = Vec::new();
    let mut scores = Vec::new();
    for a in &attempts {
        let subs = practical_submission::Entity::find()
            .filter(practical_submission::Column::AttemptId.eq(a.id))
            .order_by_asc(practical_submission::Column::Position)
            .all(db)
            .await?;
        for sub in subs {
            let c = ctx(db, sub.id).await?;
            rows.push(BoardRow {
                submission_id: sub.id,
                anon_number: a.anon_number,
                position: sub.position,
                module: c.task.module.clone(),
                task_title: c.task.title.clone(),
                state: sub.state.clone(),
                marks: c.marks.iter().map(|m| m.total).collect(),
                score: sub.score,
            });
        }
        let full_name = if admin {
            user::Entity::find_by_id(a.user_id)
                .one(db)
                .await?
                .map(|u| u.full_name)
        } else {
            None
        };
        scores.push(ScoreRow {
            anon_number: a.anon_number,
            score: a.score,
            passed: a.passed,
            full_name,
        });
    }
    Ok(Board {
        threshold: s.marking_threshold,
        disputed: rows
            .iter()
            .filter(|r| r.state == "disputed")
            .cloned()
            .collect(),
        submissions: rows,
        scores,
    })
}

/// The key to the anonymous numbers of a session (admins only: markers get
/// 403).
pub async fn anonymous_key(
    db: &DatabaseConnection,
    user: &UserRecord,
    session_id: Uuid,
) -> Result<Vec<(i32, Uuid, String)>, AppError> {
    if !user.has(Role::Admin) {
        return Err(forbidden(
            "anonymous",
            "Cán bộ chấm thi không được biết tên thí sinh sau số phách.",
            "Markers may not see the name behind an anonymous number.",
        ));
    }
    let attempts = practical_attempt::Entity::find()
        .filter(practical_attempt::Column::SessionId.eq(session_id))
        .order_by_asc(practical_attempt::Column::AnonNumber)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = attempts.iter().map(|a| a.user_id).collect();
    let names: HashMap<Uuid, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.full_name))
        .collect();
    Ok(attempts
        .into_iter()
        .map(|a| {
            let name = names.get(&a.user_id).cloned().unwrap_or_default();
            (a.anon_number, a.user_id, name)
        })
        .collect())
}
