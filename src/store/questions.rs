//! Questions and their versions. Every change makes a new version; a paper
//! refers to the version it drew, so edits never change a drawn paper.
use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::question::{
    Difficulty, ModuleCode, OptionDraft, QuestionDraft, QuestionType, Status, TextFormat, TopicCode,
};
use crate::entities::{question, question_version, topic};

/// An option as stored in a version, with an id answers can refer to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredOption {
    pub id: Uuid,
    pub text: String,
    pub correct: bool,
    pub feedback: String,
}

/// A question with the version being looked at.
#[derive(Clone, Debug)]
pub struct QuestionRecord {
    pub question: question::Model,
    pub version: question_version::Model,
}

impl QuestionRecord {
    pub fn options(&self) -> Vec<StoredOption> {
        parse_options(&self.version.options)
    }
    pub fn tags(&self) -> Vec<String> {
        serde_json::from_str(&self.version.tags).unwrap_or_default()
    }
    pub fn format(&self) -> TextFormat {
        TextFormat::parse(&self.version.format).unwrap_or_default()
    }

    /// The version as a draft (for comparing with an import, or exporting).
    pub fn to_draft(&self) -> QuestionDraft {
        let v = &self.version;
        QuestionDraft {
            external_id: Some(
                self.question
                    .external_id
                    .clone()
                    .unwrap_or_else(|| self.question.id.to_string()),
            ),
            title: None,
            module: ModuleCode::parse(&v.module),
            topic: v.topic.as_deref().and_then(TopicCode::parse),
            difficulty: Difficulty::parse(&v.difficulty),
            qtype: QuestionType::parse(&v.qtype).unwrap_or(QuestionType::Single),
            format: self.format(),
            stem: v.stem.clone(),
            options: self
                .options()
                .into_iter()
                .map(|o| OptionDraft {
                    text: o.text,
                    correct: o.correct,
                    feedback: o.feedback,
                })
                .collect(),
            general_feedback: v.general_feedback.clone(),
            tags: self.tags(),
            images: Vec::new(),
        }
    }
}

pub fn parse_options(json: &str) -> Vec<StoredOption> {
    serde_json::from_str(json).unwrap_or_default()
}

/// What a stored version says, compared field by field with a draft.
pub fn same_content(record: &QuestionRecord, draft: &QuestionDraft) -> bool {
    let mine = record.to_draft();
    mine.module == draft.module
        && mine.topic == draft.topic
        && mine.difficulty == draft.difficulty
        && mine.qtype == draft.qtype
        && mine.format == draft.format
        && mine.stem.trim() == draft.stem.trim()
        && mine.general_feedback.trim() == draft.general_feedback.trim()
        && mine.tags == draft.tags
        && mine.options.len() == draft.options.len()
        && mine.options.iter().zip(&draft.options).all(|(a, b)| {
            a.text.trim() == b.text.trim()
                && a.correct == b.correct
                && a.feedback.trim() == b.feedback.trim()
        })
}

fn module_of(d: &QuestionDraft) -> String {
    d.module
        .as_ref()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default()
}

fn topic_of(d: &QuestionDraft) -> Option<String> {
    d.topic.as_ref().map(|t| t.as_str().to_string())
}

fn difficulty_of(d: &QuestionDraft) -> &'static str {
    d.difficulty.unwrap_or(Difficulty::Medium).as_str()
}

fn version_model(
    question_id: Uuid,
    version: i32,
    draft: &QuestionDraft,
    created_by: Option<Uuid>,
    approved_by: Option<Option<Uuid>>,
) -> question_version::ActiveModel {
    let now = Utc::now();
    let options: Vec<StoredOption> = draft
        .options
        .iter()
        .map(|o| StoredOption {
            id: Uuid::now_v7(),
            text: o.text.trim().to_string(),
            correct: o.correct,
            feedback: o.feedback.trim().to_string(),
        })
        .collect();
    question_version::ActiveModel {
        id: Set(Uuid::now_v7()),
        question_id: Set(question_id),
        version: Set(version),
        module: Set(module_of(draft)),
        topic: Set(topic_of(draft)),
        difficulty: Set(difficulty_of(draft).to_string()),
        qtype: Set(draft.qtype.as_str().to_string()),
        format: Set(draft.format.as_str().to_string()),
        stem: Set(draft.stem.trim().to_string()),
        options: Set(serde_json::to_string(&options).unwrap_or_else(|_| "[]".into())),
        general_feedback: Set(draft.general_feedback.trim().to_string()),
        tags: Set(serde_json::to_string(&draft.tags).unwrap_or_else(|_| "[]".into())),
        content_hash: Set(draft.content_hash()),
        created_by: Set(created_by),
        created_at: Set(now),
        approved_by: Set(approved_by.flatten()),
        approved_at: Set(approved_by.map(|_| now)),
    }
}

