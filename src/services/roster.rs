//! Importing a roster of officials (CSV or XLSX), all or nothing; created
//! accounts get an invitation e-mail with a set-password link.
use std::collections::HashMap;

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, TransactionTrait};
use serde::Serialize;

use crate::configuration::Settings;
use crate::domain::role::Role;
use crate::domain::roster::{self, RosterRow};
use crate::domain::unit_path::UnitIndex;
use crate::entities::user;
use crate::error::AppError;
use crate::formats::table;
use crate::i18n::Lang;
use crate::mail::{self, Mail};
use crate::store::tokens::{self, Purpose};
use crate::store::{units, users};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LineError {
    /// The file's line (CSV) or row (spreadsheet) number; 1 is the header.
    pub line: usize,
    pub message: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RosterRowReport {
    pub line: usize,
    pub email: String,
    pub full_name: String,
    pub unit: String,
    /// `create`, `update` or `unchanged`.
    pub action: String,
}

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct RosterReport {
    pub dry_run: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub errors: Vec<LineError>,
    pub rows: Vec<RosterRowReport>,
}

enum Action {
    Create,
    Update(Box<user::Model>),
    Unchanged,
}

fn differs(m: &user::Model, r: &RosterRow) -> bool {
    m.full_name != r.full_name.as_str()
        || m.date_of_birth != Some(r.date_of_birth)
        || m.place_of_birth.as_deref() != Some(r.place_of_birth.as_str())
        || m.sex.as_deref() != Some(r.sex.as_api_str())
        || m.phone.as_deref() != r.phone.as_ref().map(|p| p.as_str())
        || m.unit_id != Some(r.unit_id)
        || m.job_title != r.job_title
        || m.is_leader != r.is_leader
        || (r.national_id.is_some()
            && m.national_id.as_deref() != r.national_id.as_ref().map(|n| n.as_str()))
}

pub async fn import(
    db: &DatabaseConnection,
    settings: &Settings,
    bytes: &[u8],
    dry_run: bool,
    lang: Lang,
) -> Result<RosterReport, AppError> {
    let mut report = RosterReport {
        dry_run,
        ..Default::default()
    };
    let table = match table::read_table(bytes) {
        Ok(t) => t,
        Err(e) => {
            report.errors.push(LineError {
                line: e.line().unwrap_or(0),
                message: e.message(lang),
            });
            return Ok(report);
        }
    };
    let index = UnitIndex::new(units::all_refs(db).await?);
    let today = Utc::now().with_timezone(&settings.time_zone()).date_naive();
    let parsed = roster::parse_roster(&table, &index, today);
    if !parsed.errors.is_empty() {
        report.errors = parsed
            .errors
            .iter()
            .map(|e| LineError {
                line: e.line,
                message: e.message(lang),
            })
            .collect();
        return Ok(report);
    }
    let emails: Vec<String> = parsed
        .rows
        .iter()
        .map(|r| r.email.as_str().to_string())
        .collect();
    let existing: HashMap<String, user::Model> = users::by_emails(db, &emails)
        .await?
        .into_iter()
        .map(|m| (m.email.clone(), m))
        .collect();
    let mut plan = Vec::new();
    for r in parsed.rows {
        let action = match existing.get(r.email.as_str()) {
            None => Action::Create,
            Some(m) if differs(m, &r) => Action::Update(Box::new(m.clone())),
            Some(_) => Action::Unchanged,
        };
        let (name, count) = match action {
            Action::Create => ("create", &mut report.created),
            Action::Update(_) => ("update", &mut report.updated),
            Action::Unchanged => ("unchanged", &mut report.unchanged),
        };
        *count += 1;
        report.rows.push(RosterRowReport {
            line: r.line,
            email: r.email.as_str().to_string(),
            full_name: r.full_name.as_str().to_string(),
            unit: index.path_of(r.unit_id).unwrap_or_default(),
            action: name.into(),
        });
        plan.push((r, action));
    }
    if dry_run {
        return Ok(report);
    }
    let base = settings.base_url();
    let ttl = Duration::seconds(settings.auth.invite_link_ttl_seconds);
    let mail_lang = Lang::parse(&settings.site.default_lang).unwrap_or_default();
    db.transaction::<_, (), AppError>(|txn| {
        Box::pin(async move {
            for (r, action) in plan {
                match action {
                    Action::Unchanged => {}
                    Action::Create => {
                        let email = r.email.as_str().to_string();
                        let name = r.full_name.as_str().to_string();
                        let id = users::create(
                            txn,
                            users::NewUser {
                                email: email.clone(),
                                full_name: name.clone(),
                                password_hash: None,
                                date_of_birth: Some(r.date_of_birth),
                                place_of_birth: Some(r.place_of_birth.clone()),
                                sex: Some(r.sex.as_api_str().to_string()),
                                national_id: r.national_id.as_ref().map(|n| n.as_str().to_string()),
                                phone: r.phone.as_ref().map(|p| p.as_str().to_string()),
                                unit_id: Some(r.unit_id),
                                job_title: r.job_title.clone(),
                                is_leader: r.is_leader,
                                roles: vec![Role::Learner],
                            },
                        )
                        .await?;
                        let raw = tokens::issue(txn, Purpose::Invite, Some(id), Some(ttl)).await?;
                        let link = format!("{base}/password/reset/{raw}");
                        mail::enqueue(
                            txn,
                            &email,
                            mail_lang,
                            Mail::Invitation {
                                name: &name,
                                link: &link,
                                email: &email,
                            },
                        )
                        .await?;
                    }
                    Action::Update(m) => {
                        let mut am: user::ActiveModel = (*m).into();
                        am.full_name = Set(r.full_name.as_str().to_string());
                        am.date_of_birth = Set(Some(r.date_of_birth));
                        am.place_of_birth = Set(Some(r.place_of_birth.clone()));
                        am.sex = Set(Some(r.sex.as_api_str().to_string()));
                        am.phone = Set(r.phone.as_ref().map(|p| p.as_str().to_string()));
                        am.unit_id = Set(Some(r.unit_id));
                        am.job_title = Set(r.job_title.clone());
                        am.is_leader = Set(r.is_leader);
                        if let Some(n) = &r.national_id {
                            am.national_id = Set(Some(n.as_str().to_string()));
                        }
                        am.updated_at = Set(Utc::now());
                        am.update(txn).await?;
                    }
                }
            }
            Ok(())
        })
    })
    .await?;
    Ok(report)
}

/// The roster template with two example rows.
pub fn template(format: &str) -> Result<(Vec<u8>, &'static str, &'static str), AppError> {
    let rows = roster::template_example_rows();
    match format {
        "csv" => Ok((
            table::write_csv(&roster::TEMPLATE_HEADERS, &rows)
                .map_err(|e| AppError::internal(anyhow::anyhow!("{e:?}")))?,
            "text/csv; charset=utf-8",
            "mau-danh-sach-hoc-vien.csv",
        )),
        _ => Ok((
            table::write_xlsx("Danh sách", &roster::TEMPLATE_HEADERS, &rows)
                .map_err(|e| AppError::internal(anyhow::anyhow!("{e:?}")))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "mau-danh-sach-hoc-vien.xlsx",
        )),
    }
}
