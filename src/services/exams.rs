//! The exam engine: blueprints, sessions, registration, drawing a paper,
//! saving answers against the server's clock, and finishing each attempt
//! exactly once (on submit, when read after the deadline, or by the sweeper).
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use rand::SeedableRng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::blueprint::{self, Section};
use crate::domain::cidr::Cidr;
use crate::domain::paper::{self, PoolQuestion, Scoring};
use crate::domain::question::{Difficulty, QuestionType, TextFormat};
use crate::domain::role::Role;
use crate::entities::{
    attempt, attempt_event, attempt_item, blueprint as bp, exam_registration, exam_session,
};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::render;
use crate::services::answer_writer::{AnswerRow, AnswerWriter};
use crate::store::questions as bank;
use crate::store::users::UserRecord;

pub const IN_PROGRESS: &str = "in_progress";
pub const GRADED: &str = "graded";

fn invalid(vi: impl Into<String>, en: impl Into<String>) -> AppError {
    AppError::unprocessable("invalid_field", vi, en)
}

// ---------- blueprints ----------

#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct BlueprintInput {
    pub name: String,
    pub time_limit_seconds: i32,
    #[serde(default = "default_pass")]
    pub pass_score: f64,
    #[serde(default)]
    pub multiple_scoring: Scoring,
    #[serde(default = "yes")]
    pub shuffle: bool,
    pub sections: Vec<Section>,
}

fn default_pass() -> f64 {
    5.0
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BlueprintView {
    pub id: Uuid,
    pub name: String,
    pub time_limit_seconds: i32,
    pub pass_score: f64,
    pub multiple_scoring: Scoring,
    pub shuffle: bool,
    pub sections: Vec<Section>,
    pub questions: u32,
}

pub fn blueprint_view(m: &bp::Model) -> BlueprintView {
    let sections: Vec<Section> = serde_json::from_str(&m.sections).unwrap_or_default();
    BlueprintView {
        id: m.id,
        name: m.name.clone(),
        time_limit_seconds: m.time_limit_seconds,
        pass_score: m.pass_score,
        multiple_scoring: serde_json::from_value(serde_json::Value::String(
            m.multiple_scoring.clone(),
        ))
        .unwrap_or_default(),
        shuffle: m.shuffle,
        questions: sections.iter().map(|s| s.count).sum(),
        sections,
    }
}

/// Every ready question of the modules the sections name, as a pool.
/// The ready questions of some modules, per instance, reused while the
/// ready set's fingerprint is unchanged (one cheap query per start instead of
/// loading the bank).
type PoolCache = HashMap<String, (String, std::sync::Arc<Vec<PoolQuestion>>)>;
static POOLS: std::sync::LazyLock<std::sync::Mutex<PoolCache>> =
    std::sync::LazyLock::new(Default::default);

async fn pool_for(
    db: &impl ConnectionTrait,
    sections: &[Section],
    seen: &HashMap<Uuid, u32>,
) -> Result<Vec<PoolQuestion>, AppError> {
    let mut modules: Vec<String> = sections
        .iter()
        .map(|s| s.module.to_ascii_uppercase())
        .collect();
    modules.sort();
    modules.dedup();
    let key = modules.join(",");
    let fingerprint = bank::ready_fingerprint(db).await?;
    let cached = POOLS.lock().ok().and_then(|c| {
        c.get(&key)
            .filter(|(f, _)| *f == fingerprint)
            .map(|(_, p)| p.clone())
    });
    let base = match cached {
        Some(p) => p,
        None => {
            let mut pool = Vec::new();
            for m in &modules {
                for (q, v) in bank::ready_pool(db, m, &[]).await? {
                    let options = bank::parse_options(&v.options);
                    pool.push(PoolQuestion {
                        question_id: q.id,
                        version_id: v.id,
                        module: v.module.clone(),
                        topic: v.topic.clone(),
                        difficulty: Difficulty::parse(&v.difficulty).unwrap_or(Difficulty::Medium),
                        qtype: QuestionType::parse(&v.qtype).unwrap_or(QuestionType::Single),
                        correct: options.iter().filter(|o| o.correct).map(|o| o.id).collect(),
                        options: options.iter().map(|o| o.id).collect(),
                        seen: 0,
                    });
                }
            }
            let pool = std::sync::Arc::new(pool);
            if let Ok(mut c) = POOLS.lock() {
                c.insert(key, (fingerprint, pool.clone()));
            }
            pool
        }
    };
    Ok(base
        .iter()
        .map(|p| PoolQuestion {
            seen: seen.get(&p.question_id).copied().unwrap_or(0),
            ..p.clone()
        })
        .collect())
}

/// Validates a blueprint, checks that the ready questions can feed it (naming
/// the short section), and saves it; names are unique (409).
pub async fn create_blueprint(
    db: &DatabaseConnection,
    input: BlueprintInput,
    lang: Lang,
) -> Result<BlueprintView, AppError> {
    let name = input.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(invalid(
            "Cấu trúc đề cần có tên.",
            "A blueprint needs a name.",
        ));
    }
    if !(60..=4 * 3600).contains(&input.time_limit_seconds) {
        return Err(invalid(
            "Thời gian làm bài từ 1 phút đến 4 giờ.",
            "The time limit is 1 minute to 4 hours.",
        ));
    }
    if !(0.0..=10.0).contains(&input.pass_score) {
        return Err(invalid(
            "Điểm đạt trên thang 10.",
            "The pass score is on a 0–10 scale.",
        ));
    }
    let mut sections = input.sections.clone();
    for s in &mut sections {
        s.module = s.module.trim().to_ascii_uppercase();
    }
    blueprint::validate(&sections)
        .map_err(|e| invalid(e.message(Lang::Vi), e.message(Lang::En)))?;
    let pool = pool_for(db, &sections, &HashMap::new()).await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    if let Err(e) = blueprint::draw_paper(&mut rng, &pool, &sections, true) {
        return Err(AppError::unprocessable(
            "bank_too_small",
            e.message(Lang::Vi),
            e.message(Lang::En),
        )
        .with_extra(serde_json::json!({ "detail": e.message(lang) })));
    }
    if bp::Entity::find()
        .filter(bp::Column::Name.eq(&name))
        .one(db)
        .await?
        .is_some()
    {
        return Err(AppError::conflict(
            "name_taken",
            "Tên cấu trúc đề đã có.",
            "A blueprint with this name exists.",
        ));
    }
    let m = bp::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        time_limit_seconds: Set(input.time_limit_seconds),
        pass_score: Set(input.pass_score),
        multiple_scoring: Set(serde_json::to_value(input.multiple_scoring)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "all_or_nothing".into())),
        shuffle: Set(input.shuffle),
        sections: Set(serde_json::to_string(&sections).map_err(AppError::internal)?),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(blueprint_view(&m))
}

pub async fn blueprints(db: &DatabaseConnection) -> Result<Vec<BlueprintView>, AppError> {
    Ok(bp::Entity::find()
        .order_by_asc(bp::Column::Name)
        .all(db)
        .await?
        .iter()
        .map(blueprint_view)
        .collect())
}

/// The shipped default: 5 questions from each of IU01–IU06, 30 minutes, pass at 5.0.
pub const DEFAULT_BLUEPRINT: &str = "Basic theory exam";