/// Creates a question with its first version. `ready` marks it reviewed
/// (the shipped bank, or an approval at creation); `approved_by` names who.
pub async fn create(
    db: &impl ConnectionTrait,
    draft: &QuestionDraft,
    created_by: Option<Uuid>,
    ready: Option<Option<Uuid>>,
) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    let now = Utc::now();
    let external_id = draft
        .external_id
        .clone()
        .filter(|e| !e.trim().is_empty() && Uuid::parse_str(e).is_err());
    question::Entity::insert(question::ActiveModel {
        id: Set(id),
        external_id: Set(external_id),
        module: Set(module_of(draft)),
        topic: Set(topic_of(draft)),
        difficulty: Set(difficulty_of(draft).to_string()),
        qtype: Set(draft.qtype.as_str().to_string()),
        status: Set(if ready.is_some() {
            Status::Ready
        } else {
            Status::Draft
        }
        .as_str()
        .to_string()),
        current_version: Set(1),
        ready_version: Set(ready.is_some().then_some(1)),
        content_hash: Set(draft.content_hash()),
        created_by: Set(created_by),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    question_version::Entity::insert(version_model(id, 1, draft, created_by, ready))
        .exec_without_returning(db)
        .await?;
    Ok(id)
}

/// Adds a version; the question shows it from now on, as a draft unless `ready`.
pub async fn add_version(
    db: &impl ConnectionTrait,
    q: &question::Model,
    draft: &QuestionDraft,
    created_by: Option<Uuid>,
    ready: Option<Option<Uuid>>,
) -> Result<i32, DbErr> {
    let version = q.current_version + 1;
    question_version::Entity::insert(version_model(q.id, version, draft, created_by, ready))
        .exec_without_returning(db)
        .await?;
    let status = if q.status == Status::Retired.as_str() {
        Status::Retired
    } else if ready.is_some() {
        Status::Ready
    } else {
        Status::Draft
    };
    let mut update = question::Entity::update_many()
        .col_expr(question::Column::CurrentVersion, Expr::value(version))
        .col_expr(question::Column::Status, Expr::value(status.as_str()))
        .col_expr(question::Column::Module, Expr::value(module_of(draft)))
        .col_expr(question::Column::Topic, Expr::value(topic_of(draft)))
        .col_expr(
            question::Column::Difficulty,
            Expr::value(difficulty_of(draft)),
        )
        .col_expr(question::Column::Qtype, Expr::value(draft.qtype.as_str()))
        .col_expr(
            question::Column::ContentHash,
            Expr::value(draft.content_hash()),
        )
        .col_expr(question::Column::UpdatedAt, Expr::value(Utc::now()));
    if ready.is_some() {
        update = update.col_expr(question::Column::ReadyVersion, Expr::value(version));
    }
    update
        .filter(question::Column::Id.eq(q.id))
        .exec(db)
        .await?;
    Ok(version)
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<QuestionRecord>, DbErr> {
    let Some(q) = question::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let v = version_of(db, id, q.current_version).await?;
    Ok(v.map(|version| QuestionRecord {
        question: q,
        version,
    }))
}

pub async fn version_of(
    db: &impl ConnectionTrait,
    id: Uuid,
    version: i32,
) -> Result<Option<question_version::Model>, DbErr> {
    question_version::Entity::find()
        .filter(question_version::Column::QuestionId.eq(id))
        .filter(question_version::Column::Version.eq(version))
        .one(db)
        .await
}

pub async fn versions(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Vec<question_version::Model>, DbErr> {
    question_version::Entity::find()
        .filter(question_version::Column::QuestionId.eq(id))
        .order_by_desc(question_version::Column::Version)
        .all(db)
        .await
}

/// The stored question a draft is the same as: by external id, by our id,
/// else by the content hash of the current version.
pub async fn find_match(
    db: &impl ConnectionTrait,
    draft: &QuestionDraft,
) -> Result<Option<question::Model>, DbErr> {
    if let Some(ext) = draft
        .external_id
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        if let Ok(id) = Uuid::parse_str(ext)
            && let Some(q) = question::Entity::find_by_id(id).one(db).await?
        {
            return Ok(Some(q));
        }
        if let Some(q) = question::Entity::find()
            .filter(question::Column::ExternalId.eq(ext))
            .one(db)
            .await?
        {
            return Ok(Some(q));
        }
    }
    question::Entity::find()
        .filter(question::Column::ContentHash.eq(draft.content_hash()))
        .one(db)
        .await
}

pub async fn by_external_id(
    db: &impl ConnectionTrait,
    ext: &str,
) -> Result<Option<question::Model>, DbErr> {
    question::Entity::find()
        .filter(question::Column::ExternalId.eq(ext.trim()))
        .one(db)
        .await
}

/// Marks the current version reviewed; it becomes the one exams draw.
pub async fn approve(
    db: &impl ConnectionTrait,
    q: &question::Model,
    approver: Uuid,
) -> Result<(), DbErr> {
    let now = Utc::now();
    question_version::Entity::update_many()
        .col_expr(question_version::Column::ApprovedBy, Expr::value(approver))
        .col_expr(question_version::Column::ApprovedAt, Expr::value(now))
        .filter(question_version::Column::QuestionId.eq(q.id))
        .filter(question_version::Column::Version.eq(q.current_version))
        .exec(db)
        .await?;
    question::Entity::update_many()
        .col_expr(
            question::Column::Status,
            Expr::value(Status::Ready.as_str()),
        )
        .col_expr(
            question::Column::ReadyVersion,
            Expr::value(q.current_version),
        )
        .col_expr(question::Column::UpdatedAt, Expr::value(now))
        .filter(question::Column::Id.eq(q.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Retires questions (never drawn again; papers already drawn keep them).
pub async fn retire(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<u64, DbErr> {
    let res = question::Entity::update_many()
        .col_expr(
            question::Column::Status,
            Expr::value(Status::Retired.as_str()),
        )
        .col_expr(question::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(question::Column::Id.is_in(ids.iter().copied()))
        .filter(question::Column::Status.ne(Status::Retired.as_str()))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

#[derive(Clone, Debug, Default)]
pub struct QuestionFilter {
    pub module: Option<String>,
    pub topic: Option<String>,
    pub difficulty: Option<Difficulty>,
    pub status: Option<Status>,
    pub search: Option<String>,
}

fn filtered(f: &QuestionFilter) -> sea_orm::Select<question::Entity> {
    let mut q = question::Entity::find();
    if let Some(m) = &f.module {
        q = q.filter(question::Column::Module.eq(m.to_ascii_uppercase()));
    }
    if let Some(t) = &f.topic {
        let t = t.to_ascii_uppercase();
        q = q.filter(
            Condition::any()
                .add(question::Column::Topic.eq(t.clone()))
                .add(question::Column::Topic.like(format!("{t}.%"))),
        );
    }
    if let Some(d) = f.difficulty {
        q = q.filter(question::Column::Difficulty.eq(d.as_str()));
    }
    if let Some(s) = f.status {
        q = q.filter(question::Column::Status.eq(s.as_str()));
    }
    if let Some(s) = f
        .search
        .as_ref()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        q = q.filter(
            Condition::any()
                .add(question::Column::ExternalId.like(format!("%{s}%")))
                .add(
                    question::Column::Id.in_subquery(
                        sea_orm::sea_query::Query::select()
                            .column(question_version::Column::QuestionId)
                            .from(question_version::Entity)
                            .and_where(question_version::Column::Stem.like(format!("%{s}%")))
                            .to_owned(),
                    ),
                ),
        );
    }
    q
}

pub async fn list(
    db: &impl ConnectionTrait,
    f: &QuestionFilter,
    page: u64,
    per_page: u64,
) -> Result<(Vec<QuestionRecord>, u64), DbErr> {
    let q = filtered(f);
    let total = q.clone().count(db).await?;
    let questions = q
        .order_by_asc(question::Column::Module)
        .order_by_asc(question::Column::Topic)
        .order_by_asc(question::Column::ExternalId)
        .order_by_asc(question::Column::Id)
        .offset(page.saturating_sub(1) * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    let records = with_current_versions(db, questions).await?;
    Ok((records, total))
}

/// Every question matching `f`, with its current version (for export).
pub async fn all(
    db: &impl ConnectionTrait,
    f: &QuestionFilter,
) -> Result<Vec<QuestionRecord>, DbErr> {
    let questions = filtered(f)
        .order_by_asc(question::Column::Module)
        .order_by_asc(question::Column::Topic)
        .order_by_asc(question::Column::ExternalId)
        .all(db)
        .await?;
    with_current_versions(db, questions).await
}

async fn with_current_versions(
    db: &impl ConnectionTrait,
    questions: Vec<question::Model>,
) -> Result<Vec<QuestionRecord>, DbErr> {
    let mut versions: HashMap<(Uuid, i32), question_version::Model> = HashMap::new();
    for chunk in questions.chunks(300) {
        let mut cond = Condition::any();
        for q in chunk {
            cond = cond.add(
                Condition::all()
                    .add(question_version::Column::QuestionId.eq(q.id))
                    .add(question_version::Column::Version.eq(q.current_version)),
            );
        }
        for v in question_version::Entity::find()
            .filter(cond)
            .all(db)
            .await?
        {
            versions.insert((v.question_id, v.version), v);
        }
    }
    Ok(questions
        .into_iter()
        .filter_map(|q| {
            versions
                .remove(&(q.id, q.current_version))
                .map(|version| QuestionRecord {
                    question: q,
                    version,
                })
        })
        .collect())
}

/// Counts by module, topic and difficulty (for checking a blueprint).
pub async fn counts(
    db: &impl ConnectionTrait,
    status: Option<Status>,
) -> Result<Vec<(String, Option<String>, String, i64)>, DbErr> {
    let mut q = question::Entity::find()
        .select_only()
        .column(question::Column::Module)
        .column(question::Column::Topic)
        .column(question::Column::Difficulty)
        .column_as(question::Column::Id.count(), "n")
        .group_by(question::Column::Module)
        .group_by(question::Column::Topic)
        .group_by(question::Column::Difficulty)
        .order_by_asc(question::Column::Module)
        .order_by_asc(question::Column::Topic);
    if let Some(s) = status {
        q = q.filter(question::Column::Status.eq(s.as_str()));
    }
    q.into_tuple::<(String, Option<String>, String, i64)>()
        .all(db)
        .await
}

/// Adds topic codes not yet in the taxonomy (named by their code until a
/// trainer names them); returns the ones added.
pub async fn ensure_topics(
    db: &impl ConnectionTrait,
    codes: &[TopicCode],
) -> Result<Vec<String>, DbErr> {
    let mut added = Vec::new();
    for code in codes {
        if topic::Entity::find_by_id(code.as_str().to_string())
            .one(db)
            .await?
            .is_none()
        {
            topic::Entity::insert(topic::ActiveModel {
                code: Set(code.as_str().to_string()),
                module: Set(code.module().as_str().to_string()),
                name_vi: Set(None),
                name_en: Set(None),
                created_at: Set(Utc::now()),
            })
            .on_conflict_do_nothing()
            .exec_without_returning(db)
            .await?;
            added.push(code.as_str().to_string());
        }
    }
    Ok(added)
}

pub async fn topics(db: &impl ConnectionTrait) -> Result<Vec<topic::Model>, DbErr> {
    topic::Entity::find()
        .order_by_asc(topic::Column::Code)
        .all(db)
        .await
}

pub async fn count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    question::Entity::find().count(db).await
}

/// Ready questions of a module (optionally only some topics, sub-topics
/// included) with the version exams draw.
pub async fn ready_pool(
    db: &impl ConnectionTrait,
    module: &str,
    topics: &[String],
) -> Result<Vec<(question::Model, question_version::Model)>, DbErr> {
    let mut q = question::Entity::find()
        .filter(question::Column::Module.eq(module))
        .filter(question::Column::Status.eq(Status::Ready.as_str()))
        .filter(question::Column::ReadyVersion.is_not_null());
    if !topics.is_empty() {
        let mut cond = Condition::any();
        for t in topics {
            cond = cond
                .add(question::Column::Topic.eq(t.clone()))
                .add(question::Column::Topic.like(format!("{t}.%")));
        }
        q = q.filter(cond);
    }
    let questions = q.all(db).await?;
    let mut out = Vec::with_capacity(questions.len());
    for chunk in questions.chunks(300) {
        let mut cond = Condition::any();
        for qq in chunk {
            cond = cond.add(
                Condition::all()
                    .add(question_version::Column::QuestionId.eq(qq.id))
                    .add(question_version::Column::Version.eq(qq.ready_version.unwrap_or(0))),
            );
        }
        let versions = question_version::Entity::find()
            .filter(cond)
            .all(db)
            .await?;
        for qq in chunk {
            if let Some(v) = versions
                .iter()
                .find(|v| v.question_id == qq.id && Some(v.version) == qq.ready_version)
            {
                out.push((qq.clone(), v.clone()));
            }
        }
    }
    Ok(out)
}

pub async fn version_by_id(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<question_version::Model>, DbErr> {
    question_version::Entity::find_by_id(id).one(db).await
}

/// Question versions never change once written (an edit makes a new
/// version), so each instance may keep the ones papers use in memory.
static VERSIONS: std::sync::LazyLock<
    std::sync::Mutex<HashMap<Uuid, std::sync::Arc<question_version::Model>>>,
> = std::sync::LazyLock::new(Default::default);

/// [`version_by_id`] through the per-instance cache of immutable versions.
pub async fn version_cached(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<std::sync::Arc<question_version::Model>>, DbErr> {
    if let Ok(cache) = VERSIONS.lock()
        && let Some(v) = cache.get(&id)
    {
        return Ok(Some(v.clone()));
    }
    let Some(v) = version_by_id(db, id).await? else {
        return Ok(None);
    };
    let v = std::sync::Arc::new(v);
    if let Ok(mut cache) = VERSIONS.lock() {
        if cache.len() > 50_000 {
            cache.clear();
        }
        cache.insert(id, v.clone());
    }
    Ok(Some(v))
}

/// A fingerprint of the ready set: it changes whenever a question becomes
/// ready, is retired, or gets a newly approved version.
pub async fn ready_fingerprint(db: &impl ConnectionTrait) -> Result<String, DbErr> {
    use sea_orm::sea_query::{Alias, ExprTrait, Func, Query};
    let q = Query::select()
        .expr_as(
            Func::count(Expr::col(question::Column::Id)),
            Alias::new("n"),
        )
        .expr_as(
            Func::coalesce([
                Func::sum(Expr::col(question::Column::ReadyVersion)).into(),
                Expr::value(0),
            ]),
            Alias::new("v"),
        )
        .expr_as(
            Func::max(Expr::col(question::Column::UpdatedAt)),
            Alias::new("t"),
        )
        .from(question::Entity)
        .and_where(Expr::col(question::Column::Status).eq(Status::Ready.as_str()))
        .to_owned();
    let row = db
        .query_one_raw(db.get_database_backend().build(&q))
        .await?;
    Ok(match row {
        Some(r) => {
            let n: i64 = r.try_get("", "n").unwrap_or(0);
            let v: i64 = r
                .try_get::<Option<i64>>("", "v")
                .ok()
                .flatten()
                .unwrap_or(0);
            let t = match r.try_get::<Option<chrono::DateTime<Utc>>>("", "t") {
                Ok(t) => t.map(|t| t.timestamp_micros().to_string()),
                Err(_) => r.try_get::<Option<String>>("", "t").ok().flatten(),
            };
            format!("{n}:{v}:{}", t.unwrap_or_default())
        }
        None => String::new(),
    })
}
