//! The question bank's use cases: import (all or nothing, idempotent),
//! authoring with versions, review, retirement, export.
use std::collections::HashMap;

use sea_orm::{DatabaseConnection, TransactionTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::question::{
    Difficulty, EmbeddedImage, ImportDefaults, ModuleCode, OptionDraft, ParsedFile, QuestionDraft,
    QuestionType, Status, TextFormat, TopicCode,
};
use crate::domain::role::Role;
use crate::error::AppError;
use crate::formats::{aiken, gift, moodle_xml, question_sheet};
use crate::i18n::Lang;
use crate::services::roster::LineError;
use crate::store::blobs;
use crate::store::questions::{self as store, QuestionRecord};
use crate::store::users::UserRecord;

/// The file formats the bank reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportFormat {
    Gift,
    MoodleXml,
    Aiken,
    Xlsx,
    Csv,
}

impl ImportFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "gift" | "txt" => Some(ImportFormat::Gift),
            "moodle-xml" | "moodle_xml" | "xml" => Some(ImportFormat::MoodleXml),
            "aiken" => Some(ImportFormat::Aiken),
            "xlsx" | "xls" | "ods" => Some(ImportFormat::Xlsx),
            "csv" => Some(ImportFormat::Csv),
            _ => None,
        }
    }

    /// Guesses from a file name's extension.
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(Self::parse)
    }

    fn read(self, bytes: &[u8], defaults: &ImportDefaults) -> ParsedFile {
        match self {
            ImportFormat::Gift => gift::parse(bytes, defaults),
            ImportFormat::MoodleXml => moodle_xml::parse(bytes, defaults),
            ImportFormat::Aiken => aiken::parse(bytes, defaults),
            ImportFormat::Xlsx | ImportFormat::Csv => question_sheet::parse(bytes, defaults),
        }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Skipped {
    pub line: usize,
    pub reason: String,
}

#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct QuestionImportReport {
    pub dry_run: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub skipped: Vec<Skipped>,
    pub errors: Vec<LineError>,
    /// Topic codes the taxonomy did not know; they were added.
    pub new_topics: Vec<String>,
}

/// Who imports decides the status: the shipped bank and `--ready` loads are
/// reviewed; everything else arrives as drafts.
#[derive(Clone, Copy, Debug)]
pub enum Origin {
    /// Reviewed content: the shipped bank, or `import-questions --ready`.
    Shipped,
    /// The command line without `--ready`: drafts with no author.
    Operator,
    User(Uuid),
}

enum Plan {
    Create(QuestionDraft),
    Update(Box<crate::entities::question::Model>, QuestionDraft),
}

pub async fn import(
    db: &DatabaseConnection,
    format: ImportFormat,
    bytes: &[u8],
    defaults: &ImportDefaults,
    dry_run: bool,
    origin: Origin,
) -> Result<QuestionImportReport, AppError> {
    let parsed = format.read(bytes, defaults);
    let mut report = QuestionImportReport {
        dry_run,
        skipped: parsed
            .skipped
            .iter()
            .map(|(line, reason)| Skipped {
                line: *line,
                reason: reason.clone(),
            })
            .collect(),
        errors: parsed
            .errors
            .iter()
            .map(|(line, message)| LineError {
                line: *line,
                message: message.clone(),
            })
            .collect(),
        ..Default::default()
    };
    // Within one file, an id or a question may appear only once.
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut hashes: HashMap<String, usize> = HashMap::new();
    let mut drafts = Vec::new();
    for (line, mut d) in parsed.questions {
        if d.difficulty.is_none() {
            d.difficulty = Some(Difficulty::Medium);
        }
        if let Some(ext) = d.external_id.clone().filter(|e| !e.trim().is_empty())
            && let Some(first) = ids.insert(ext.clone(), line)
        {
            report.errors.push(LineError {
                line,
                message: format!("Mã câu hỏi “{ext}” trùng với câu ở dòng {first}."),
            });
            continue;
        }
        if let Some(first) = hashes.insert(d.content_hash(), line) {
            report.errors.push(LineError {
                line,
                message: format!("Câu hỏi trùng nội dung với câu ở dòng {first}."),
            });
            continue;
        }
        drafts.push((line, d));
    }
    if !report.errors.is_empty() {
        report.errors.sort_by_key(|e| e.line);
        return Ok(report);
    }
    let mut plans = Vec::new();
    for (_, d) in drafts {
        match store::find_match(db, &d).await? {
            None => {
                report.created += 1;
                plans.push(Plan::Create(d));
            }
            Some(q) => {
                let current = store::get(db, q.id).await?;
                if current.as_ref().is_some_and(|c| store::same_content(c, &d)) {
                    report.unchanged += 1;
                } else {
                    report.updated += 1;
                    plans.push(Plan::Update(Box::new(q), d));
                }
            }
        }
    }
    let mut topic_codes: Vec<TopicCode> = plans
        .iter()
        .filter_map(|p| match p {
            Plan::Create(d) | Plan::Update(_, d) => d.topic.clone(),
        })
        .collect();
    topic_codes.sort();
    topic_codes.dedup();
    if dry_run {
        let known: Vec<String> = store::topics(db)
            .await?
            .into_iter()
            .map(|t| t.code)
            .collect();
        report.new_topics = topic_codes
            .iter()
            .map(|t| t.as_str().to_string())
            .filter(|c| !known.contains(c))
            .collect();
        return Ok(report);
    }
    let (created_by, ready) = match origin {
        Origin::Shipped => (None, Some(None)),
        Origin::Operator => (None, None),
        Origin::User(u) => (Some(u), None),
    };
    let new_topics = db
        .transaction::<_, Vec<String>, AppError>(|txn| {
            Box::pin(async move {
                let added = store::ensure_topics(txn, &topic_codes).await?;
                for plan in plans {
                    match plan {
                        Plan::Create(mut d) => {
                            store_images(txn, &mut d).await?;
                            store::create(txn, &d, created_by, ready).await?;
                        }
                        Plan::Update(q, mut d) => {
                            store_images(txn, &mut d).await?;
                            store::add_version(txn, &q, &d, created_by, ready).await?;
                        }
                    }
                }
                Ok(added)
            })
        })
        .await?;
    report.new_topics = new_topics;
    Ok(report)
}

