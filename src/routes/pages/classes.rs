//! Classes on the web: the list, creating a class (admin), and the class
//! board for its trainers: learners × modules, attendance, eligibility,
//! enrolment (by hand, by unit, from a roster file), exceptions, export.
use std::collections::HashSet;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::csrf;
use crate::auth::extract::{AuthUser, PageUser};
use crate::domain::eligibility::Rule;
use crate::domain::role::Role;
use crate::domain::unit_path::UnitIndex;
use crate::entities::class;
use crate::error::AppError;
use crate::routes::pages::{redirect_with_flash, render, tr};
use crate::routes::{lang_of, upload};
use crate::services::courses::{self, LearnerProgress};
use crate::startup::AppState;
use crate::store::{classes, courses as course_store, units, users};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(board)
        .service(export)
        .service(enrol)
        .service(enrol_roster)
        .service(attendance)
        .service(exception);
}

fn staff(user: &AuthUser) -> Result<(), AppError> {
    user.require_any(&[Role::Admin, Role::Trainer])
}

#[get("/classes")]
async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
) -> Result<HttpResponse, AppError> {
    staff(&user)?;
    let list = classes::visible(&state.db, user.id(), user.is_admin()).await?;
    let all_courses = course_store::all(&state.db).await?;
    let rows: Vec<serde_json::Value> = list
        .iter()
        .map(|c| {
            let course = all_courses.iter().find(|x| x.id == c.course_id).map(|x| x.title.clone());
            serde_json::json!({"id": c.id, "name": c.name, "course": course, "starts_on": c.starts_on, "ends_on": c.ends_on})
        })
        .collect();
    let trainers = users::list(
        &state.db,
        &users::UserFilter {
            role: Some(Role::Trainer),
            ..Default::default()
        },
        1,
        500,
    )
    .await?
    .0;
    let mut ctx = tera::Context::new();
    ctx.insert("classes", &rows);
    ctx.insert(
        "courses",
        &all_courses
            .iter()
            .map(|c| serde_json::json!({"id": c.id, "title": c.title}))
            .collect::<Vec<_>>(),
    );
    ctx.insert("trainers", &trainers.iter().map(|t| serde_json::json!({"id": t.user.id, "name": t.user.full_name, "email": t.user.email})).collect::<Vec<_>>());
    render(&req, &state, Some(&user), "classes/list.html", ctx)
}

fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

#[post("/classes")]
async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    let f = form_fields(&body);
    csrf::verify(&req, field(&f, "csrf_token"))?;
    let lang = lang_of(&req);
    let back = |msg: &str| Ok(redirect_with_flash("/classes", "error", msg));
    let Ok(course_id) = Uuid::parse_str(field(&f, "course_id")) else {
        return back(tr(&req, &state, "class_needs_course"));
    };
    let (Ok(starts_on), Ok(ends_on)) = (
        crate::domain::person::parse_date(field(&f, "starts_on")),
        crate::domain::person::parse_date(field(&f, "ends_on")),
    ) else {
        return back(tr(&req, &state, "class_bad_dates"));
    };
    let unit_id = match field(&f, "unit").trim() {
        "" => None,
        path => match UnitIndex::new(units::all_refs(&state.db).await?).resolve(path) {
            Ok(u) => Some(u),
            Err(e) => return back(&e.message(lang)),
        },
    };
    let number = |k: &str| field(&f, k).trim().parse::<u32>().ok();
    let rule = Rule {
        all_modules_complete: !field(&f, "all_modules_complete").is_empty(),
        min_modules_complete: number("min_modules_complete"),
        min_attendance_percent: number("min_attendance_percent"),
    };
    let trainer_ids: Vec<Uuid> = f
        .iter()
        .filter(|(k, _)| k == "trainer_ids")
        .filter_map(|(_, v)| Uuid::parse_str(v).ok())
        .collect();
    let input = crate::routes::api::classes::ClassInput {
        name: field(&f, "name").to_string(),
        course_id,
        unit_id,
        starts_on,
        ends_on,
        rule,
        trainer_ids,
    };
    match crate::routes::api::classes::create_class(&state, &user, input).await {
        Ok(c) => Ok(redirect_with_flash(
            &format!("/classes/{}", c.id),
            "success",
            tr(&req, &state, "class_created"),
        )),
        Err(e) if e.status().is_client_error() => back(e.message()),
        Err(e) => Err(e),
    }
}

