//! The question bank on the web: list with filters and counts, a view with
//! the candidate's preview and the version history, authoring with a live
//! preview, review, bulk retire, import.
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::csrf;
use crate::auth::extract::{AuthUser, PageUser};
use crate::domain::question::{
    Difficulty, ImportDefaults, ModuleCode, QuestionType, Status, TextFormat,
};
use crate::domain::taxonomy;
use crate::error::AppError;
use crate::routes::api::questions::ListQuery;
use crate::routes::pages::{redirect_with_flash, render, render_status, tr};
use crate::routes::{lang_of, upload};
use crate::services::questions::{self as bank, ImportFormat, OptionInput, Origin, QuestionInput};
use crate::startup::AppState;
use crate::store::questions::{self as store, QuestionRecord};
use crate::store::users;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(import_form)
        .service(import_submit)
        .service(retire)
        .service(preview)
        .service(new_form)
        .service(create)
        .service(show)
        .service(edit_form)
        .service(edit_submit)
        .service(approve);
}

const PER_PAGE: u64 = 50;

fn author(user: &AuthUser) -> Result<(), AppError> {
    bank::require_author(&user.record)
}

#[derive(Deserialize)]
struct ListParams {
    module: Option<String>,
    topic: Option<String>,
    difficulty: Option<String>,
    status: Option<String>,
    q: Option<String>,
    page: Option<u64>,
}

#[derive(Serialize)]
struct Row {
    id: Uuid,
    external_id: Option<String>,
    module: String,
    topic: Option<String>,
    difficulty: String,
    qtype: String,
    status: String,
    version: i32,
    excerpt: String,
    drawn: i64,
    facility: Option<String>,
    author: Option<String>,
    approver: Option<String>,
}

fn excerpt(s: &str) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 140 {
        format!("{}…", flat.chars().take(140).collect::<String>())
    } else {
        flat
    }
}

#[get("/questions")]
async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    p: web::Query<ListParams>,
) -> Result<HttpResponse, AppError> {
    author(&user)?;
    let query = ListQuery {
        module: p.module.clone(),
        topic: p.topic.clone(),
        difficulty: p.difficulty.clone(),
        status: p.status.clone(),
        q: p.q.clone(),
    };
    let filter = query.filter()?;
    let page = p.page.unwrap_or(1).max(1);
    let (records, total) = store::list(&state.db, &filter, page, PER_PAGE).await?;
    let ids: Vec<Uuid> = records.iter().map(|r| r.question.id).collect();
    let stats = crate::store::question_stats::for_questions(&state.db, &ids).await?;
    let people: Vec<Uuid> = records
        .iter()
        .flat_map(|r| [r.version.created_by, r.version.approved_by])
        .flatten()
        .collect();
    let names = users::names(&state.db, &people).await?;
    let shipped = tr(&req, &state, "shipped").to_string();
    let rows: Vec<Row> = records
        .into_iter()
        .map(|r| {
            let s = stats.get(&r.question.id).cloned().unwrap_or_default();
            let author = match r.version.created_by {
                Some(u) => names.get(&u).cloned(),
                None => Some(shipped.clone()),
            };
            let approver = r.version.approved_by.and_then(|u| names.get(&u).cloned());
            Row {
                author,
                approver,
                id: r.question.id,
                excerpt: excerpt(&r.version.stem),
                external_id: r.question.external_id,
                module: r.question.module,
                topic: r.question.topic,
                difficulty: r.question.difficulty,
                qtype: r.question.qtype,
                status: r.question.status,
                version: r.question.current_version,
                drawn: s.drawn,
                facility: s.facility.map(|f| format!("{:.0}%", f * 100.0)),
            }
        })
        .collect();
    // Ready questions per module and difficulty: can the bank feed a blueprint?
    let counts = store::counts(&state.db, Some(Status::Ready)).await?;
    let lang = lang_of(&req);
    let mut table = Vec::new();
    for (code, _, _) in taxonomy::MODULES {
        let n = |d: &str| -> i64 {
            counts
                .iter()
                .filter(|c| c.0 == code && c.2 == d)
                .map(|c| c.3)
                .sum()
        };
        table.push(serde_json::json!({
            "module": code,
            "name": taxonomy::module_name(code, lang),
            "easy": n("easy"), "medium": n("medium"), "hard": n("hard"),
            "total": n("easy") + n("medium") + n("hard"),
        }));
    }
    let topic_counts: Vec<serde_json::Value> = counts
        .iter()
        .filter(|c| filter.module.as_deref().is_none_or(|m| m == c.0))
        .fold(Vec::<(String, String, i64, i64, i64)>::new(), |mut acc, (m, t, d, n)| {
            let t = t.clone().unwrap_or_else(|| "—".into());
            let idx = match acc.iter().position(|a| a.0 == *m && a.1 == t) {
                Some(i) => i,
                None => {
                    acc.push((m.clone(), t, 0, 0, 0));
                    acc.len() - 1
                }
            };
            if let Some(a) = acc.get_mut(idx) {
                match d.as_str() {
                    "easy" => a.2 += n,
                    "medium" => a.3 += n,
                    _ => a.4 += n,
                }
            }
            acc
        })
        .into_iter()
        .map(|(m, t, e, me, h)| serde_json::json!({"module": m, "topic": t, "easy": e, "medium": me, "hard": h}))
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("rows", &rows);
    ctx.insert("total", &total);
    ctx.insert("page", &page);
    ctx.insert("pages", &total.div_ceil(PER_PAGE).max(1));
    ctx.insert("counts", &table);
    ctx.insert("topic_counts", &topic_counts);
    ctx.insert(
        "modules",
        &taxonomy::MODULES.iter().map(|m| m.0).collect::<Vec<_>>(),
    );
    ctx.insert(
        "f",
        &serde_json::json!({
            "module": p.module.clone().unwrap_or_default(),
            "topic": p.topic.clone().unwrap_or_default(),
            "difficulty": p.difficulty.clone().unwrap_or_default(),
            "status": p.status.clone().unwrap_or_default(),
            "q": p.q.clone().unwrap_or_default(),
        }),
    );
    render(&req, &state, Some(&user), "questions/list.html", ctx)
}