pub async fn ensure_default_blueprint(db: &DatabaseConnection) -> Result<(), AppError> {
    if bp::Entity::find()
        .filter(bp::Column::Name.eq(DEFAULT_BLUEPRINT))
        .one(db)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let sections: Vec<Section> = crate::domain::taxonomy::MODULES
        .iter()
        .map(|(code, _, _)| Section {
            module: (*code).to_string(),
            count: 5,
            topics: None,
            difficulty: None,
        })
        .collect();
    bp::Entity::insert(bp::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(DEFAULT_BLUEPRINT.into()),
        time_limit_seconds: Set(30 * 60),
        pass_score: Set(5.0),
        multiple_scoring: Set("all_or_nothing".into()),
        shuffle: Set(true),
        sections: Set(serde_json::to_string(&sections).map_err(AppError::internal)?),
        created_at: Set(Utc::now()),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(db)
    .await?;
    Ok(())
}

// ---------- sessions ----------

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Review {
    /// `score` (default) or `answers`.
    #[serde(default = "score_only")]
    pub show: String,
    /// `finish` (default) or `close`.
    #[serde(default = "at_finish")]
    pub from: String,
}

impl Default for Review {
    fn default() -> Self {
        Review {
            show: score_only(),
            from: at_finish(),
        }
    }
}

fn score_only() -> String {
    "score".into()
}

fn at_finish() -> String {
    "finish".into()
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct SessionInput {
    pub title: String,
    pub blueprint_id: Uuid,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub access_code: Option<String>,
    #[serde(default)]
    pub ip_allow: Vec<String>,
    pub attempts_allowed: Option<i32>,
    pub review: Option<Review>,
    /// `on_grading` (default) or `after_approval`.
    pub issue_mode: Option<String>,
    /// `class_rule` (default) or `open`.
    pub registration: Option<String>,
    /// The course whose classes decide eligibility (default: the only course).
    pub course_id: Option<Uuid>,
    /// Trainers who proctor the session (admins always may).
    #[serde(default)]
    pub proctor_ids: Vec<Uuid>,
    /// A practical part: the practical paper drawn for each candidate.
    pub practical_paper_id: Option<Uuid>,
    /// The practical pass score (default: the paper's, usually 5.0).
    pub practical_pass_score: Option<f64>,
    /// Months a passed part is kept (bảo lưu); default 12.
    pub reserve_months: Option<i32>,
    /// Days after the results within which candidates may appeal; default 15.
    pub appeal_days: Option<i32>,
    /// Blind marks further apart than this (points) go to a third marker; default 1.
    pub marking_threshold: Option<f64>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    pub title: String,
    pub blueprint_id: Uuid,
    pub course_id: Option<Uuid>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub has_access_code: bool,
    pub ip_allow: Vec<String>,
    pub attempts_allowed: i32,
    pub review: Review,
    pub issue_mode: String,
    pub registration: String,
    pub proctor_ids: Vec<Uuid>,
    /// When the results were approved (the decision approving results).
    pub approved_at: Option<DateTime<Utc>>,
    pub practical_paper_id: Option<Uuid>,
    pub practical_pass_score: Option<f64>,
    pub reserve_months: i32,
    pub appeal_days: i32,
    pub marking_threshold: f64,
}

pub fn session_view(m: &exam_session::Model) -> SessionView {
    SessionView {
        id: m.id,
        title: m.title.clone(),
        blueprint_id: m.blueprint_id,
        course_id: m.course_id,
        opens_at: m.opens_at,
        closes_at: m.closes_at,
        has_access_code: m.access_code.is_some(),
        ip_allow: serde_json::from_str(&m.ip_allow).unwrap_or_default(),
        attempts_allowed: m.attempts_allowed,
        review: serde_json::from_str(&m.review).unwrap_or_default(),
        issue_mode: m.issue_mode.clone(),
        registration: m.registration.clone(),
        proctor_ids: Vec::new(),
        approved_at: m.approved_at,
        practical_paper_id: m.practical_paper_id,
        practical_pass_score: m.practical_pass_score,
        reserve_months: m.reserve_months,
        appeal_days: m.appeal_days,
        marking_threshold: m.marking_threshold,
    }
}

/// A session's view with its proctors.
pub async fn session_view_full(
    db: &impl ConnectionTrait,
    m: &exam_session::Model,
) -> Result<SessionView, AppError> {
    let mut v = session_view(m);
    v.proctor_ids = proctors(db, m.id).await?;
    Ok(v)
}

pub async fn proctors(db: &impl ConnectionTrait, session_id: Uuid) -> Result<Vec<Uuid>, AppError> {
    Ok(crate::entities::session_proctor::Entity::find()
        .filter(crate::entities::session_proctor::Column::SessionId.eq(session_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.user_id)
        .collect())
}

/// Admins proctor every session; trainers the sessions they are assigned to.
pub async fn may_proctor(
    db: &impl ConnectionTrait,
    user: &UserRecord,
    session_id: Uuid,
) -> Result<bool, AppError> {
    if user.has(Role::Admin) {
        return Ok(true);
    }
    Ok(user.has(Role::Trainer) && proctors(db, session_id).await?.contains(&user.user.id))
}

pub async fn create_session(
    db: &DatabaseConnection,
    user: &UserRecord,
    input: SessionInput,
) -> Result<SessionView, AppError> {
    let title = input.title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        return Err(invalid("Ca thi cần có tên.", "A session needs a title."));
    }
    if input.closes_at <= input.opens_at {
        return Err(invalid(
            "Giờ đóng phải sau giờ mở.",
            "The session must close after it opens.",
        ));
    }
    bp::Entity::find_by_id(input.blueprint_id)
        .one(db)
        .await?
        .ok_or_else(|| invalid("Cấu trúc đề không tồn tại.", "No such blueprint."))?;
    for c in &input.ip_allow {
        if Cidr::parse(c).is_none() {
            return Err(invalid(
                format!("Dải địa chỉ “{c}” không hợp lệ."),
                format!("Invalid address range “{c}”."),
            ));
        }
    }
    let attempts_allowed = input.attempts_allowed.unwrap_or(1);
    if !(1..=20).contains(&attempts_allowed) {
        return Err(invalid(
            "Số lần làm bài từ 1 đến 20.",
            "Attempts allowed must be 1 to 20.",
        ));
    }
    let review = input.review.unwrap_or_default();
    if !["score", "answers"].contains(&review.show.as_str())
        || !["finish", "close"].contains(&review.from.as_str())
    {
        return Err(invalid(
            "Chế độ xem lại không hợp lệ.",
            "Invalid review policy.",
        ));
    }
    if let Some(pid) = input.practical_paper_id
        && !crate::services::practical::paper_exists(db, pid).await?
    {
        return Err(invalid(
            "Không có đề thực hành này.",
            "There is no such practical paper.",
        ));
    }
    let reserve_months = input.reserve_months.unwrap_or(12);
    let appeal_days = input.appeal_days.unwrap_or(15);
    let marking_threshold = input.marking_threshold.unwrap_or(1.0);
    if !(0..=60).contains(&reserve_months)
        || !(0..=90).contains(&appeal_days)
        || !(0.0..=10.0).contains(&marking_threshold)
        || input
            .practical_pass_score
            .is_some_and(|p| !(0.0..=10.0).contains(&p))
    {
        return Err(invalid(
            "Thời hạn bảo lưu 0–60 tháng, phúc khảo 0–90 ngày, ngưỡng chênh lệch và điểm đạt 0–10.",
            "Reserve 0–60 months, appeals 0–90 days, threshold and pass score 0–10.",
        ));
    }
    let issue_mode = input.issue_mode.unwrap_or_else(|| "on_grading".into());
    if !["on_grading", "after_approval"].contains(&issue_mode.as_str()) {
        return Err(invalid(
            "issue_mode phải là on_grading hoặc after_approval.",
            "issue_mode must be on_grading or after_approval.",
        ));
    }
    let registration = input.registration.unwrap_or_else(|| "class_rule".into());
    if !["class_rule", "open"].contains(&registration.as_str()) {
        return Err(invalid(
            "registration phải là class_rule hoặc open.",
            "registration must be class_rule or open.",
        ));
    }
    let course_id = match input.course_id {
        Some(c) => Some(
            crate::store::courses::tree(db, c)
                .await?
                .ok_or_else(|| invalid("Khóa học không tồn tại.", "No such course."))?
                .course
                .id,
        ),
        None => {
            let all = crate::store::courses::all(db).await?;
            if all.len() == 1 {
                all.first().map(|c| c.id)
            } else {
                None
            }
        }
    };
    if registration == "class_rule" && course_id.is_none() {
        return Err(invalid(
            "Cần chọn khóa học để xét điều kiện dự thi.",
            "Choose the course whose classes decide eligibility.",
        ));
    }
    let m = exam_session::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(title),
        blueprint_id: Set(input.blueprint_id),
        course_id: Set(course_id),
        opens_at: Set(input.opens_at),
        closes_at: Set(input.closes_at),
        access_code: Set(input
            .access_code
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())),
        ip_allow: Set(serde_json::to_string(&input.ip_allow).map_err(AppError::internal)?),
        attempts_allowed: Set(attempts_allowed),
        review: Set(serde_json::to_string(&review).map_err(AppError::internal)?),
        issue_mode: Set(issue_mode),
        registration: Set(registration),
        created_by: Set(Some(user.user.id)),
        created_at: Set(Utc::now()),
        approved_at: Set(None),
        approved_by: Set(None),
        practical_paper_id: Set(input.practical_paper_id),
        practical_pass_score: Set(input.practical_pass_score),
        reserve_months: Set(reserve_months),
        appeal_days: Set(appeal_days),
        marking_threshold: Set(marking_threshold),
        results_at: Set(None),
    }
    .insert(db)
    .await?;
    for p in &input.proctor_ids {
        crate::entities::session_proctor::Entity::insert(
            crate::entities::session_proctor::ActiveModel {
                session_id: Set(m.id),
                user_id: Set(*p),
            },
        )
        .on_conflict_do_nothing()
        .exec_without_returning(db)
        .await?;
    }
    session_view_full(db, &m).await
}

