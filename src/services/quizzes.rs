//! Practice quizzes at the end of a lesson: drawn from the ready questions
//! of the lesson's topics with the same code exams use; the key is shown
//! only after submitting; passing completes the lesson.
use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::paper::{self, DrawnItem, PoolQuestion, Scoring};
use crate::domain::question::{Difficulty, QuestionType, TextFormat};
use crate::entities::quiz_attempt;
use crate::error::AppError;
use crate::render;
use crate::services::courses;
use crate::store::courses as course_store;
use crate::store::questions::{self as bank, StoredOption};
use crate::store::users::UserRecord;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct QuizOption {
    pub id: Uuid,
    pub text_html: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct QuizQuestion {
    pub position: usize,
    pub stem_html: String,
    pub multiple: bool,
    pub options: Vec<QuizOption>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReviewItem {
    pub position: usize,
    pub correct_option_ids: Vec<Uuid>,
    pub chosen: Vec<Uuid>,
    pub credit: f64,
    pub feedback_html: Vec<(Uuid, String)>,
    pub general_feedback_html: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct QuizResult {
    pub score: f64,
    pub max_score: f64,
    pub passed: bool,
    pub pass_percent: i32,
    pub correct: usize,
    pub total: usize,
    pub review: Vec<ReviewItem>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct QuizView {
    pub id: Uuid,
    pub lesson_id: Uuid,
    /// `in_progress` or `graded`.
    pub state: String,
    pub questions: Vec<QuizQuestion>,
    pub result: Option<QuizResult>,
}

fn items_of(a: &quiz_attempt::Model) -> Vec<DrawnItem> {
    serde_json::from_str(&a.items).unwrap_or_default()
}

async fn view(
    db: &DatabaseConnection,
    a: &quiz_attempt::Model,
    pass_percent: i32,
) -> Result<QuizView, AppError> {
    let items = items_of(a);
    let answers: HashMap<String, Vec<Uuid>> = a
        .answers
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let mut questions = Vec::new();
    let mut review = Vec::new();
    let mut credits = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let position = i + 1;
        let Some(v) = bank::version_by_id(db, item.version_id).await? else {
            continue;
        };
        let format = TextFormat::parse(&v.format).unwrap_or_default();
        let qtype = QuestionType::parse(&v.qtype).unwrap_or(QuestionType::Single);
        let options: Vec<StoredOption> = bank::parse_options(&v.options);
        let by_id: HashMap<Uuid, &StoredOption> = options.iter().map(|o| (o.id, o)).collect();
        questions.push(QuizQuestion {
            position,
            stem_html: render::to_html(&v.stem, format),
            multiple: qtype == QuestionType::Multiple,
            options: item
                .option_order
                .iter()
                .filter_map(|id| {
                    by_id.get(id).map(|o| QuizOption {
                        id: o.id,
                        text_html: render::to_inline_html(&o.text, format),
                    })
                })
                .collect(),
        });
        if a.finished_at.is_some() {
            let correct: Vec<Uuid> = options.iter().filter(|o| o.correct).map(|o| o.id).collect();
            let chosen = answers
                .get(&position.to_string())
                .cloned()
                .unwrap_or_default();
            let c = paper::credit(qtype, &correct, &chosen, Scoring::AllOrNothing);
            credits.push(c);
            review.push(ReviewItem {
                position,
                correct_option_ids: correct,
                chosen,
                credit: c,
                feedback_html: options
                    .iter()
                    .map(|o| (o.id, render::to_inline_html(&o.feedback, format)))
                    .collect(),
                general_feedback_html: render::to_html(&v.general_feedback, format),
            });
        }
    }
    let result = a.finished_at.map(|_| QuizResult {
        score: a.score.unwrap_or(0.0),
        max_score: 10.0,
        passed: a.passed.unwrap_or(false),
        pass_percent,
        correct: credits.iter().filter(|c| **c >= 1.0).count(),
        total: credits.len(),
        review,
    });
    Ok(QuizView {
        id: a.id,
        lesson_id: a.lesson_id,
        state: if a.finished_at.is_some() {
            "graded"
        } else {
            "in_progress"
        }
        .into(),
        questions,
        result,
    })
}

/// The quiz in progress for this lesson, or a new one.
pub async fn start(
    db: &DatabaseConnection,
    user: &UserRecord,
    lesson_id: Uuid,
) -> Result<QuizView, AppError> {
    let l = courses::readable_lesson(db, user, lesson_id).await?;
    if l.quiz_questions <= 0 {
        return Err(AppError::not_found());
    }
    let previous = quiz_attempt::Entity::find()
        .filter(quiz_attempt::Column::UserId.eq(user.user.id))
        .filter(quiz_attempt::Column::LessonId.eq(l.id))
        .order_by_desc(quiz_attempt::Column::CreatedAt)
        .all(db)
        .await?;
    if let Some(open) = previous.iter().find(|a| a.finished_at.is_none()) {
        return view(db, open, l.quiz_pass_percent).await;
    }
    let mut seen: HashMap<Uuid, u32> = HashMap::new();
    for a in &previous {
        for item in items_of(a) {
            *seen.entry(item.question_id).or_default() += 1;
        }
    }
    let topics: Vec<String> = serde_json::from_str(&l.topics).unwrap_or_default();
    let pool: Vec<PoolQuestion> = bank::ready_pool(db, &l.module_code, &topics)
        .await?
        .into_iter()
        .map(|(q, v)| {
            let options = bank::parse_options(&v.options);
            PoolQuestion {
                question_id: q.id,
                version_id: v.id,
                module: v.module.clone(),
                topic: v.topic.clone(),
                difficulty: Difficulty::parse(&v.difficulty).unwrap_or(Difficulty::Medium),
                qtype: QuestionType::parse(&v.qtype).unwrap_or(QuestionType::Single),
                correct: options.iter().filter(|o| o.correct).map(|o| o.id).collect(),
                options: options.iter().map(|o| o.id).collect(),
                seen: seen.get(&q.id).copied().unwrap_or(0),
            }
        })
        .collect();
    if pool.is_empty() {
        return Err(AppError::conflict(
            "no_questions",
            "Ngân hàng chưa có câu hỏi đã duyệt cho bài này.",
            "The bank has no ready question for this lesson yet.",
        ));
    }
    let count = (l.quiz_questions as usize).min(pool.len());
    let items = paper::draw(&mut rand::rng(), &pool, count, &HashSet::new())
        .map_err(|e| AppError::internal(anyhow::anyhow!("draw: {e:?}")))?;
    let a = quiz_attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.user.id),
        lesson_id: Set(l.id),
        items: Set(serde_json::to_string(&items).map_err(AppError::internal)?),
        answers: Set(None),
        score: Set(None),
        passed: Set(None),
        created_at: Set(Utc::now()),
        finished_at: Set(None),
    }
    .insert(db)
    .await?;
    view(db, &a, l.quiz_pass_percent).await
}

async fn mine(
    db: &DatabaseConnection,
    user: &UserRecord,
    id: Uuid,
) -> Result<quiz_attempt::Model, AppError> {
    quiz_attempt::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|a| a.user_id == user.user.id)
        .ok_or_else(AppError::not_found)
}