async fn managed(state: &AppState, user: &AuthUser, id: Uuid) -> Result<class::Model, AppError> {
    let c = classes::get(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !courses::may_manage(&state.db, &user.record, id).await? {
        return Err(AppError::forbidden());
    }
    Ok(c)
}

#[get("/classes/{id}")]
async fn board(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let c = managed(&state, &user, *id).await?;
    let progress = courses::class_progress(&state.db, &c, lang_of(&req)).await?;
    let tree = course_store::tree(&state.db, c.course_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let rule = classes::rule_of(&c);
    let eligible = progress.iter().filter(|p| p.eligible).count();
    let mut ctx = tera::Context::new();
    ctx.insert("class", &serde_json::json!({"id": c.id, "name": c.name, "starts_on": c.starts_on, "ends_on": c.ends_on, "course": tree.course.title}));
    ctx.insert("rule", &rule);
    ctx.insert(
        "module_codes",
        &tree
            .modules
            .iter()
            .map(|(m, _)| m.code.clone())
            .collect::<Vec<_>>(),
    );
    ctx.insert("rows", &progress);
    ctx.insert("eligible", &eligible);
    ctx.insert(
        "today",
        &chrono::Utc::now()
            .with_timezone(&state.settings.time_zone())
            .date_naive(),
    );
    render(&req, &state, Some(&user), "classes/board.html", ctx)
}

fn export_rows(
    progress: &[LearnerProgress],
    codes: &[String],
    yes: &str,
    no: &str,
) -> Vec<Vec<String>> {
    progress
        .iter()
        .map(|p| {
            let mut row = vec![p.full_name.clone()];
            for code in codes {
                let m = p.modules.iter().find(|m| &m.code == code);
                row.push(
                    m.map(|m| format!("{}/{}", m.lessons_completed, m.lessons_total))
                        .unwrap_or_default(),
                );
            }
            row.push(p.attendance.map(|a| format!("{a}")).unwrap_or_default());
            row.push(if p.eligible {
                yes.to_string()
            } else {
                no.to_string()
            });
            row.push(p.missing.join("; "));
            row.push(p.exception.clone().unwrap_or_default());
            row
        })
        .collect()
}

#[get("/classes/{id}/export.{ext}")]
async fn export(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, ext) = path.into_inner();
    let c = managed(&state, &user, id).await?;
    let progress = courses::class_progress(&state.db, &c, lang_of(&req)).await?;
    let tree = course_store::tree(&state.db, c.course_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let codes: Vec<String> = tree.modules.iter().map(|(m, _)| m.code.clone()).collect();
    let mut headers: Vec<String> = vec![tr(&req, &state, "field_full_name").to_string()];
    headers.extend(codes.iter().cloned());
    for k in ["attendance", "eligible_col", "missing_col", "exception_col"] {
        headers.push(tr(&req, &state, k).to_string());
    }
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let rows = export_rows(
        &progress,
        &codes,
        tr(&req, &state, "right"),
        tr(&req, &state, "wrong"),
    );
    let fail = |e: crate::formats::table::TableError| AppError::internal(anyhow::anyhow!("{e}"));
    let (bytes, mime, extension) = match ext.as_str() {
        "csv" => (
            crate::formats::table::write_csv(&header_refs, &rows).map_err(fail)?,
            "text/csv; charset=utf-8",
            "csv",
        ),
        "xlsx" => (
            crate::formats::table::write_xlsx("Lop", &header_refs, &rows).map_err(fail)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        _ => return Err(AppError::not_found()),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, mime))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"lop-{}.{extension}\"", c.id),
        ))
        .body(bytes))
}

/// Enrols learners chosen by unit (its whole subtree) or by e-mail.
#[post("/classes/{id}/enrol")]
async fn enrol(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let c = managed(&state, &user, *id).await?;
    let f = form_fields(&body);
    csrf::verify(&req, field(&f, "csrf_token"))?;
    let here = format!("/classes/{}", c.id);
    let lang = lang_of(&req);
    let mut chosen: Vec<crate::entities::user::Model> = Vec::new();
    let unit = field(&f, "unit").trim();
    if !unit.is_empty() {
        let index = UnitIndex::new(units::all_refs(&state.db).await?);
        let u = match index.resolve(unit) {
            Ok(u) => u,
            Err(e) => return Ok(redirect_with_flash(&here, "error", &e.message(lang))),
        };
        let filter = users::UserFilter {
            unit_ids: Some(index.descendants(u)),
            role: Some(Role::Learner),
            ..Default::default()
        };
        chosen.extend(
            users::list(&state.db, &filter, 1, 100_000)
                .await?
                .0
                .into_iter()
                .map(|r| r.user),
        );
    }
    let emails: Vec<String> = field(&f, "emails")
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty())
        .collect();
    if !emails.is_empty() {
        let found = users::by_emails(&state.db, &emails).await?;
        let known: HashSet<&str> = found.iter().map(|u| u.email.as_str()).collect();
        if let Some(missing) = emails.iter().find(|e| !known.contains(e.as_str())) {
            let msg = format!("{}: {missing}", tr(&req, &state, "no_such_email"));
            return Ok(redirect_with_flash(&here, "error", &msg));
        }
        chosen.extend(found);
    }
    let (enrolled, already) = classes::enrol(&state.db, c.id, &chosen).await?;
    let msg = format!(
        "{}: {enrolled} · {}: {already}",
        tr(&req, &state, "enrolled"),
        tr(&req, &state, "already_enrolled")
    );
    Ok(redirect_with_flash(&here, "success", &msg))
}