async fn names(state: &AppState, ids: &[Option<Uuid>]) -> Result<Vec<Option<String>>, AppError> {
    let mut out = Vec::new();
    for id in ids {
        out.push(match id {
            Some(i) => users::find_by_id(&state.db, *i)
                .await?
                .map(|u| u.user.full_name),
            None => None,
        });
    }
    Ok(out)
}

fn diff_html(old: &str, new: &str) -> String {
    use similar::{ChangeTag, TextDiff};
    let diff = TextDiff::from_words(old, new);
    let mut out = String::new();
    for change in diff.iter_all_changes() {
        let text = ammonia::clean_text(change.value());
        match change.tag() {
            ChangeTag::Delete => out.push_str(&format!("<del>{text}</del>")),
            ChangeTag::Insert => out.push_str(&format!("<ins>{text}</ins>")),
            ChangeTag::Equal => out.push_str(&text),
        }
    }
    out
}

fn option_lines(json: &str) -> String {
    store::parse_options(json)
        .iter()
        .map(|o| format!("{} {}", if o.correct { "[✓]" } else { "[ ]" }, o.text))
        .collect::<Vec<_>>()
        .join("\n")
}

#[get("/questions/{id}")]
async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    author(&user)?;
    let r = store::get(&state.db, *id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let versions = store::versions(&state.db, *id).await?;
    let mut history = Vec::new();
    for (i, v) in versions.iter().enumerate() {
        let [author, approver]: [Option<String>; 2] = names(&state, &[v.created_by, v.approved_by])
            .await?
            .try_into()
            .unwrap_or([None, None]);
        let previous = versions.get(i + 1);
        history.push(serde_json::json!({
            "version": v.version,
            "created_at": v.created_at.with_timezone(&state.settings.time_zone()).format("%d/%m/%Y %H:%M").to_string(),
            "author": author,
            "approver": approver,
            "stem_diff": previous.map(|p| diff_html(&p.stem, &v.stem)),
            "options_diff": previous.map(|p| diff_html(&option_lines(&p.options), &option_lines(&v.options))),
        }));
    }
    let options: Vec<serde_json::Value> = r
        .options()
        .iter()
        .map(|o| {
            serde_json::json!({
                "text_html": crate::render::to_inline_html(&o.text, r.format()),
                "correct": o.correct,
                "feedback_html": crate::render::to_inline_html(&o.feedback, r.format()),
            })
        })
        .collect();
    let can_approve = r.question.status == Status::Draft.as_str()
        && (user.is_admin() || r.version.created_by != Some(user.id()));
    let mut ctx = tera::Context::new();
    ctx.insert(
        "q",
        &crate::routes::api::questions::QuestionView::from(r.clone()),
    );
    ctx.insert("preview", &bank::candidate_view_of(&r));
    ctx.insert("key", &options);
    ctx.insert(
        "general_feedback_html",
        &crate::render::to_html(&r.version.general_feedback, r.format()),
    );
    ctx.insert("history", &history);
    ctx.insert("can_approve", &can_approve);
    render(&req, &state, Some(&user), "questions/show.html", ctx)
}