pub async fn get(
    db: &DatabaseConnection,
    user: &UserRecord,
    id: Uuid,
) -> Result<QuizView, AppError> {
    let a = mine(db, user, id).await?;
    let l = course_store::lesson(db, a.lesson_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    view(db, &a, l.quiz_pass_percent).await
}

/// Grades the answers (`position` → option ids); a passed quiz completes the lesson.
/// A repeat returns the same result.
pub async fn submit(
    db: &DatabaseConnection,
    user: &UserRecord,
    id: Uuid,
    answers: HashMap<String, Vec<Uuid>>,
) -> Result<QuizView, AppError> {
    let a = mine(db, user, id).await?;
    let l = course_store::lesson(db, a.lesson_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if a.finished_at.is_some() {
        return view(db, &a, l.quiz_pass_percent).await;
    }
    let items = items_of(&a);
    let mut credits = Vec::new();
    let mut kept: HashMap<String, Vec<Uuid>> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let key = (i + 1).to_string();
        let Some(v) = bank::version_by_id(db, item.version_id).await? else {
            continue;
        };
        let options = bank::parse_options(&v.options);
        let valid: HashSet<Uuid> = options.iter().map(|o| o.id).collect();
        let chosen: Vec<Uuid> = answers
            .get(&key)
            .map(|c| c.iter().copied().filter(|o| valid.contains(o)).collect())
            .unwrap_or_default();
        let correct: Vec<Uuid> = options.iter().filter(|o| o.correct).map(|o| o.id).collect();
        credits.push(paper::credit(
            QuestionType::parse(&v.qtype).unwrap_or(QuestionType::Single),
            &correct,
            &chosen,
            Scoring::AllOrNothing,
        ));
        if !chosen.is_empty() {
            kept.insert(key, chosen);
        }
    }
    let score = paper::score(&credits);
    let passed = score * 10.0 + 1e-9 >= f64::from(l.quiz_pass_percent);
    let now = Utc::now();
    let mut am: quiz_attempt::ActiveModel = a.into();
    am.answers = Set(Some(
        serde_json::to_string(&kept).map_err(AppError::internal)?,
    ));
    am.score = Set(Some(score));
    am.passed = Set(Some(passed));
    am.finished_at = Set(Some(now));
    let a = am.update(db).await?;
    if passed {
        let p = course_store::open(db, user.user.id, l.id, now).await?;
        course_store::complete(db, p, "quiz", now).await?;
    }
    view(db, &a, l.quiz_pass_percent).await
}
