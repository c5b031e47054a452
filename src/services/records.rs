//! The permanent records of an exam session (Điều 19): the candidate list,
//! the score sheet, the decision approving results and the list of
//! certified candidates. Read-only: nothing here can be deleted through the
//! application.
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::role::Role;
use crate::entities::{
    approval_entry, attempt, blueprint, certificate, exam_registration, exam_session, unit,
};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::services::exams::{SessionView, session_view};
use crate::store::users::UserRecord;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RecordLine {
    pub user_id: Uuid,
    pub full_name: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub date_of_birth: Option<NaiveDate>,
    pub place_of_birth: Option<String>,
    pub unit_name: Option<String>,
    pub registered_at: DateTime<Utc>,
    pub attempts: usize,
    /// The attempt that counts (on the approval list, else the best graded one).
    pub attempt_id: Option<Uuid>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub score: Option<f64>,
    pub correct: Option<i32>,
    pub total: Option<i32>,
    pub passed: Option<bool>,
    /// On the decision approving results (null before approval).
    pub approved: Option<bool>,
    pub certificate_code: Option<String>,
    pub certificate_serial: Option<String>,
    /// `valid` or `revoked`.
    pub certificate_status: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SessionRecord {
    pub session: SessionView,
    pub blueprint_name: String,
    pub approved_by: Option<String>,
    pub lines: Vec<RecordLine>,
}

/// The session's records (admins).
pub async fn session_record(
    db: &DatabaseConnection,
    actor: &UserRecord,
    id: Uuid,
) -> Result<SessionRecord, AppError> {
    if !actor.has(Role::Admin) {
        return Err(AppError::forbidden());
    }
    let s = exam_session::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let bp = blueprint::Entity::find_by_id(s.blueprint_id)
        .one(db)
        .await?;
    let regs = exam_registration::Entity::find()
        .filter(exam_registration::Column::SessionId.eq(id))
        .all(db)
        .await?;
    let attempts = attempt::Entity::find()
        .filter(attempt::Column::SessionId.eq(id))
        .order_by_asc(attempt::Column::Number)
        .all(db)
        .await?;
    let approvals: HashMap<Uuid, approval_entry::Model> = approval_entry::Entity::find()
        .filter(approval_entry::Column::SessionId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.user_id, e))
        .collect();
    let certs: HashMap<Uuid, certificate::Model> = certificate::Entity::find()
        .filter(certificate::Column::SessionId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.user_id, c))
        .collect();
    let mut ids: Vec<Uuid> = regs.iter().map(|r| r.user_id).collect();
    for a in &attempts {
        if !ids.contains(&a.user_id) {
            ids.push(a.user_id);
        }
    }
    let people: HashMap<Uuid, crate::entities::user::Model> = crate::store::users::by_ids(db, &ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let units: HashMap<Uuid, String> = unit::Entity::find()
        .filter(
            unit::Column::Id.is_in(
                people
                    .values()
                    .filter_map(|p| p.unit_id)
                    .collect::<Vec<_>>(),
            ),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let registered: HashMap<Uuid, DateTime<Utc>> =
        regs.iter().map(|r| (r.user_id, r.registered_at)).collect();
    let mut lines: Vec<RecordLine> = ids
        .iter()
        .map(|uid| {
            let mine: Vec<&attempt::Model> =
                attempts.iter().filter(|a| a.user_id == *uid).collect();
            let approved = approvals.get(uid);
            let counted = approved
                .and_then(|e| mine.iter().find(|a| a.id == e.attempt_id).copied())
                .or_else(|| {
                    mine.iter()
                        .filter(|a| a.state == "graded")
                        .max_by(|a, b| a.score.unwrap_or(0.0).total_cmp(&b.score.unwrap_or(0.0)))
                        .copied()
                })
                .or_else(|| mine.last().copied());
            let person = people.get(uid);
            let cert = certs.get(uid);
            RecordLine {
                user_id: *uid,
                full_name: person.map(|p| p.full_name.clone()).unwrap_or_default(),
                date_of_birth: person.and_then(|p| p.date_of_birth),
                place_of_birth: person.and_then(|p| p.place_of_birth.clone()),
                unit_name: person
                    .and_then(|p| p.unit_id)
                    .and_then(|u| units.get(&u).cloned()),
                registered_at: registered.get(uid).copied().unwrap_or(s.created_at),
                attempts: mine.len(),
                attempt_id: counted.map(|a| a.id),
                started_at: counted.map(|a| a.started_at),
                finished_at: counted.and_then(|a| a.finished_at),
                score: counted.and_then(|a| a.score),
                correct: counted.and_then(|a| a.correct),
                total: counted.map(|a| a.total),
                passed: counted.and_then(|a| a.passed),
                approved: s.approved_at.map(|_| approved.is_some_and(|e| e.passed)),
                certificate_code: cert.map(|c| c.code.clone()),
                certificate_serial: cert.map(|c| c.serial.clone()),
                certificate_status: cert.map(|c| {
                    if c.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "valid"
                    }
                    .to_string()
                }),
            }
        })
        .collect();
    lines.sort_by(|a, b| {
        crate::domain::unit_path::fold_diacritics(&a.full_name)
            .cmp(&crate::domain::unit_path::fold_diacritics(&b.full_name))
    });
    let approved_by = match s.approved_by {
        Some(u) => crate::store::users::by_ids(db, &[u])
            .await?
            .into_iter()
            .next()
            .map(|u| u.full_name),
        None => None,
    };
    Ok(SessionRecord {
        session: session_view(&s),
        blueprint_name: bp.map(|b| b.name).unwrap_or_default(),
        approved_by,
        lines,
    })
}