const PLUGINFILE: &str = "@@PLUGINFILE@@/";

/// Saves embedded images as blobs and points the texts at `/media/<sha>/<name>`.
async fn store_images(
    db: &impl sea_orm::ConnectionTrait,
    d: &mut QuestionDraft,
) -> Result<(), AppError> {
    for img in std::mem::take(&mut d.images) {
        let mime = mime_guess::from_path(&img.name).first_or_octet_stream();
        let sha = blobs::put(db, &img.data, mime.as_ref()).await?;
        let encoded: String = url::form_urlencoded::byte_serialize(img.name.as_bytes())
            .collect::<String>()
            .replace('+', "%20");
        let target = format!("/media/{sha}/{encoded}");
        let replace = |s: &mut String| {
            *s = s
                .replace(&format!("{PLUGINFILE}{}", img.name), &target)
                .replace(&format!("{PLUGINFILE}{encoded}"), &target);
        };
        replace(&mut d.stem);
        replace(&mut d.general_feedback);
        for o in &mut d.options {
            replace(&mut o.text);
            replace(&mut o.feedback);
        }
    }
    Ok(())
}

/// The reverse of [`store_images`] for export: blobs become embedded images.
async fn embed_images(db: &DatabaseConnection, d: &mut QuestionDraft) -> Result<(), AppError> {
    let mut texts: Vec<&mut String> = vec![&mut d.stem, &mut d.general_feedback];
    for o in &mut d.options {
        texts.push(&mut o.text);
        texts.push(&mut o.feedback);
    }
    let mut images: Vec<EmbeddedImage> = Vec::new();
    for text in texts {
        while let Some(start) = text.find("/media/") {
            let rest = &text[start + 7..];
            let Some(slash) = rest.find('/') else { break };
            let sha = rest[..slash].to_string();
            let name_end = rest[slash + 1..]
                .find(|c: char| c == ')' || c == '"' || c == '\'' || c.is_whitespace())
                .map(|i| slash + 1 + i)
                .unwrap_or(rest.len());
            let name = rest[slash + 1..name_end].to_string();
            let whole = format!("/media/{sha}/{name}");
            match blobs::get(db, &sha).await? {
                Some(b) => {
                    let decoded: String =
                        url::form_urlencoded::parse(format!("n={name}").as_bytes())
                            .next()
                            .map(|(_, v)| v.into_owned())
                            .unwrap_or_else(|| name.clone());
                    if !images.iter().any(|i| i.name == decoded) {
                        images.push(EmbeddedImage {
                            name: decoded,
                            data: b.data,
                        });
                    }
                    *text = text.replacen(&whole, &format!("{PLUGINFILE}{name}"), 1);
                }
                None => break,
            }
        }
    }
    d.images = images;
    Ok(())
}

