//! The practical part's pages: the candidate's tasks and uploads (plain
//! forms, so old browsers work), the marker's anonymous queue and marking
//! form, and the marking board.
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use uuid::Uuid;

use crate::auth::csrf;
use crate::auth::extract::PageUser;
use crate::domain::practical::CriterionMark;
use crate::error::AppError;
use crate::routes::lang_of;
use crate::routes::pages::{redirect, redirect_with_flash, render};
use crate::services::practical;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(start)
        .service(attempt)
        .service(upload)
        .service(submit)
        .service(queue)
        .service(submission)
        .service(mark)
        .service(board);
}

fn catalogue_pick<'a>(req: &HttpRequest, vi: &'a str, en: &'a str) -> &'a str {
    if lang_of(req) == crate::i18n::Lang::Vi {
        vi
    } else {
        en
    }
}

/// Client errors of a form come back as a flash on the page they came from.
fn flash_or(e: AppError, back: &str) -> Result<HttpResponse, AppError> {
    if e.status().is_client_error() && e.status() != actix_web::http::StatusCode::NOT_FOUND {
        Ok(redirect_with_flash(back, "error", e.message()))
    } else {
        Err(e)
    }
}

#[post("/exams/{id}/practical")]
async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    form: web::Form<crate::routes::pages::exam::StartForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &form.csrf_token)?;
    match practical::start(
        &state.db,
        state.settings.grace(),
        &user.record,
        *id,
        form.access_code.as_deref(),
    )
    .await
    {
        Ok((view, _)) => Ok(redirect(&format!("/practical/{}", view.id))),
        Err(e) => flash_or(e, "/exams"),
    }
}

#[get("/practical/{id}")]
async fn attempt(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let view = practical::get(&state.db, state.settings.grace(), &user.record, *id).await?;
    let tz = state.settings.time_zone();
    let mut ctx = tera::Context::new();
    ctx.insert(
        "deadline_text",
        &view
            .deadline
            .with_timezone(&tz)
            .format("%H:%M:%S %d/%m/%Y")
            .to_string(),
    );
    if let Some(s) = view.score {
        ctx.insert(
            "score_text",
            &crate::routes::pages::study::score_text(s, lang_of(&req)),
        );
    }
    ctx.insert("grace_seconds", &state.settings.exams.grace_seconds);
    ctx.insert("attempt", &view);
    render(&req, &state, Some(&user), "practical/attempt.html", ctx)
}

#[post("/practical/{id}/tasks/{position}")]
async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    path: web::Path<(Uuid, i32)>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let (id, position) = path.into_inner();
    let back = format!("/practical/{id}#task{position}");
    let file = match crate::routes::upload::read(&req, payload, practical::MAX_UPLOAD_BYTES).await {
        Ok(f) => f,
        Err(e) => return flash_or(e, &back),
    };
    csrf::verify(
        &req,
        file.fields
            .get("csrf_token")
            .map(String::as_str)
            .unwrap_or_default(),
    )?;
    match practical::upload(
        &state.db,
        state.settings.grace(),
        &user.record,
        id,
        position,
        file.filename.as_deref().unwrap_or_default(),
        &file.bytes,
    )
    .await
    {
        Ok(_) => Ok(redirect_with_flash(
            &back,
            "success",
            catalogue_pick(&req, "Đã nhận tệp.", "File received."),
        )),
        Err(e) => flash_or(e, &back),
    }
}

#[post("/practical/{id}/submit")]
async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    form: web::Form<crate::routes::pages::admin_users::CsrfForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &form.csrf_token)?;
    practical::submit(&state.db, state.settings.grace(), &user.record, *id).await?;
    Ok(redirect(&format!("/practical/{}", *id)))
}

fn round_text(req: &HttpRequest, round: &str) -> String {
    match round {
        "third" => catalogue_pick(req, "Chấm lần ba (chênh lệch)", "Third mark (disagreement)"),
        "appeal" => catalogue_pick(req, "Chấm phúc khảo", "Appeal re-mark"),
        _ => catalogue_pick(req, "Chấm độc lập", "Independent mark"),
    }
    .to_string()
}

#[get("/marking")]
async fn queue(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
) -> Result<HttpResponse, AppError> {
    let items = practical::queue(&state.db, &user.record, None).await?;
    let rows: Vec<serde_json::Value> = items
        .iter()
        .map(|i| {
            serde_json::json!({
                "submission_id": i.submission_id, "anon_number": i.anon_number,
                "module": i.module, "task_title": i.task_title,
                "round_text": round_text(&req, &i.round),
            })
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("items", &rows);
    render(&req, &state, Some(&user), "practical/queue.html", ctx)
}

#[get("/marking/{id}")]
async fn submission(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let vi = lang_of(&req) == crate::i18n::Lang::Vi;
    let s = practical::submission(&state.db, &user.record, *id, vi).await?;
    let criteria: Vec<serde_json::Value> = s
        .rubric
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let proposal = s.proposals.iter().find(|p| p.criterion == i + 1);
            serde_json::json!({"criterion": c.criterion, "points": c.points, "proposal": proposal})
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("criteria", &criteria);
    ctx.insert(
        "round_text",
        &round_text(&req, s.round.as_deref().unwrap_or("blind")),
    );
    ctx.insert("s", &s);
    render(&req, &state, Some(&user), "practical/submission.html", ctx)
}

#[post("/marking/{id}")]
async fn mark(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let fields = form.into_inner();
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
    };
    csrf::verify(&req, &get("csrf_token").unwrap_or_default())?;
    // Only markers and admins mark: anyone else is refused before the
    // points are read.
    user.require_any(&[
        crate::domain::role::Role::Marker,
        crate::domain::role::Role::Admin,
    ])?;
    let back = format!("/marking/{}", *id);
    let mut marks = Vec::new();
    for n in 1..=50 {
        let Some(points) = get(&format!("points_{n}")) else {
            break;
        };
        let Ok(points) = points.replace(',', ".").parse::<f64>() else {
            return Ok(redirect_with_flash(
                &back,
                "error",
                catalogue_pick(&req, "Điểm phải là một số.", "Points must be a number."),
            ));
        };
        marks.push(CriterionMark {
            criterion: serde_json::json!(n),
            points,
            comment: get(&format!("comment_{n}")).filter(|c| !c.is_empty()),
            override_reason: get(&format!("reason_{n}")).filter(|c| !c.is_empty()),
        });
    }
    match practical::mark(
        &state.db,
        &state.issuer,
        &user.record,
        *id,
        practical::MarksInput { marks },
    )
    .await
    {
        Ok(_) => Ok(redirect_with_flash(
            "/marking",
            "success",
            catalogue_pick(&req, "Đã lưu điểm.", "Marks saved."),
        )),
        // Not on this session's marking board: refused, not a message.
        Err(e) if e.status() == actix_web::http::StatusCode::FORBIDDEN => Err(e),
        Err(e) => flash_or(e, &back),
    }
}

#[get("/exam-sessions/{id}/marking-board")]
async fn board(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let b = practical::board(&state.db, &user.record, *id).await?;
    let mut ctx = tera::Context::new();
    ctx.insert("board", &b);
    ctx.insert("admin", &user.record.has(crate::domain::role::Role::Admin));
    render(&req, &state, Some(&user), "practical/board.html", ctx)
}