#[post("/questions/{id}/approve")]
async fn approve(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    form: web::Form<crate::routes::pages::admin_users::CsrfForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &form.csrf_token)?;
    let here = format!("/questions/{}", *id);
    match bank::approve(&state.db, &user.record, *id).await {
        Ok(_) => Ok(redirect_with_flash(
            &here,
            "success",
            tr(&req, &state, "question_approved"),
        )),
        // Not a draft: said on the page. Not allowed (a learner, the
        // author of the draft) or no such question: an answer of its own.
        Err(e)
            if e.status().is_client_error()
                && !matches!(e.status(), StatusCode::NOT_FOUND | StatusCode::FORBIDDEN) =>
        {
            Ok(redirect_with_flash(&here, "error", e.message()))
        }
        Err(e) => Err(e),
    }
}

/// The authoring form's fields.
#[derive(Deserialize, Serialize, Default, Clone)]
struct QuestionForm {
    #[serde(default)]
    csrf_token: String,
    module: String,
    #[serde(default)]
    topic: String,
    difficulty: String,
    #[serde(rename = "type")]
    qtype: String,
    #[serde(default)]
    stem: String,
    #[serde(default)]
    general_feedback: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    opt1: String,
    #[serde(default)]
    opt2: String,
    #[serde(default)]
    opt3: String,
    #[serde(default)]
    opt4: String,
    #[serde(default)]
    opt5: String,
    #[serde(default)]
    fb1: String,
    #[serde(default)]
    fb2: String,
    #[serde(default)]
    fb3: String,
    #[serde(default)]
    fb4: String,
    #[serde(default)]
    fb5: String,
    ok1: Option<String>,
    ok2: Option<String>,
    ok3: Option<String>,
    ok4: Option<String>,
    ok5: Option<String>,
}

impl QuestionForm {
    fn rows(&self) -> [(&String, &String, bool); 5] {
        [
            (&self.opt1, &self.fb1, self.ok1.is_some()),
            (&self.opt2, &self.fb2, self.ok2.is_some()),
            (&self.opt3, &self.fb3, self.ok3.is_some()),
            (&self.opt4, &self.fb4, self.ok4.is_some()),
            (&self.opt5, &self.fb5, self.ok5.is_some()),
        ]
    }

    fn to_input(&self) -> QuestionInput {
        QuestionInput {
            module: self.module.clone(),
            topic: Some(self.topic.clone()),
            difficulty: self.difficulty.clone(),
            qtype: self.qtype.clone(),
            format: Some("markdown".into()),
            stem: self.stem.clone(),
            options: self
                .rows()
                .iter()
                .filter(|(t, _, _)| !t.trim().is_empty())
                .map(|(t, f, ok)| OptionInput {
                    text: (*t).clone(),
                    correct: *ok,
                    feedback: (*f).clone(),
                })
                .collect(),
            general_feedback: self.general_feedback.clone(),
            tags: self
                .tags
                .split(',')
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
            external_id: None,
        }
    }

