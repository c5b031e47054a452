//! Lesson authoring for trainers: write in Markdown with a live preview
//! (sanitized exactly as learners see it), images, reorder, publish.
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::csrf;
use crate::auth::extract::{AuthUser, PageUser};
use crate::domain::question::{ModuleCode, TextFormat, TopicCode};
use crate::domain::role::Role;
use crate::error::AppError;
use crate::routes::pages::{redirect, redirect_with_flash, render_status, tr};
use crate::startup::AppState;
use crate::store::courses::{self as store, LessonEdit};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(new_form)
        .service(create)
        .service(edit_form)
        .service(save)
        .service(preview)
        .service(move_lesson);
}

fn author(user: &AuthUser) -> Result<(), AppError> {
    user.require_any(&[Role::Admin, Role::Trainer])
}

#[derive(Deserialize, Serialize, Default, Clone)]
struct LessonForm {
    #[serde(default)]
    csrf_token: String,
    module: String,
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    topics: String,
    #[serde(default)]
    quiz_questions: String,
    #[serde(default)]
    quiz_pass_percent: String,
    published: Option<String>,
}

impl LessonForm {
    fn parse(&self) -> Result<LessonEdit, (String, String)> {
        let module = ModuleCode::parse(&self.module).ok_or_else(|| {
            (
                "Mô-đun không hợp lệ.".to_string(),
                "Unknown module.".to_string(),
            )
        })?;
        let title = self.title.split_whitespace().collect::<Vec<_>>().join(" ");
        if title.is_empty() || self.body.trim().is_empty() {
            return Err((
                "Bài học cần tên và nội dung.".into(),
                "A lesson needs a title and text.".into(),
            ));
        }
        let minutes: f64 = self.minutes.trim().replace(',', ".").parse().unwrap_or(0.0);
        if !(0.1..=240.0).contains(&minutes) {
            return Err((
                "Thời gian học tối thiểu từ 1 đến 240 phút.".into(),
                "The minimum study time is 1 to 240 minutes.".into(),
            ));
        }
        let mut topics = Vec::new();
        for t in self
            .topics
            .split([',', ' '])
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            match TopicCode::parse(t) {
                Some(code) if code.module() == module => topics.push(code.as_str().to_string()),
                _ => {
                    return Err((
                        format!("Chủ đề {t} không thuộc mô-đun {}.", module.as_str()),
                        format!("Topic {t} is not under {}.", module.as_str()),
                    ));
                }
            }
        }
        let quiz_questions: i32 = self.quiz_questions.trim().parse().unwrap_or(0).clamp(0, 50);
        let pass: i32 = self.quiz_pass_percent.trim().parse().unwrap_or(80);
        if !(0..=100).contains(&pass) {
            return Err((
                "Ngưỡng đạt từ 0 đến 100%.".into(),
                "The pass mark is 0 to 100%.".into(),
            ));
        }
        Ok(LessonEdit {
            module_code: module.as_str().to_string(),
            title,
            body: self.body.trim().to_string(),
            min_seconds: (minutes * 60.0).round() as i32,
            topics,
            quiz_questions,
            quiz_pass_percent: pass,
            published: self.published.is_some(),
        })
    }
}

fn page(
    req: &HttpRequest,
    state: &AppState,
    user: &AuthUser,
    form: &LessonForm,
    action: &str,
    course_id: Uuid,
    error: Option<(StatusCode, String)>,
) -> Result<HttpResponse, AppError> {
    let mut ctx = tera::Context::new();
    ctx.insert("form", form);
    ctx.insert("action", action);
    ctx.insert("course_id", &course_id);
    ctx.insert(
        "modules",
        &crate::domain::taxonomy::MODULES
            .iter()
            .map(|m| m.0)
            .collect::<Vec<_>>(),
    );
    ctx.insert(
        "preview_html",
        &crate::render::to_html(&form.body, TextFormat::Markdown),
    );
    let status = match error {
        Some((s, m)) => {
            ctx.insert("error", &m);
            s
        }
        None => StatusCode::OK,
    };
    render_status(req, state, Some(user), "lessons/edit.html", ctx, status)
}

#[derive(Deserialize)]
struct NewQuery {
    course: Uuid,
    module: Option<String>,
}