/// A question as the authoring form and `POST /api/v1/questions` send it.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct QuestionInput {
    pub module: String,
    pub topic: Option<String>,
    /// `easy`, `medium` or `hard`.
    pub difficulty: String,
    /// `single`, `multiple` or `true_false`.
    #[serde(rename = "type")]
    pub qtype: String,
    /// `markdown` (default), `html` or `plain`.
    pub format: Option<String>,
    pub stem: String,
    pub options: Vec<OptionInput>,
    #[serde(default)]
    pub general_feedback: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// A stable id of your own (e.g. `IU04-123`).
    pub external_id: Option<String>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct OptionInput {
    pub text: String,
    #[serde(default)]
    pub correct: bool,
    #[serde(default)]
    pub feedback: String,
}

fn invalid(vi: impl Into<String>, en: impl Into<String>) -> AppError {
    AppError::unprocessable("invalid_question", vi, en)
}

impl QuestionInput {
    pub fn into_draft(self) -> Result<QuestionDraft, AppError> {
        let module = ModuleCode::parse(&self.module).ok_or_else(|| {
            invalid(
                format!("Mô-đun “{}” không hợp lệ.", self.module),
                format!("Unknown module “{}”.", self.module),
            )
        })?;
        let topic = match self
            .topic
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            None => None,
            Some(t) => {
                let code = TopicCode::parse(t)
                    .filter(|c| c.module() == module)
                    .ok_or_else(|| {
                        invalid(
                            format!("Chủ đề “{t}” không thuộc mô-đun {}.", module.as_str()),
                            format!("Topic “{t}” is not under {}.", module.as_str()),
                        )
                    })?;
                Some(code)
            }
        };
        let difficulty = Difficulty::parse(&self.difficulty).ok_or_else(|| {
            invalid(
                "Mức độ phải là dễ, trung bình hoặc khó.",
                "Difficulty must be easy, medium or hard.",
            )
        })?;
        let qtype = QuestionType::parse(&self.qtype).ok_or_else(|| {
            invalid(
                "Loại câu hỏi phải là single, multiple hoặc true_false.",
                "Type must be single, multiple or true_false.",
            )
        })?;
        let format = match self.format.as_deref() {
            None => TextFormat::Markdown,
            Some(f) => TextFormat::parse(f)
                .ok_or_else(|| invalid("Định dạng không hợp lệ.", "Unknown text format."))?,
        };
        let draft = QuestionDraft {
            external_id: self.external_id.filter(|e| !e.trim().is_empty()),
            title: None,
            module: Some(module),
            topic,
            difficulty: Some(difficulty),
            qtype,
            format,
            stem: self.stem,
            options: self
                .options
                .into_iter()
                .filter(|o| !o.text.trim().is_empty() || o.correct)
                .map(|o| OptionDraft {
                    text: o.text,
                    correct: o.correct,
                    feedback: o.feedback,
                })
                .collect(),
            general_feedback: self.general_feedback,
            tags: self
                .tags
                .into_iter()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
            images: Vec::new(),
        };
        draft
            .validate()
            .map_err(|e| invalid(e.message(Lang::Vi), e.message(Lang::En)))?;
        Ok(draft)
    }
}

pub fn require_author(user: &UserRecord) -> Result<(), AppError> {
    if user.has(Role::Trainer) || user.has(Role::Admin) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

pub async fn create(
    db: &DatabaseConnection,
    user: &UserRecord,
    input: QuestionInput,
) -> Result<QuestionRecord, AppError> {
    require_author(user)?;
    let draft = input.into_draft()?;
    if let Some(ext) = &draft.external_id
        && store::by_external_id(db, ext).await?.is_some()
    {
        return Err(AppError::conflict(
            "external_id_taken",
            format!("Mã “{ext}” đã được dùng."),
            format!("The id “{ext}” is taken."),
        ));
    }
    let id = db
        .transaction::<_, Uuid, AppError>(|txn| {
            let draft = draft.clone();
            let author = user.user.id;
            Box::pin(async move {
                if let Some(t) = &draft.topic {
                    store::ensure_topics(txn, std::slice::from_ref(t)).await?;
                }
                Ok(store::create(txn, &draft, Some(author), None).await?)
            })
        })
        .await?;
    store::get(db, id).await?.ok_or_else(AppError::not_found)
}

/// Saves an edit as a new version (a draft until approved).
pub async fn update(
    db: &DatabaseConnection,
    user: &UserRecord,
    id: Uuid,
    input: QuestionInput,
) -> Result<QuestionRecord, AppError> {
    require_author(user)?;
    let current = store::get(db, id).await?.ok_or_else(AppError::not_found)?;
    let mut draft = input.into_draft()?;
    if draft.external_id.is_none() {
        draft.external_id = current.question.external_id.clone();
    }
    if store::same_content(&current, &draft) {
        return Ok(current);
    }
    let author = user.user.id;
    db.transaction::<_, (), AppError>(|txn| {
        let q = current.question.clone();
        Box::pin(async move {
            if let Some(t) = &draft.topic {
                store::ensure_topics(txn, std::slice::from_ref(t)).await?;
            }
            store::add_version(txn, &q, &draft, Some(author), None).await?;
            Ok(())
        })
    })
    .await?;
    store::get(db, id).await?.ok_or_else(AppError::not_found)
}

/// Approves the current version: a trainer approves others' drafts, an
/// admin any draft (their own imports included).
pub async fn approve(
    db: &DatabaseConnection,
    user: &UserRecord,
    id: Uuid,
) -> Result<QuestionRecord, AppError> {
    require_author(user)?;
    let current = store::get(db, id).await?.ok_or_else(AppError::not_found)?;
    if current.question.status != Status::Draft.as_str() {
        return Err(AppError::conflict(
            "not_a_draft",
            "Câu hỏi không ở trạng thái bản nháp.",
            "The question is not a draft.",
        ));
    }
    if !user.has(Role::Admin) && current.version.created_by == Some(user.user.id) {
        return Err(AppError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "own_draft",
            "Giảng viên không tự duyệt câu hỏi của mình; cần một giảng viên khác hoặc quản trị viên.",
            "A trainer cannot approve their own draft; another trainer or an admin must.",
        ));
    }
    store::approve(db, &current.question, user.user.id).await?;
    store::get(db, id).await?.ok_or_else(AppError::not_found)
}