    fn from_record(r: &QuestionRecord) -> QuestionForm {
        let opts = r.options();
        let get = |i: usize| {
            opts.get(i)
                .map(|o| (o.text.clone(), o.feedback.clone(), o.correct))
        };
        let mut f = QuestionForm {
            module: r.version.module.clone(),
            topic: r.version.topic.clone().unwrap_or_default(),
            difficulty: r.version.difficulty.clone(),
            qtype: r.version.qtype.clone(),
            stem: r.version.stem.clone(),
            general_feedback: r.version.general_feedback.clone(),
            tags: r.tags().join(", "),
            ..Default::default()
        };
        let slots: [(&mut String, &mut String, &mut Option<String>); 5] = [
            (&mut f.opt1, &mut f.fb1, &mut f.ok1),
            (&mut f.opt2, &mut f.fb2, &mut f.ok2),
            (&mut f.opt3, &mut f.fb3, &mut f.ok3),
            (&mut f.opt4, &mut f.fb4, &mut f.ok4),
            (&mut f.opt5, &mut f.fb5, &mut f.ok5),
        ];
        for (i, (t, fb, ok)) in slots.into_iter().enumerate() {
            if let Some((text, feedback, correct)) = get(i) {
                *t = text;
                *fb = feedback;
                *ok = correct.then(|| "1".to_string());
            }
        }
        f
    }
}

fn form_page(
    req: &HttpRequest,
    state: &AppState,
    user: &AuthUser,
    form: &QuestionForm,
    action: &str,
    error: Option<(StatusCode, String)>,
) -> Result<HttpResponse, AppError> {
    let mut ctx = tera::Context::new();
    let rows: Vec<serde_json::Value> = form
        .rows()
        .iter()
        .enumerate()
        .map(|(i, (t, f, ok))| serde_json::json!({"n": i + 1, "text": t, "feedback": f, "correct": ok}))
        .collect();
    ctx.insert("form", form);
    ctx.insert("rows", &rows);
    ctx.insert("action", action);
    ctx.insert(
        "modules",
        &taxonomy::MODULES.iter().map(|m| m.0).collect::<Vec<_>>(),
    );
    ctx.insert("preview", &preview_of(form));
    let status = match error {
        Some((s, m)) => {
            ctx.insert("error", &m);
            s
        }
        None => StatusCode::OK,
    };
    render_status(req, state, Some(user), "questions/edit.html", ctx, status)
}

/// The candidate's view of what the form holds (ids are placeholders).
fn preview_of(form: &QuestionForm) -> bank::CandidateQuestion {
    let options: Vec<(Uuid, String)> = form
        .rows()
        .iter()
        .filter(|(t, _, _)| !t.trim().is_empty())
        .map(|(t, _, _)| (Uuid::nil(), (*t).clone()))
        .collect();
    let qtype = QuestionType::parse(&form.qtype).unwrap_or(QuestionType::Single);
    bank::candidate_view(TextFormat::Markdown, &form.stem, qtype, &options)
}

#[get("/questions/new")]
async fn new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
) -> Result<HttpResponse, AppError> {
    author(&user)?;
    let form = QuestionForm {
        module: "IU01".into(),
        difficulty: Difficulty::Medium.as_str().into(),
        qtype: QuestionType::Single.as_str().into(),
        ..Default::default()
    };
    form_page(&req, &state, &user, &form, "/questions/new", None)
}

#[post("/questions/new")]
async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    form: web::Form<QuestionForm>,
) -> Result<HttpResponse, AppError> {
    author(&user)?;
    csrf::verify(&req, &form.csrf_token)?;
    match bank::create(&state.db, &user.record, form.to_input()).await {
        Ok(r) => Ok(redirect_with_flash(
            &format!("/questions/{}", r.question.id),
            "success",
            tr(&req, &state, "question_saved"),
        )),
        Err(e) if e.status().is_client_error() => {
            let msg = e.message().to_string();
            form_page(
                &req,
                &state,
                &user,
                &form,
                "/questions/new",
                Some((e.status(), msg)),
            )
        }
        Err(e) => Err(e),
    }
}