/// Registers a candidate; with the class rule the learner must be eligible
/// (422 `not_eligible` with what is missing). Registering twice is harmless.
pub async fn register(
    db: &DatabaseConnection,
    session_id: Uuid,
    user_id: Uuid,
    lang: Lang,
) -> Result<bool, AppError> {
    let s = exam_session::Entity::find_by_id(session_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let u = crate::store::users::find_by_id(db, user_id)
        .await?
        .ok_or_else(|| invalid("Người dùng không tồn tại.", "No such user."))?;
    if !u.has(Role::Learner) {
        return Err(invalid(
            "Chỉ học viên mới dự thi.",
            "Only learners sit exams.",
        ));
    }
    if s.registration == "class_rule" {
        let course = s.course_id.ok_or_else(AppError::not_found)?;
        let (eligible, missing) =
            crate::services::courses::eligible_for_course(db, user_id, course, lang).await?;
        if !eligible {
            return Err(AppError::unprocessable(
                "not_eligible",
                "Học viên chưa đủ điều kiện dự thi.",
                "The learner is not eligible to sit the exam.",
            )
            .with_extra(serde_json::json!({ "missing": missing })));
        }
    }
    let res = exam_registration::Entity::insert(exam_registration::ActiveModel {
        session_id: Set(session_id),
        user_id: Set(user_id),
        extra_seconds: Set(0),
        registered_at: Set(Utc::now()),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(db)
    .await?;
    Ok(matches!(res, sea_orm::TryInsertResult::Inserted(n) if n > 0))
}

// ---------- attempts ----------

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AttemptOption {
    pub id: Uuid,
    pub text_html: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AttemptQuestion {
    pub position: i32,
    pub stem_html: String,
    pub multiple: bool,
    pub options: Vec<AttemptOption>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AttemptResult {
    pub state: String,
    pub score: f64,
    pub max_score: f64,
    pub passed: bool,
    pub correct: i32,
    pub total: i32,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AttemptView {
    pub id: Uuid,
    pub state: String,
    pub deadline: DateTime<Utc>,
    pub server_now: DateTime<Utc>,
    pub questions: Vec<AttemptQuestion>,
    /// `{"<position>": [option ids]}`; unanswered positions are omitted.
    pub answers: HashMap<String, Vec<Uuid>>,
    pub result: Option<AttemptResult>,
    /// Once the review policy allows: the right option ids per position.
    pub key: Option<HashMap<String, Vec<Uuid>>>,
}

pub struct Request<'a> {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<&'a str>,
}

async fn event(
    db: &impl ConnectionTrait,
    attempt: Uuid,
    kind: &str,
    position: Option<i32>,
    ip: Option<IpAddr>,
    detail: Option<String>,
) -> Result<(), AppError> {
    attempt_event::Entity::insert(attempt_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        attempt_id: Set(attempt),
        at: Set(Utc::now()),
        kind: Set(kind.into()),
        position: Set(position),
        ip: Set(ip.map(|i| i.to_string())),
        detail: Set(detail),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

fn err_state(code: &'static str, vi: &str, en: &str) -> AppError {
    AppError::conflict(code, vi.to_string(), en.to_string())
}

/// Refuses a start outside the session's hours or without its access code
/// (both parts of the exam).
pub(crate) fn check_open(
    s: &exam_session::Model,
    now: DateTime<Utc>,
    access_code: Option<&str>,
) -> Result<(), AppError> {
    if now < s.opens_at {
        return Err(err_state(
            "session_not_open",
            "Ca thi chưa mở.",
            "The session is not open yet.",
        ));
    }
    if now >= s.closes_at {
        return Err(err_state(
            "session_closed",
            "Ca thi đã đóng.",
            "The session has closed.",
        ));
    }
    if let Some(code) = &s.access_code
        && access_code.map(str::trim) != Some(code.as_str())
    {
        return Err(AppError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "wrong_access_code",
            "Mã truy cập không đúng.",
            "Wrong access code.",
        ));
    }
    Ok(())
}

/// Refuses an address outside the session's allow-list (when it has one).
fn check_address(s: &exam_session::Model, ip: Option<IpAddr>) -> Result<(), AppError> {
    let allow: Vec<String> = serde_json::from_str(&s.ip_allow).unwrap_or_default();
    if allow.is_empty() {
        return Ok(());
    }
    let ok = ip.is_some_and(|ip| {
        allow
            .iter()
            .filter_map(|c| Cidr::parse(c))
            .any(|c| c.contains(ip))
    });
    if ok {
        Ok(())
    } else {
        Err(AppError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "address_not_allowed",
            "Máy của bạn không nằm trong phòng thi được phép.",
            "Your address is not allowed for this session.",
        ))
    }
}

/// Starts (or resumes) the caller's attempt in a session.
pub async fn start(
    db: &DatabaseConnection,
    grace: Duration,
    user: &UserRecord,
    session_id: Uuid,
    access_code: Option<&str>,
    req: Request<'_>,
) -> Result<(AttemptView, bool), AppError> {
    let s = exam_session::Entity::find_by_id(session_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let reg = exam_registration::Entity::find_by_id((s.id, user.user.id))
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::new(
                actix_web::http::StatusCode::FORBIDDEN,
                "not_registered",
                "Bạn chưa được đăng ký dự thi ca này.",
                "You are not registered for this session.",
            )
        })?;
    let now = Utc::now();
    // Resume what is in progress (finishing it first if its time is up).
    let existing = attempt::Entity::find()
        .filter(attempt::Column::SessionId.eq(s.id))
        .filter(attempt::Column::UserId.eq(user.user.id))
        .order_by_desc(attempt::Column::Number)
        .all(db)
        .await?;
    if let Some(open) = existing.iter().find(|a| a.state == IN_PROGRESS) {
        let a = finish_if_due(db, open.clone(), grace).await?;
        if a.state == IN_PROGRESS {
            check_address(&s, req.ip)?;
            return Ok((view(db, &a, &s).await?, false));
        }
    }
    check_open(&s, now, access_code)?;
    check_address(&s, req.ip)?;
    let attempts_finished = existing.iter().filter(|a| a.state != IN_PROGRESS).count() as i32;
    if attempts_finished >= s.attempts_allowed {
        return Err(err_state(
            "no_attempts_left",
            "Bạn đã hết lượt làm bài.",
            "You have no attempts left.",
        ));
    }
    let b = bp::Entity::find_by_id(s.blueprint_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let sections: Vec<Section> = serde_json::from_str(&b.sections).unwrap_or_default();
    // Prefer the questions this candidate has seen least.
    let mut seen: HashMap<Uuid, u32> = HashMap::new();
    let mine: Vec<Uuid> = attempt::Entity::find()
        .filter(attempt::Column::UserId.eq(user.user.id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    if !mine.is_empty() {
        for it in attempt_item::Entity::find()
            .filter(attempt_item::Column::AttemptId.is_in(mine))
            .all(db)
            .await?
        {
            *seen.entry(it.question_id).or_default() += 1;
        }
    }
    let pool = pool_for(db, &sections, &seen).await?;
    let seed: i64 = rand::random::<i64>();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed as u64);
    let items = blueprint::draw_paper(&mut rng, &pool, &sections, b.shuffle).map_err(|e| {
        AppError::conflict("bank_too_small", e.message(Lang::Vi), e.message(Lang::En))
    })?;
    let limit = Duration::seconds(i64::from(b.time_limit_seconds) + i64::from(reg.extra_seconds));
    let deadline = (now + limit).min(s.closes_at);
    let number = existing.iter().map(|a| a.number).max().unwrap_or(0) + 1;
    let id = Uuid::now_v7();
    let ip = req.ip;
    let ua = req
        .user_agent
        .map(|u| u.chars().take(300).collect::<String>());
    let total = items.len() as i32;
    let inserted = crate::db::write_tx(db, |txn| {
        Box::pin(async move {
            let res = attempt::Entity::insert(attempt::ActiveModel {
                id: Set(id),
                session_id: Set(s.id),
                user_id: Set(reg.user_id),
                number: Set(number),
                state: Set(IN_PROGRESS.into()),
                seed: Set(seed),
                started_at: Set(now),
                deadline: Set(deadline),
                finished_at: Set(None),
                score: Set(None),
                correct: Set(None),
                total: Set(total),
                passed: Set(None),
                ip: Set(ip.map(|i| i.to_string())),
                user_agent: Set(ua.clone()),
            })
            .on_conflict_do_nothing()
            .exec_without_returning(txn)
            .await?;
            if !matches!(res, sea_orm::TryInsertResult::Inserted(n) if n > 0) {
                return Ok(false);
            }
            let mut rows = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                rows.push(attempt_item::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    attempt_id: Set(id),
                    question_id: Set(item.question_id),
                    question_version_id: Set(item.version_id),
                    position: Set(i as i32 + 1),
                    option_order: Set(
                        serde_json::to_string(&item.option_order).map_err(AppError::internal)?
                    ),
                    selected: Set(None),
                    credit: Set(None),
                    graded_at: Set(None),
                    saved_at: Set(None),
                });
            }
            attempt_item::Entity::insert_many(rows)
                .exec_without_returning(txn)
                .await?;
            event(txn, id, "start", None, ip, ua).await?;
            Ok(true)
        })
    })
    .await?;
    // Two simultaneous starts: the loser returns the winner's attempt.
    let a = if inserted {
        attempt::Entity::find_by_id(id).one(db).await?
    } else {
        attempt::Entity::find()
            .filter(attempt::Column::SessionId.eq(session_id))
            .filter(attempt::Column::UserId.eq(user.user.id))
            .filter(attempt::Column::Number.eq(number))
            .one(db)
            .await?
    }
    .ok_or_else(AppError::not_found)?;
    let s = exam_session::Entity::find_by_id(session_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok((view(db, &a, &s).await?, inserted))
}

async fn items_of(
    db: &impl ConnectionTrait,
    attempt_id: Uuid,
) -> Result<Vec<attempt_item::Model>, AppError> {
    Ok(attempt_item::Entity::find()
        .filter(attempt_item::Column::AttemptId.eq(attempt_id))
        .order_by_asc(attempt_item::Column::Position)
        .all(db)
        .await?)
}

async fn view(
    db: &DatabaseConnection,
    a: &attempt::Model,
    s: &exam_session::Model,
) -> Result<AttemptView, AppError> {
    view_with(db, a, s, false).await
}

/// The paper with the candidate's answers and the key, for the permanent
/// record (admins): only for a graded attempt.
pub async fn paper_record(
    db: &DatabaseConnection,
    actor: &UserRecord,
    id: Uuid,
) -> Result<(AttemptView, attempt::Model, exam_session::Model), AppError> {
    if !actor.has(Role::Admin) {
        return Err(AppError::forbidden());
    }
    let (a, s) = attempt_with_session(db, id).await?;
    if a.state != GRADED {
        return Err(err_state(
            "attempt_not_finished",
            "Bài thi chưa kết thúc.",
            "The attempt is not finished.",
        ));
    }
    let v = view_with(db, &a, &s, true).await?;
    Ok((v, a, s))
}

async fn view_with(
    db: &DatabaseConnection,
    a: &attempt::Model,
    s: &exam_session::Model,
    force_key: bool,
) -> Result<AttemptView, AppError> {
    let items = items_of(db, a.id).await?;
    let mut questions = Vec::with_capacity(items.len());
    let mut answers = HashMap::new();
    let mut key = HashMap::new();
    for it in &items {
        let q = match rendered(db, it.question_version_id).await {
            Ok(q) => q,
            Err(e) if e.status() == actix_web::http::StatusCode::NOT_FOUND => continue,
            Err(e) => return Err(e),
        };
        let order: Vec<Uuid> = serde_json::from_str(&it.option_order).unwrap_or_default();
        questions.push(AttemptQuestion {
            position: it.position,
            stem_html: q.stem_html.clone(),
            multiple: q.multiple,
            options: order
                .iter()
                .filter_map(|id| q.options.iter().find(|o| o.0 == *id))
                .map(|o| AttemptOption {
                    id: o.0,
                    text_html: o.1.clone(),
                })
                .collect(),
        });
        let chosen: Vec<Uuid> = it
            .selected
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        if !chosen.is_empty() {
            answers.insert(it.position.to_string(), chosen);
        }
        key.insert(
            it.position.to_string(),
            q.options
                .iter()
                .filter(|o| o.2)
                .map(|o| o.0)
                .collect::<Vec<_>>(),
        );
    }
    let review: Review = serde_json::from_str(&s.review).unwrap_or_default();
    let graded = a.state == GRADED;
    let show_key = graded
        && (force_key
            || (review.show == "answers"
                && (review.from == "finish" || Utc::now() >= s.closes_at)));
    Ok(AttemptView {
        id: a.id,
        state: a.state.clone(),
        deadline: a.deadline,
        server_now: Utc::now(),
        questions,
        answers,
        result: graded.then(|| result_of(a)),
        key: show_key.then_some(key),
    })
}

fn result_of(a: &attempt::Model) -> AttemptResult {
    AttemptResult {
        state: a.state.clone(),
        score: a.score.unwrap_or(0.0),
        max_score: 10.0,
        passed: a.passed.unwrap_or(false),
        correct: a.correct.unwrap_or(0),
        total: a.total,
    }
}

/// An attempt and its session in one query; 404 when either is missing.
async fn attempt_with_session(
    db: &DatabaseConnection,
    id: Uuid,
) -> Result<(attempt::Model, exam_session::Model), AppError> {
    use sea_orm::{JoinType, QuerySelect, RelationDef};
    let rel: RelationDef = attempt::Entity::belongs_to(exam_session::Entity)
        .from(attempt::Column::SessionId)
        .to(exam_session::Column::Id)
        .into();
    match attempt::Entity::find_by_id(id)
        .join(JoinType::InnerJoin, rel)
        .select_also(exam_session::Entity)
        .one(db)
        .await?
    {
        Some((a, Some(s))) => Ok((a, s)),
        _ => Err(AppError::not_found()),
    }
}

/// The attempt if it is the caller's; 404 otherwise (its existence stays private).
async fn mine(
    db: &DatabaseConnection,
    user: &UserRecord,
    id: Uuid,
) -> Result<(attempt::Model, exam_session::Model), AppError> {
    let (a, s) = attempt_with_session(db, id).await?;
    if a.user_id != user.user.id {
        return Err(AppError::not_found());
    }
    Ok((a, s))
}

pub async fn get(
    db: &DatabaseConnection,
    grace: Duration,
    user: &UserRecord,
    id: Uuid,
    ip: Option<IpAddr>,
) -> Result<AttemptView, AppError> {
    let (a, s) = mine(db, user, id).await?;
    // The paper is shown only inside the allowed rooms while it is being taken.
    if a.state == IN_PROGRESS {
        check_address(&s, ip)?;
    }
    let a = finish_if_due(db, a, grace).await?;
    view(db, &a, &s).await
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Saved {
    pub saved_at: DateTime<Utc>,
    pub server_now: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
}

/// Saves one answer (last write wins); `[]` clears it. The write goes
/// through the instance's [`AnswerWriter`] (group commit): the answer is
/// acknowledged once its transaction has committed.
#[allow(clippy::too_many_arguments)]
pub async fn save(
    db: &DatabaseConnection,
    writer: &AnswerWriter,
    grace: Duration,
    user: &UserRecord,
    id: Uuid,
    position: i32,
    option_ids: Vec<Uuid>,
    ip: Option<IpAddr>,
) -> Result<Saved, AppError> {
    let (a, s) = mine(db, user, id).await?;
    check_address(&s, ip)?;
    let now = Utc::now();
    if a.state != IN_PROGRESS {
        return Err(err_state(
            "attempt_finished",
            "Bài thi đã nộp.",
            "The attempt is already finished.",
        ));
    }
    if now > a.deadline + grace {
        finish_if_due(db, a, grace).await?;
        return Err(err_state(
            "deadline_passed",
            "Đã hết giờ làm bài; câu trả lời này không được lưu.",
            "Time is up; this answer was not saved.",
        ));
    }
    let paper = paper_cached(db, a.id).await?;
    let item = paper
        .iter()
        .find(|p| p.position == position)
        .ok_or_else(AppError::not_found)?;
    let unique: HashSet<Uuid> = option_ids.iter().copied().collect();
    if unique.len() != option_ids.len() {
        return Err(invalid(
            "Một phương án được chọn hai lần.",
            "An option is chosen twice.",
        ));
    }
    if option_ids.iter().any(|o| !item.order.contains(o)) {
        return Err(invalid(
            "Phương án không thuộc câu hỏi này.",
            "An option is not on this question.",
        ));
    }
    let q = rendered(db, item.version_id).await?;
    if !q.multiple && option_ids.len() > 1 {
        return Err(invalid(
            "Câu hỏi này chỉ chọn một phương án.",
            "This question takes one option.",
        ));
    }
    let selected = serde_json::to_string(&option_ids).map_err(AppError::internal)?;
    let written = writer
        .write(AnswerRow {
            item_id: item.id,
            attempt_id: a.id,
            position,
            selected,
            at: now,
            ip,
        })
        .await?;
    if !written {
        return Err(err_state(
            "attempt_finished",
            "Bài thi đã nộp.",
            "The attempt is already finished.",
        ));
    }
    Ok(Saved {
        saved_at: now,
        server_now: Utc::now(),
        deadline: a.deadline,
    })
}

/// What never changes about a paper item once drawn.
struct PaperItem {
    id: Uuid,
    position: i32,
    version_id: Uuid,
    order: Vec<Uuid>,
}

type Paper = std::sync::Arc<Vec<PaperItem>>;

/// Papers by attempt, per instance: items, their questions and option order
/// are fixed when the attempt starts, so every instance may keep them.
static PAPERS: std::sync::LazyLock<std::sync::Mutex<HashMap<Uuid, Paper>>> =
    std::sync::LazyLock::new(Default::default);

async fn paper_cached(db: &impl ConnectionTrait, attempt_id: Uuid) -> Result<Paper, AppError> {
    if let Ok(cache) = PAPERS.lock()
        && let Some(p) = cache.get(&attempt_id)
    {
        return Ok(p.clone());
    }
    let items = items_of(db, attempt_id).await?;
    let paper: Paper = std::sync::Arc::new(
        items
            .into_iter()
            .map(|it| PaperItem {
                id: it.id,
                position: it.position,
                version_id: it.question_version_id,
                order: serde_json::from_str(&it.option_order).unwrap_or_default(),
            })
            .collect(),
    );
    if let Ok(mut cache) = PAPERS.lock() {
        if cache.len() > 100_000 {
            cache.clear();
        }
        cache.insert(attempt_id, paper.clone());
    }
    Ok(paper)
}

/// A question version as a candidate sees it, rendered once per instance
/// (versions never change once written).
struct Rendered {
    stem_html: String,
    multiple: bool,
    /// Option id, its HTML, and whether it is right.
    options: Vec<(Uuid, String, bool)>,
}

static RENDERED: std::sync::LazyLock<std::sync::Mutex<HashMap<Uuid, std::sync::Arc<Rendered>>>> =
    std::sync::LazyLock::new(Default::default);

async fn rendered(
    db: &impl ConnectionTrait,
    version_id: Uuid,
) -> Result<std::sync::Arc<Rendered>, AppError> {
    if let Ok(cache) = RENDERED.lock()
        && let Some(r) = cache.get(&version_id)
    {
        return Ok(r.clone());
    }
    let v = bank::version_cached(db, version_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let format = TextFormat::parse(&v.format).unwrap_or_default();
    let r = std::sync::Arc::new(Rendered {
        stem_html: render::to_html(&v.stem, format),
        multiple: QuestionType::parse(&v.qtype) == Some(QuestionType::Multiple),
        options: bank::parse_options(&v.options)
            .into_iter()
            .map(|o| (o.id, render::to_inline_html(&o.text, format), o.correct))
            .collect(),
    });
    if let Ok(mut cache) = RENDERED.lock() {
        if cache.len() > 50_000 {
            cache.clear();
        }
        cache.insert(version_id, r.clone());
    }
    Ok(r)
}

/// Submits (once); a repeat returns the same result.
pub async fn submit(
    db: &DatabaseConnection,
    grace: Duration,
    user: &UserRecord,
    id: Uuid,
    ip: Option<IpAddr>,
) -> Result<AttemptResult, AppError> {
    let (a, _) = mine(db, user, id).await?;
    if a.state != IN_PROGRESS {
        return Ok(result_of(&a));
    }
    let now = Utc::now();
    let a = if now > a.deadline + grace {
        finish(db, a.clone(), a.deadline, "auto_finish", None).await?
    } else {
        finish(db, a.clone(), now.min(a.deadline), "submit", ip).await?
    };
    Ok(result_of(&a))
}

async fn finish_if_due(
    db: &DatabaseConnection,
    a: attempt::Model,
    grace: Duration,
) -> Result<attempt::Model, AppError> {
    if a.state == IN_PROGRESS && Utc::now() > a.deadline + grace {
        let deadline = a.deadline;
        return finish(db, a, deadline, "auto_finish", None).await;
    }
    Ok(a)
}

/// Grades on the answers saved and marks the attempt graded, exactly once:
/// a conditional update decides which of several finishers wins.
pub async fn finish(
    db: &DatabaseConnection,
    a: attempt::Model,
    finished_at: DateTime<Utc>,
    kind: &str,
    ip: Option<IpAddr>,
) -> Result<attempt::Model, AppError> {
    let s = exam_session::Entity::find_by_id(a.session_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let b = bp::Entity::find_by_id(s.blueprint_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let scoring: Scoring =
        serde_json::from_value(serde_json::Value::String(b.multiple_scoring.clone()))
            .unwrap_or_default();
    let id = a.id;
    let kind = kind.to_string();
    let pass_score = b.pass_score;
    // One transaction: claim the attempt (only one finisher wins), then read
    // its items under a lock, so that a save racing the finish either lands
    // before and counts, or finds the item graded and is refused.
    crate::db::write_tx(db, |txn| {
        Box::pin(async move {
            let claimed = attempt::Entity::update_many()
                .col_expr(attempt::Column::State, Expr::value(GRADED))
                .col_expr(attempt::Column::FinishedAt, Expr::value(finished_at))
                .filter(attempt::Column::Id.eq(id))
                .filter(attempt::Column::State.eq(IN_PROGRESS))
                .exec(txn)
                .await?;
            if claimed.rows_affected != 1 {
                return Ok(());
            }
            use sea_orm::QuerySelect;
            let items = attempt_item::Entity::find()
                .filter(attempt_item::Column::AttemptId.eq(id))
                .order_by_asc(attempt_item::Column::Position)
                .lock_exclusive()
                .all(txn)
                .await?;
            let now = Utc::now();
            let mut all = Vec::with_capacity(items.len());
            // Items by credit: one UPDATE per distinct credit (usually two).
            let mut by_credit: Vec<(f64, Vec<Uuid>)> = Vec::new();
            for it in &items {
                let credit = item_credit(txn, it, scoring).await?;
                all.push(credit);
                match by_credit.iter_mut().find(|(c, _)| *c == credit) {
                    Some((_, ids)) => ids.push(it.id),
                    None => by_credit.push((credit, vec![it.id])),
                }
            }
            for (credit, ids) in by_credit {
                attempt_item::Entity::update_many()
                    .col_expr(attempt_item::Column::Credit, Expr::value(credit))
                    .col_expr(attempt_item::Column::GradedAt, Expr::value(now))
                    .filter(attempt_item::Column::Id.is_in(ids))
                    .exec(txn)
                    .await?;
            }
            let score = paper::score(&all);
            let correct = all.iter().filter(|c| **c >= 1.0).count() as i32;
            let passed = score + 1e-9 >= pass_score;
            attempt::Entity::update_many()
                .col_expr(attempt::Column::Score, Expr::value(score))
                .col_expr(attempt::Column::Correct, Expr::value(correct))
                .col_expr(attempt::Column::Passed, Expr::value(passed))
                .filter(attempt::Column::Id.eq(id))
                .exec(txn)
                .await?;
            event(txn, id, &kind, None, ip, Some(format!("score={score}"))).await?;
            crate::services::audit::record(
                txn,
                None,
                crate::services::audit::kind::ATTEMPT_GRADED,
                "attempt",
                id,
                serde_json::json!({
                    "by": kind, "score": score, "passed": passed,
                    "correct": correct, "total": all.len(),
                }),
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    attempt::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)
}

/// The credit (0..1) an item's stored answer earns against its question
/// version's key.
async fn item_credit(
    db: &impl ConnectionTrait,
    it: &attempt_item::Model,
    scoring: Scoring,
) -> Result<f64, AppError> {
    let Some(v) = bank::version_cached(db, it.question_version_id).await? else {
        return Ok(0.0);
    };
    let correct: Vec<Uuid> = bank::parse_options(&v.options)
        .iter()
        .filter(|o| o.correct)
        .map(|o| o.id)
        .collect();
    let chosen: Vec<Uuid> = it
        .selected
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    Ok(paper::credit(
        QuestionType::parse(&v.qtype).unwrap_or(QuestionType::Single),
        &correct,
        &chosen,
        scoring,
    ))
}

/// Re-grades a graded attempt from its stored answers (an appeal on the
/// multiple-choice part): the score the stored answers earn now, and whether
/// it passes. Updates the attempt when the score differs.
pub async fn regrade(db: &DatabaseConnection, id: Uuid) -> Result<(f64, bool), AppError> {
    let a = attempt::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    if a.state != GRADED {
        return Err(err_state(
            "attempt_not_finished",
            "Bài thi chưa kết thúc.",
            "The attempt is not finished.",
        ));
    }
    let s = exam_session::Entity::find_by_id(a.session_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let b = bp::Entity::find_by_id(s.blueprint_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let scoring: Scoring =
        serde_json::from_value(serde_json::Value::String(b.multiple_scoring.clone()))
            .unwrap_or_default();
    let items = items_of(db, a.id).await?;
    let mut all = Vec::with_capacity(items.len());
    for it in &items {
        all.push(item_credit(db, it, scoring).await?);
    }
    let score = paper::score(&all);
    let passed = score + 1e-9 >= b.pass_score;
    if a.score != Some(score) || a.passed != Some(passed) {
        let correct = all.iter().filter(|c| **c >= 1.0).count() as i32;
        crate::db::write_tx(db, |txn| {
            Box::pin(async move {
                attempt::Entity::update_many()
                    .col_expr(attempt::Column::Score, Expr::value(score))
                    .col_expr(attempt::Column::Correct, Expr::value(correct))
                    .col_expr(attempt::Column::Passed, Expr::value(passed))
                    .filter(attempt::Column::Id.eq(id))
                    .exec(txn)
                    .await?;
                event(
                    txn,
                    id,
                    "regrade",
                    None,
                    None,
                    Some(format!("score={score}")),
                )
                .await?;
                crate::services::audit::record(
                    txn,
                    None,
                    crate::services::audit::kind::ATTEMPT_REGRADED,
                    "attempt",
                    id,
                    serde_json::json!({
                        "score": score, "passed": passed, "correct": correct,
                        "score_before": a.score, "passed_before": a.passed,
                    }),
                )
                .await?;
                Ok(())
            })
        })
        .await?;
    }
    Ok((score, passed))
}

/// Finishes every attempt whose deadline (plus grace) has passed; returns how many.
pub async fn sweep(db: &DatabaseConnection, grace: Duration) -> Result<usize, AppError> {
    let due = attempt::Entity::find()
        .filter(attempt::Column::State.eq(IN_PROGRESS))
        .filter(attempt::Column::Deadline.lt(Utc::now() - grace))
        .all(db)
        .await?;
    let mut n = 0;
    for a in due {
        let deadline = a.deadline;
        let done = finish(db, a, deadline, "auto_finish", None).await?;
        if done.state == GRADED {
            n += 1;
        }
    }
    Ok(n)
}

pub async fn run_sweeper(
    db: DatabaseConnection,
    grace: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = sweep(&db, grace).await {
            tracing::warn!(error = ?e, "attempt sweeper pass failed");
        }
        if let Err(e) = crate::services::practical::sweep(&db, grace).await {
            tracing::warn!(error = ?e, "practical sweeper pass failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
            _ = stop.changed() => break,
        }
    }
}

/// Gives one candidate extra time (an accommodation), with a reason.
pub async fn extra_time(
    db: &DatabaseConnection,
    actor: &UserRecord,
    id: Uuid,
    seconds: i32,
    reason: &str,
) -> Result<AttemptView, AppError> {
    // Only staff who could proctor learn whether the attempt exists.
    if !(actor.has(Role::Admin) || actor.has(Role::Trainer)) {
        return Err(AppError::forbidden());
    }
    let a0 = attempt::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !may_proctor(db, actor, a0.session_id).await? {
        return Err(AppError::forbidden());
    }
    if !(1..=4 * 3600).contains(&seconds) || reason.trim().chars().count() < 3 {
        return Err(invalid(
            "Cần số giây (1–14400) và lý do.",
            "Give seconds (1–14400) and a reason.",
        ));
    }
    let (a, s) = attempt_with_session(db, id).await?;
    if a.state != IN_PROGRESS {
        return Err(err_state(
            "attempt_finished",
            "Bài thi đã nộp.",
            "The attempt is already finished.",
        ));
    }
    let deadline =
        (a.deadline + Duration::seconds(i64::from(seconds))).min(s.closes_at.max(a.deadline));
    let detail = format!("{seconds}s by {}: {}", actor.user.email, reason.trim());
    let audit = serde_json::json!({
        "seconds": seconds, "reason": reason.trim(),
        "deadline_before": a.deadline, "deadline": deadline,
    });
    let (actor_id, session_id, user_id) = (actor.user.id, s.id, a.user_id);
    // One transaction: the new deadline, the registration's total and the record.
    crate::db::write_tx(db, move |txn| {
        Box::pin(async move {
            attempt::Entity::update_many()
                .col_expr(attempt::Column::Deadline, Expr::value(deadline))
                .filter(attempt::Column::Id.eq(id))
                .exec(txn)
                .await?;
            exam_registration::Entity::update_many()
                .col_expr(
                    exam_registration::Column::ExtraSeconds,
                    sea_orm::sea_query::ExprTrait::add(
                        Expr::col(exam_registration::Column::ExtraSeconds),
                        seconds,
                    ),
                )
                .filter(exam_registration::Column::SessionId.eq(session_id))
                .filter(exam_registration::Column::UserId.eq(user_id))
                .exec(txn)
                .await?;
            event(txn, id, "extra_time", None, None, Some(detail)).await?;
            crate::services::audit::record(
                txn,
                Some(actor_id),
                crate::services::audit::kind::ATTEMPT_EXTRA_TIME,
                "attempt",
                id,
                audit,
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    let (a, s) = attempt_with_session(db, id).await?;
    view(db, &a, &s).await
}

pub async fn count_attempts(db: &DatabaseConnection) -> Result<u64, AppError> {
    Ok(attempt::Entity::find().count(db).await?)
}

#[derive(Clone, Debug, Serialize)]
pub struct MySession {
    pub session: SessionView,
    pub attempt_id: Option<Uuid>,
    pub state: Option<String>,
    pub score: Option<f64>,
    pub passed: Option<bool>,
    pub open_now: bool,
}

/// The sessions a candidate is registered for, with their latest attempt.
pub async fn my_sessions(db: &DatabaseConnection, user: Uuid) -> Result<Vec<MySession>, AppError> {
    let regs = exam_registration::Entity::find()
        .filter(exam_registration::Column::UserId.eq(user))
        .all(db)
        .await?;
    let now = Utc::now();
    let mut out = Vec::new();
    for r in regs {
        let Some(s) = exam_session::Entity::find_by_id(r.session_id)
            .one(db)
            .await?
        else {
            continue;
        };
        let latest = attempt::Entity::find()
            .filter(attempt::Column::SessionId.eq(s.id))
            .filter(attempt::Column::UserId.eq(user))
            .order_by_desc(attempt::Column::Number)
            .one(db)
            .await?;
        out.push(MySession {
            open_now: s.opens_at <= now && now < s.closes_at,
            session: session_view(&s),
            attempt_id: latest.as_ref().map(|a| a.id),
            state: latest.as_ref().map(|a| a.state.clone()),
            score: latest.as_ref().and_then(|a| a.score),
            passed: latest.as_ref().and_then(|a| a.passed),
        });
    }
    out.sort_by_key(|m| std::cmp::Reverse(m.session.opens_at));
    Ok(out)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BoardRow {
    pub user_id: Uuid,
    pub full_name: String,
    pub email: String,
    pub attempt_id: Option<Uuid>,
    /// `registered`, `in_progress` or `graded`.
    pub state: String,
    pub answered: usize,
    pub total: i32,
    pub seconds_left: Option<i64>,
    pub score: Option<f64>,
    pub passed: Option<bool>,
    pub extra_seconds: i32,
}

/// The proctor's view of a session: every registered candidate.
pub async fn board(
    db: &DatabaseConnection,
    session_id: Uuid,
) -> Result<(SessionView, Vec<BoardRow>), AppError> {
    let s = exam_session::Entity::find_by_id(session_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let regs = exam_registration::Entity::find()
        .filter(exam_registration::Column::SessionId.eq(s.id))
        .all(db)
        .await?;
    let ids: Vec<Uuid> = regs.iter().map(|r| r.user_id).collect();
    let people = crate::store::users::by_ids(db, &ids).await?;
    let now = Utc::now();
    let mut rows = Vec::new();
    for r in &regs {
        let latest = attempt::Entity::find()
            .filter(attempt::Column::SessionId.eq(s.id))
            .filter(attempt::Column::UserId.eq(r.user_id))
            .order_by_desc(attempt::Column::Number)
            .one(db)
            .await?;
        let answered = match &latest {
            Some(a) => attempt_item::Entity::find()
                .filter(attempt_item::Column::AttemptId.eq(a.id))
                .filter(attempt_item::Column::SavedAt.is_not_null())
                .all(db)
                .await?
                .iter()
                .filter(|i| i.selected.as_deref().is_some_and(|s| s != "[]"))
                .count(),
            None => 0,
        };
        let person = people.iter().find(|p| p.id == r.user_id);
        rows.push(BoardRow {
            user_id: r.user_id,
            full_name: person.map(|p| p.full_name.clone()).unwrap_or_default(),
            email: person.map(|p| p.email.clone()).unwrap_or_default(),
            attempt_id: latest.as_ref().map(|a| a.id),
            state: latest
                .as_ref()
                .map(|a| a.state.clone())
                .unwrap_or_else(|| "registered".into()),
            answered,
            total: latest.as_ref().map(|a| a.total).unwrap_or(0),
            seconds_left: latest
                .as_ref()
                .filter(|a| a.state == IN_PROGRESS)
                .map(|a| (a.deadline - now).num_seconds().max(0)),
            score: latest.as_ref().and_then(|a| a.score),
            passed: latest.as_ref().and_then(|a| a.passed),
            extra_seconds: r.extra_seconds,
        });
    }
    rows.sort_by(|a, b| a.full_name.cmp(&b.full_name));
    Ok((session_view(&s), rows))
}

/// Reopens a finished attempt for `minutes` more (e.g. after a power cut), with a reason; audited.
pub async fn reopen(
    db: &DatabaseConnection,
    actor: &UserRecord,
    id: Uuid,
    minutes: i64,
    reason: &str,
) -> Result<(), AppError> {
    // Only staff who could proctor learn whether the attempt exists.
    if !(actor.has(Role::Admin) || actor.has(Role::Trainer)) {
        return Err(AppError::forbidden());
    }
    let a0 = attempt::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !may_proctor(db, actor, a0.session_id).await? {
        return Err(AppError::forbidden());
    }
    if !(1..=240).contains(&minutes) || reason.trim().chars().count() < 3 {
        return Err(invalid(
            "Cần số phút (1–240) và lý do.",
            "Give minutes (1–240) and a reason.",
        ));
    }
    let a = attempt::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    if a.state == IN_PROGRESS {
        return Err(err_state(
            "attempt_in_progress",
            "Bài thi đang làm.",
            "The attempt is still in progress.",
        ));
    }
    let deadline = Utc::now() + Duration::minutes(minutes);
    let detail = format!(
        "{minutes} min by {}: {} (score before: {:?})",
        actor.user.email,
        reason.trim(),
        a.score
    );
    let audit = serde_json::json!({
        "minutes": minutes, "reason": reason.trim(), "deadline": deadline,
        "score_before": a.score, "passed_before": a.passed,
    });
    let actor_id = actor.user.id;
    crate::db::write_tx(db, move |txn| {
        Box::pin(async move {
            attempt::Entity::update_many()
                .col_expr(attempt::Column::State, Expr::value(IN_PROGRESS))
                .col_expr(attempt::Column::Deadline, Expr::value(deadline))
                .col_expr(
                    attempt::Column::FinishedAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(attempt::Column::Score, Expr::value(Option::<f64>::None))
                .col_expr(attempt::Column::Correct, Expr::value(Option::<i32>::None))
                .col_expr(attempt::Column::Passed, Expr::value(Option::<bool>::None))
                .filter(attempt::Column::Id.eq(id))
                .exec(txn)
                .await?;
            attempt_item::Entity::update_many()
                .col_expr(
                    attempt_item::Column::Credit,
                    Expr::value(Option::<f64>::None),
                )
                .col_expr(
                    attempt_item::Column::GradedAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .filter(attempt_item::Column::AttemptId.eq(id))
                .exec(txn)
                .await?;
            event(txn, id, "reopen", None, None, Some(detail)).await?;
            crate::services::audit::record(
                txn,
                Some(actor_id),
                crate::services::audit::kind::ATTEMPT_REOPENED,
                "attempt",
                id,
                audit,
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEvent {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub position: Option<i32>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

/// The attempt's audit trail, oldest first.
pub async fn audit(db: &DatabaseConnection, id: Uuid) -> Result<Vec<AuditEvent>, AppError> {
    attempt::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(attempt_event::Entity::find()
        .filter(attempt_event::Column::AttemptId.eq(id))
        .order_by_asc(attempt_event::Column::At)
        .all(db)
        .await?
        .into_iter()
        .map(|e| AuditEvent {
            at: e.at,
            kind: e.kind,
            position: e.position,
            ip: e.ip,
            detail: e.detail,
        })
        .collect())
}

pub async fn sessions(db: &DatabaseConnection) -> Result<Vec<SessionView>, AppError> {
    Ok(exam_session::Entity::find()
        .order_by_desc(exam_session::Column::OpensAt)
        .all(db)
        .await?
        .iter()
        .map(session_view)
        .collect())
}

/// Approves a session's results (admin): only once every attempt is graded;
/// approving again returns the first approval.
pub async fn approve(
    db: &DatabaseConnection,
    issuer: &crate::services::certificates::Issuer,
    actor: &UserRecord,
    session_id: Uuid,
) -> Result<SessionView, AppError> {
    if !actor.has(Role::Admin) {
        return Err(AppError::forbidden());
    }
    let s = exam_session::Entity::find_by_id(session_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    if s.approved_at.is_some() {
        return session_view_full(db, &s).await;
    }
    let open = attempt::Entity::find()
        .filter(attempt::Column::SessionId.eq(s.id))
        .filter(attempt::Column::State.eq(IN_PROGRESS))
        .count(db)
        .await?;
    if open > 0 {
        return Err(err_state(
            "attempts_in_progress",
            "Còn bài thi đang làm; chỉ duyệt kết quả khi mọi bài đã chấm.",
            "Some attempts are still in progress; approve once every attempt is graded.",
        ));
    }
    // One transaction: the decision, its candidate list, and (for sessions
    // that issue after approval) the certificates.
    let issuer = issuer.clone();
    let actor_id = actor.user.id;
    crate::db::write_tx(db, |txn| {
        Box::pin(async move {
            let done = exam_session::Entity::update_many()
                .col_expr(exam_session::Column::ApprovedAt, Expr::value(Utc::now()))
                .col_expr(exam_session::Column::ApprovedBy, Expr::value(actor_id))
                .filter(exam_session::Column::Id.eq(session_id))
                .filter(exam_session::Column::ApprovedAt.is_null())
                .exec(txn)
                .await?;
            if done.rows_affected == 1 {
                let s = exam_session::Entity::find_by_id(session_id)
                    .one(txn)
                    .await?
                    .ok_or_else(AppError::not_found)?;
                crate::services::certificates::approve_in(txn, &issuer, &s, actor_id).await?;
                crate::services::audit::record(
                    txn,
                    Some(actor_id),
                    crate::services::audit::kind::SESSION_APPROVED,
                    "exam_session",
                    session_id,
                    serde_json::json!({ "title": s.title }),
                )
                .await?;
            }
            Ok(())
        })
    })
    .await?;
    let s = exam_session::Entity::find_by_id(session_id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    session_view_full(db, &s).await
}