#[get("/admin/lessons/new")]
async fn new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    q: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    author(&user)?;
    store::tree(&state.db, q.course)
        .await?
        .ok_or_else(AppError::not_found)?;
    let form = LessonForm {
        module: q.module.clone().unwrap_or_else(|| "IU01".into()),
        minutes: "10".into(),
        quiz_questions: "5".into(),
        quiz_pass_percent: "80".into(),
        ..Default::default()
    };
    page(
        &req,
        &state,
        &user,
        &form,
        &format!("/admin/lessons/new?course={}", q.course),
        q.course,
        None,
    )
}

#[post("/admin/lessons/new")]
async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    q: web::Query<NewQuery>,
    form: web::Form<LessonForm>,
) -> Result<HttpResponse, AppError> {
    author(&user)?;
    csrf::verify(&req, &form.csrf_token)?;
    store::tree(&state.db, q.course)
        .await?
        .ok_or_else(AppError::not_found)?;
    let lang = crate::routes::lang_of(&req);
    match form.parse() {
        Ok(edit) => {
            let id = store::create_lesson(&state.db, q.course, &edit).await?;
            Ok(redirect_with_flash(
                &format!("/admin/lessons/{id}/edit"),
                "success",
                tr(&req, &state, "lesson_saved"),
            ))
        }
        Err((vi, en)) => page(
            &req,
            &state,
            &user,
            &form,
            &format!("/admin/lessons/new?course={}", q.course),
            q.course,
            Some((
                StatusCode::UNPROCESSABLE_ENTITY,
                lang.pick(&vi, &en).to_string(),
            )),
        ),
    }
}

#[get("/admin/lessons/{id}/edit")]
async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    author(&user)?;
    let l = store::lesson(&state.db, *id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let topics: Vec<String> = serde_json::from_str(&l.topics).unwrap_or_default();
    let form = LessonForm {
        csrf_token: String::new(),
        module: l.module_code.clone(),
        title: l.title.clone(),
        body: l.body.clone(),
        minutes: format!("{}", f64::from(l.min_seconds) / 60.0),
        topics: topics.join(", "),
        quiz_questions: l.quiz_questions.to_string(),
        quiz_pass_percent: l.quiz_pass_percent.to_string(),
        published: (l.status == store::PUBLISHED).then(|| "1".into()),
    };
    page(
        &req,
        &state,
        &user,
        &form,
        &format!("/admin/lessons/{}/edit", l.id),
        l.course_id,
        None,
    )
}

#[post("/admin/lessons/{id}/edit")]
async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    form: web::Form<LessonForm>,
) -> Result<HttpResponse, AppError> {
    author(&user)?;
    csrf::verify(&req, &form.csrf_token)?;
    let l = store::lesson(&state.db, *id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let lang = crate::routes::lang_of(&req);
    match form.parse() {
        Ok(edit) => {
            store::update_lesson(&state.db, l, &edit).await?;
            Ok(redirect_with_flash(
                &format!("/admin/lessons/{}/edit", *id),
                "success",
                tr(&req, &state, "lesson_saved"),
            ))
        }
        Err((vi, en)) => {
            let course = l.course_id;
            page(
                &req,
                &state,
                &user,
                &form,
                &format!("/admin/lessons/{}/edit", *id),
                course,
                Some((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    lang.pick(&vi, &en).to_string(),
                )),
            )
        }
    }
}

#[derive(Deserialize)]
struct PreviewForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    body: String,
}

/// The live preview: Markdown in, the sanitized HTML learners will see out.
#[post("/admin/lessons/preview")]
async fn preview(
    req: HttpRequest,
    PageUser(user): PageUser,
    form: web::Form<PreviewForm>,
) -> Result<HttpResponse, AppError> {
    author(&user)?;
    csrf::verify(&req, &form.csrf_token)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(crate::render::to_html(&form.body, TextFormat::Markdown)))
}

#[derive(Deserialize)]
struct MoveForm {
    #[serde(default)]
    csrf_token: String,
    direction: String,
}

#[post("/admin/lessons/{id}/move")]
async fn move_lesson(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, AppError> {
    author(&user)?;
    csrf::verify(&req, &form.csrf_token)?;
    let l = store::lesson(&state.db, *id)
        .await?
        .ok_or_else(AppError::not_found)?;
    store::move_lesson(&state.db, &l, form.direction == "up").await?;
    Ok(redirect(&format!("/courses/{}", l.course_id)))
}