#[get("/questions/{id}/edit")]
async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    author(&user)?;
    let r = store::get(&state.db, *id)
        .await?
        .ok_or_else(AppError::not_found)?;
    form_page(
        &req,
        &state,
        &user,
        &QuestionForm::from_record(&r),
        &format!("/questions/{}/edit", *id),
        None,
    )
}

#[post("/questions/{id}/edit")]
async fn edit_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    form: web::Form<QuestionForm>,
) -> Result<HttpResponse, AppError> {
    author(&user)?;
    csrf::verify(&req, &form.csrf_token)?;
    let action = format!("/questions/{}/edit", *id);
    match bank::update(&state.db, &user.record, *id, form.to_input()).await {
        Ok(r) => Ok(redirect_with_flash(
            &format!("/questions/{}", r.question.id),
            "success",
            tr(&req, &state, "question_saved"),
        )),
        Err(e) if e.status().is_client_error() && e.status() != StatusCode::NOT_FOUND => {
            let msg = e.message().to_string();
            form_page(&req, &state, &user, &form, &action, Some((e.status(), msg)))
        }
        Err(e) => Err(e),
    }
}

/// The live preview: the form's fields in, the candidate's view out (HTML).
#[post("/questions/preview")]
async fn preview(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    form: web::Form<QuestionForm>,
) -> Result<HttpResponse, AppError> {
    author(&user)?;
    csrf::verify(&req, &form.csrf_token)?;
    let mut ctx = tera::Context::new();
    ctx.insert("preview", &preview_of(&form));
    ctx.insert("t", state.catalogue.as_value(lang_of(&req)));
    let html = state
        .tera
        .render("questions/_preview.html", &ctx)
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e:?}")))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(html))
}

#[post("/questions/retire")]
async fn retire(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    author(&user)?;
    let mut token = String::new();
    let mut ids = Vec::new();
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "csrf_token" => token = v.into_owned(),
            "ids" => ids.extend(Uuid::parse_str(&v).ok()),
            _ => {}
        }
    }
    csrf::verify(&req, &token)?;
    let n = bank::retire(&state.db, &user.record, &ids).await?;
    let text = format!("{}: {n}", tr(&req, &state, "questions_retired"));
    Ok(redirect_with_flash("/questions", "success", &text))
}

#[get("/questions/import")]
async fn import_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
) -> Result<HttpResponse, AppError> {
    author(&user)?;
    let mut ctx = tera::Context::new();
    ctx.insert(
        "modules",
        &taxonomy::MODULES.iter().map(|m| m.0).collect::<Vec<_>>(),
    );
    render(&req, &state, Some(&user), "questions/import.html", ctx)
}

#[post("/questions/import")]
async fn import_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    author(&user)?;
    crate::routes::limits::check_import(&req, &state)?;
    let file = upload::read(&req, payload, state.settings.server.max_body_bytes).await?;
    csrf::verify(
        &req,
        file.fields
            .get("csrf_token")
            .map(String::as_str)
            .unwrap_or(""),
    )?;
    let format = file
        .fields
        .get("format")
        .and_then(|f| ImportFormat::parse(f))
        .or_else(|| {
            file.filename
                .as_deref()
                .and_then(|n| ImportFormat::from_path(std::path::Path::new(n)))
        })
        .ok_or_else(|| {
            AppError::bad_request("Không nhận ra định dạng tệp.", "Unknown file format.")
        })?;
    let defaults = ImportDefaults {
        module: file.fields.get("module").and_then(|m| ModuleCode::parse(m)),
        ..Default::default()
    };
    let dry_run = file.fields.get("dry_run").is_some_and(|v| !v.is_empty());
    let report = bank::import(
        &state.db,
        format,
        &file.bytes,
        &defaults,
        dry_run,
        Origin::User(user.id()),
    )
    .await?;
    let status = if report.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut ctx = tera::Context::new();
    ctx.insert("report", &report);
    render_status(
        &req,
        &state,
        Some(&user),
        "questions/import_result.html",
        ctx,
        status,
    )
}
