//! The learner's side: the course outline and the lesson reader.
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use uuid::Uuid;

use crate::auth::csrf;
use crate::auth::extract::PageUser;
use crate::domain::question::TextFormat;
use crate::error::AppError;
use crate::routes::lang_of;
use crate::routes::pages::{redirect_with_flash, render, tr};
use crate::services::courses;
use crate::startup::AppState;
use crate::store::courses as store;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(course)
        .service(lesson)
        .service(complete)
        .service(quiz)
        .service(quiz_submit);
}

#[get("/courses/{id}")]
async fn course(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let tree = store::tree(&state.db, *id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !courses::may_study(&state.db, &user.record, tree.course.id).await? {
        return Err(AppError::forbidden());
    }
    let done = courses::completed_in(&state.db, user.id(), &tree).await?;
    let editor =
        user.has(crate::domain::role::Role::Admin) || user.has(crate::domain::role::Role::Trainer);
    let modules: Vec<serde_json::Value> = tree
        .modules
        .iter()
        .map(|(m, lessons)| {
            let items: Vec<serde_json::Value> = lessons
                .iter()
                .filter(|l| editor || l.status == store::PUBLISHED)
                .map(|l| serde_json::json!({"id": l.id, "title": l.title, "minutes": (l.min_seconds + 59) / 60, "done": done.contains(&l.id), "draft": l.status != store::PUBLISHED}))
                .collect();
            let completed = items.iter().filter(|i| i["done"] == true).count();
            serde_json::json!({"code": m.code, "title": m.title, "lessons": items, "completed": completed})
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("course", &serde_json::json!({"id": tree.course.id, "title": tree.course.title, "description": tree.course.description}));
    ctx.insert("modules", &modules);
    ctx.insert("editor", &editor);
    render(&req, &state, Some(&user), "study/course.html", ctx)
}

#[get("/lessons/{id}")]
async fn lesson(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    // Reading a lesson opens it: the server's clock starts at the first view.
    let st = courses::open(&state.db, &user.record, *id).await?;
    let l = store::lesson(&state.db, *id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let tree = store::tree(&state.db, l.course_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let ordered: Vec<&crate::entities::lesson::Model> = tree.published_lessons().collect();
    let pos = ordered.iter().position(|x| x.id == l.id);
    let prev = pos
        .and_then(|p| p.checked_sub(1))
        .and_then(|p| ordered.get(p))
        .map(|x| serde_json::json!({"id": x.id, "title": x.title}));
    let next = pos
        .and_then(|p| ordered.get(p + 1))
        .map(|x| serde_json::json!({"id": x.id, "title": x.title}));
    let module_title = tree
        .modules
        .iter()
        .find(|(m, _)| m.code == l.module_code)
        .map(|(m, _)| m.title.clone());
    let mut ctx = tera::Context::new();
    ctx.insert(
        "lesson",
        &serde_json::json!({
            "id": l.id, "title": l.title, "module": l.module_code, "module_title": module_title,
            "course_id": l.course_id, "minutes": (l.min_seconds + 59) / 60, "quiz": l.quiz_questions > 0,
        }),
    );
    ctx.insert(
        "html",
        &crate::render::to_html(&l.body, TextFormat::Markdown),
    );
    ctx.insert("state", &st);
    ctx.insert(
        "left_text",
        &courses::human_duration(st.seconds_left, lang_of(&req)),
    );
    ctx.insert("prev", &prev);
    ctx.insert("next", &next);
    render(&req, &state, Some(&user), "study/lesson.html", ctx)
}

#[post("/lessons/{id}/complete")]
async fn complete(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    form: web::Form<crate::routes::pages::admin_users::CsrfForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &form.csrf_token)?;
    let here = format!("/lessons/{}", *id);
    match courses::complete(&state.db, &user.record, *id).await {
        Ok(_) => Ok(redirect_with_flash(
            &here,
            "success",
            tr(&req, &state, "lesson_completed"),
        )),
        Err(e) if e.code() == "too_early" => Ok(redirect_with_flash(&here, "error", e.message())),
        Err(e) => Err(e),
    }
}

#[get("/lessons/{id}/quiz")]
async fn quiz(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let q = crate::services::quizzes::start(&state.db, &user.record, *id).await?;
    let l = store::lesson(&state.db, *id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let mut ctx = tera::Context::new();
    if let Some(r) = &q.result {
        ctx.insert("score_text", &score_text(r.score, lang_of(&req)));
    }
    ctx.insert("quiz", &q);
    ctx.insert(
        "lesson",
        &serde_json::json!({"id": l.id, "title": l.title, "pass": l.quiz_pass_percent}),
    );
    render(&req, &state, Some(&user), "study/quiz.html", ctx)
}

#[post("/quizzes/{id}/submit")]
async fn quiz_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let mut token = String::new();
    let mut answers: std::collections::HashMap<String, Vec<Uuid>> =
        std::collections::HashMap::new();
    for (k, v) in url::form_urlencoded::parse(&body) {
        if k == "csrf_token" {
            token = v.into_owned();
        } else if let Some(pos) = k.strip_prefix('q')
            && let Ok(option) = Uuid::parse_str(&v)
        {
            answers.entry(pos.to_string()).or_default().push(option);
        }
    }
    csrf::verify(&req, &token)?;
    let q = crate::services::quizzes::submit(&state.db, &user.record, *id, answers).await?;
    let l = store::lesson(&state.db, q.lesson_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let mut ctx = tera::Context::new();
    if let Some(r) = &q.result {
        ctx.insert("score_text", &score_text(r.score, lang_of(&req)));
    }
    ctx.insert("quiz", &q);
    ctx.insert(
        "lesson",
        &serde_json::json!({"id": l.id, "title": l.title, "pass": l.quiz_pass_percent}),
    );
    render(&req, &state, Some(&user), "study/quiz.html", ctx)
}

/// A score as people read it: `8,33` in Vietnamese, `8.33` in English, no trailing zeros.
pub fn score_text(score: f64, lang: crate::i18n::Lang) -> String {
    let s = format!("{score:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    match lang {
        crate::i18n::Lang::Vi => s.replace('.', ","),
        crate::i18n::Lang::En => s.to_string(),
    }
}