pub async fn retire(
    db: &DatabaseConnection,
    user: &UserRecord,
    ids: &[Uuid],
) -> Result<u64, AppError> {
    require_author(user)?;
    Ok(store::retire(db, ids).await?)
}

/// Output formats of the bank.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Gift,
    MoodleXml,
    Xlsx,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "gift" => Some(ExportFormat::Gift),
            "moodle-xml" | "moodle_xml" | "xml" => Some(ExportFormat::MoodleXml),
            "xlsx" => Some(ExportFormat::Xlsx),
            _ => None,
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Gift => "text/plain; charset=utf-8",
            ExportFormat::MoodleXml => "application/xml; charset=utf-8",
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Gift => "gift",
            ExportFormat::MoodleXml => "xml",
            ExportFormat::Xlsx => "xlsx",
        }
    }
}

/// The current version of every question that matches (retired ones only
/// when asked for by status).
pub async fn export(
    db: &DatabaseConnection,
    format: ExportFormat,
    filter: &store::QuestionFilter,
) -> Result<Vec<u8>, AppError> {
    let mut records = store::all(db, filter).await?;
    if filter.status.is_none() {
        records.retain(|r| r.question.status != Status::Retired.as_str());
    }
    let mut drafts = Vec::with_capacity(records.len());
    for r in &records {
        let mut d = r.to_draft();
        if format == ExportFormat::MoodleXml {
            embed_images(db, &mut d).await?;
        }
        drafts.push(d);
    }
    Ok(match format {
        ExportFormat::Gift => gift::write(&drafts).into_bytes(),
        ExportFormat::MoodleXml => moodle_xml::write(&drafts).into_bytes(),
        ExportFormat::Xlsx => question_sheet::write_xlsx(&drafts).map_err(|e| {
            invalid(
                format!("{} ({e})", e.message(Lang::Vi)),
                format!("{} ({e})", e.message(Lang::En)),
            )
        })?,
    })
}

/// A question as a candidate sees it: rendered, sanitized, no answer key.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CandidateQuestion {
    pub stem_html: String,
    pub multiple: bool,
    pub options: Vec<CandidateOption>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CandidateOption {
    pub id: Uuid,
    pub text_html: String,
}

/// Renders a draft or stored version for candidates, options in the given order.
pub fn candidate_view(
    format: TextFormat,
    stem: &str,
    qtype: QuestionType,
    options: &[(Uuid, String)],
) -> CandidateQuestion {
    CandidateQuestion {
        stem_html: crate::render::to_html(stem, format),
        multiple: qtype == QuestionType::Multiple,
        options: options
            .iter()
            .map(|(id, text)| CandidateOption {
                id: *id,
                text_html: crate::render::to_inline_html(text, format),
            })
            .collect(),
    }
}

/// The candidate's view of a stored question's current version.
pub fn candidate_view_of(r: &QuestionRecord) -> CandidateQuestion {
    let options: Vec<(Uuid, String)> = r.options().into_iter().map(|o| (o.id, o.text)).collect();
    candidate_view(
        r.format(),
        &r.version.stem,
        QuestionType::parse(&r.version.qtype).unwrap_or(QuestionType::Single),
        &options,
    )
}
