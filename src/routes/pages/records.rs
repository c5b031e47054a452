//! Printable permanent records: a session's score sheet and decision, and
//! an attempt's paper with the answers and the key.
use actix_web::{HttpRequest, HttpResponse, get, web};
use uuid::Uuid;

use crate::auth::extract::PageUser;
use crate::error::AppError;
use crate::routes::pages::render;
use crate::services::{exams, records};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(session).service(paper);
}

#[get("/exam-sessions/{id}/records")]
async fn session(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let r = records::session_record(&state.db, &user.record, *id).await?;
    let mut ctx = tera::Context::new();
    ctx.insert("r", &r);
    ctx.insert(
        "approval",
        &crate::services::certificates::approval_list(&state.db, *id).await?,
    );
    render(&req, &state, Some(&user), "exams/records.html", ctx)
}

#[get("/attempts/{id}/paper")]
async fn paper(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let (v, a, s) = exams::paper_record(&state.db, &user.record, *id).await?;
    let who = crate::store::users::by_ids(&state.db, &[a.user_id])
        .await?
        .into_iter()
        .next()
        .map(|u| u.full_name)
        .unwrap_or_default();
    let key = v.key.clone().unwrap_or_default();
    let questions: Vec<serde_json::Value> = v
        .questions
        .iter()
        .map(|q| {
            let pos = q.position.to_string();
            let chosen = v.answers.get(&pos).cloned().unwrap_or_default();
            let right = key.get(&pos).cloned().unwrap_or_default();
            serde_json::json!({
                "position": q.position,
                "stem_html": q.stem_html,
                "correct": !right.is_empty() && {
                    let mut a = chosen.clone(); a.sort();
                    let mut b = right.clone(); b.sort();
                    a == b
                },
                "options": q.options.iter().map(|o| serde_json::json!({
                    "text_html": o.text_html,
                    "chosen": chosen.contains(&o.id),
                    "right": right.contains(&o.id),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("questions", &questions);
    ctx.insert("result", &v.result);
    ctx.insert("who", &who);
    ctx.insert("session", &s.title);
    ctx.insert(
        "attempt",
        &serde_json::json!({"id": a.id, "started_at": a.started_at, "number": a.number}),
    );
    render(&req, &state, Some(&user), "exams/paper.html", ctx)
}