/// Imports a roster (creating or updating accounts) and enrols everyone on it.
#[post("/classes/{id}/enrol-roster")]
async fn enrol_roster(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    user.require_any(&[Role::Admin])?;
    let c = managed(&state, &user, *id).await?;
    crate::routes::limits::check_import(&req, &state)?;
    let file = upload::read(&req, payload, state.settings.server.max_body_bytes).await?;
    csrf::verify(
        &req,
        file.fields
            .get("csrf_token")
            .map(String::as_str)
            .unwrap_or(""),
    )?;
    let report = crate::services::roster::import(
        &state.db,
        &state.settings,
        &file.bytes,
        false,
        lang_of(&req),
    )
    .await?;
    if !report.errors.is_empty() {
        let mut ctx = tera::Context::new();
        ctx.insert("report", &report);
        return crate::routes::pages::render_status(
            &req,
            &state,
            Some(&user),
            "users/import_result.html",
            ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let emails: Vec<String> = report.rows.iter().map(|r| r.email.clone()).collect();
    let people = users::by_emails(&state.db, &emails).await?;
    let (enrolled, already) = classes::enrol(&state.db, c.id, &people).await?;
    let msg = format!(
        "{}: {enrolled} · {}: {already}",
        tr(&req, &state, "enrolled"),
        tr(&req, &state, "already_enrolled")
    );
    Ok(redirect_with_flash(
        &format!("/classes/{}", c.id),
        "success",
        &msg,
    ))
}

#[post("/classes/{id}/attendance")]
async fn attendance(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let c = managed(&state, &user, *id).await?;
    let f = form_fields(&body);
    csrf::verify(&req, field(&f, "csrf_token"))?;
    let here = format!("/classes/{}", c.id);
    let Ok(day) = NaiveDate::parse_from_str(field(&f, "date"), "%Y-%m-%d")
        .or_else(|_| crate::domain::person::parse_date(field(&f, "date")).map_err(|_| ()))
    else {
        return Ok(redirect_with_flash(
            &here,
            "error",
            tr(&req, &state, "class_bad_dates"),
        ));
    };
    if day < c.starts_on || day > c.ends_on {
        return Ok(redirect_with_flash(
            &here,
            "error",
            tr(&req, &state, "date_outside_class"),
        ));
    }
    let enrolled: HashSet<Uuid> = classes::enrolled_users(&state.db, c.id)
        .await?
        .into_iter()
        .collect();
    let present: Vec<Uuid> = f
        .iter()
        .filter(|(k, _)| k == "present")
        .filter_map(|(_, v)| Uuid::parse_str(v).ok())
        .filter(|u| enrolled.contains(u))
        .collect();
    classes::record_attendance(&state.db, c.id, day, &present).await?;
    Ok(redirect_with_flash(
        &here,
        "success",
        tr(&req, &state, "attendance_saved"),
    ))
}

#[derive(Deserialize)]
struct ExceptionForm {
    #[serde(default)]
    csrf_token: String,
    user_id: Uuid,
    reason: String,
}

#[post("/classes/{id}/exceptions")]
async fn exception(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    id: web::Path<Uuid>,
    form: web::Form<ExceptionForm>,
) -> Result<HttpResponse, AppError> {
    let c = managed(&state, &user, *id).await?;
    csrf::verify(&req, &form.csrf_token)?;
    let here = format!("/classes/{}", c.id);
    if form.reason.trim().chars().count() < 3 {
        return Ok(redirect_with_flash(
            &here,
            "error",
            tr(&req, &state, "exception_needs_reason"),
        ));
    }
    if !classes::is_enrolled(&state.db, c.id, form.user_id).await? {
        return Err(AppError::unprocessable(
            "not_enrolled",
            "Học viên không thuộc lớp này.",
            "The learner is not enrolled in this class.",
        ));
    }
    classes::add_exception(&state.db, c.id, form.user_id, form.reason.trim(), user.id()).await?;
    Ok(redirect_with_flash(
        &here,
        "success",
        tr(&req, &state, "exception_saved"),
    ))
}