/// The score sheet as a table for CSV/XLSX.
pub fn table(r: &SessionRecord, lang: Lang, tz: chrono_tz::Tz) -> (Vec<String>, Vec<Vec<String>>) {
    let headers: Vec<&str> = match lang {
        Lang::Vi => vec![
            "STT",
            "Họ và tên",
            "Ngày sinh",
            "Nơi sinh",
            "Đơn vị",
            "Số lần thi",
            "Bắt đầu",
            "Nộp bài",
            "Điểm",
            "Số câu đúng",
            "Kết quả",
            "Trong quyết định công nhận",
            "Số hiệu chứng chỉ",
            "Tình trạng chứng chỉ",
        ],
        Lang::En => vec![
            "No.",
            "Full name",
            "Date of birth",
            "Place of birth",
            "Unit",
            "Attempts",
            "Started",
            "Finished",
            "Score",
            "Correct",
            "Result",
            "On the approval decision",
            "Certificate serial",
            "Certificate status",
        ],
    };
    let t = |d: Option<DateTime<Utc>>| {
        d.map(|d| d.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string())
            .unwrap_or_default()
    };
    let rows = r
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            vec![
                (i + 1).to_string(),
                l.full_name.clone(),
                l.date_of_birth
                    .map(|d| d.format("%d/%m/%Y").to_string())
                    .unwrap_or_default(),
                l.place_of_birth.clone().unwrap_or_default(),
                l.unit_name.clone().unwrap_or_default(),
                l.attempts.to_string(),
                t(l.started_at),
                t(l.finished_at),
                l.score.map(|s| format!("{s:.2}")).unwrap_or_default(),
                match (l.correct, l.total) {
                    (Some(c), Some(t)) => format!("{c}/{t}"),
                    _ => String::new(),
                },
                match l.passed {
                    Some(true) => lang.pick("Đạt", "Passed").into(),
                    Some(false) => lang.pick("Không đạt", "Failed").into(),
                    None => lang.pick("Chưa thi", "Absent").into(),
                },
                match l.approved {
                    Some(true) => lang.pick("Có", "Yes").into(),
                    Some(false) => lang.pick("Không", "No").into(),
                    None => String::new(),
                },
                l.certificate_serial.clone().unwrap_or_default(),
                match l.certificate_status.as_deref() {
                    Some("valid") => lang.pick("Còn hiệu lực", "Valid").into(),
                    Some(_) => lang.pick("Đã bị thu hồi", "Revoked").into(),
                    None => String::new(),
                },
            ]
        })
        .collect();
    (headers.into_iter().map(String::from).collect(), rows)
}
