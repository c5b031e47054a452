//! Fast seeding for exam-day load runs: N candidates sharing one password
//! (hashed once), an admin, and one open session of the default basic exam
//! with everyone registered. Used by `ictskills load-test-seed` and the
//! in-process exam-day test; never by the service itself.
use chrono::{Duration, Utc};
use sea_orm::{DatabaseConnection, EntityTrait, Set};
use serde::Serialize;
use uuid::Uuid;

use crate::configuration::Settings;
use crate::entities::{exam_registration, user, user_role};
use crate::error::AppError;
use crate::services::accounts::{self, UserInput};
use crate::services::exams::{self, SessionInput};

#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Seeded {
    pub session_id: Uuid,
    pub admin_email: String,
    /// Candidate `i` (0-based) logs in as `prefix` + i + `@load.test`.
    pub email_prefix: String,
    pub count: usize,
}

/// Creates the admin (if missing), `count` candidates and an open session
/// of the default blueprint lasting `minutes`, with every candidate registered.
pub async fn seed(
    db: &DatabaseConnection,
    settings: &Settings,
    count: usize,
    password: &str,
    minutes: i64,
    time_limit_seconds: Option<i32>,
) -> Result<Seeded, AppError> {
    let admin_email = "load-admin@load.test".to_string();
    let admin = match crate::store::users::find_by_email(db, &admin_email).await? {
        Some(a) => a,
        None => {
            accounts::create_user(
                db,
                settings,
                UserInput {
                    email: admin_email.clone(),
                    full_name: "Quản trị thử tải".into(),
                    roles: vec!["admin".into()],
                    password: Some(password.to_string()),
                    ..Default::default()
                },
            )
            .await?
        }
    };
    let blueprint = exams::blueprints(db)
        .await?
        .into_iter()
        .find(|b| b.name == "Basic theory exam")
        .ok_or_else(AppError::not_found)?;
    // The basic exam with another time limit (crash and expiry runs).
    let blueprint = match time_limit_seconds {
        Some(t) if t != blueprint.time_limit_seconds => {
            let name = format!("Basic theory exam, {t} s");
            match exams::blueprints(db)
                .await?
                .into_iter()
                .find(|b| b.name == name)
            {
                Some(b) => b,
                None => {
                    exams::create_blueprint(
                        db,
                        exams::BlueprintInput {
                            name,
                            time_limit_seconds: t,
                            pass_score: blueprint.pass_score,
                            multiple_scoring: blueprint.multiple_scoring,
                            shuffle: blueprint.shuffle,
                            sections: blueprint.sections.clone(),
                        },
                        crate::i18n::Lang::En,
                    )
                    .await?
                }
            }
        }
        _ => blueprint,
    };
    let now = Utc::now();
    let session = exams::create_session(
        db,
        &admin,
        SessionInput {
            title: format!("Thử tải {}", now.format("%Y-%m-%d %H:%M:%S")),
            blueprint_id: blueprint.id,
            opens_at: now - Duration::minutes(1),
            closes_at: now + Duration::minutes(minutes.max(5)),
            access_code: None,
            ip_allow: Vec::new(),
            attempts_allowed: Some(1),
            review: None,
            issue_mode: None,
            registration: Some("open".into()),
            course_id: None,
            proctor_ids: Vec::new(),
            practical_paper_id: None,
            practical_pass_score: None,
            reserve_months: None,
            appeal_days: None,
            marking_threshold: None,
        },
    )
    .await?;
    let hash = crate::auth::password::hash(password.to_string()).await?;
    let run: String = Uuid::new_v4().simple().to_string()[..6].to_string();
    let prefix = format!("load-{run}-");
    for start in (0..count).step_by(500) {
        let end = (start + 500).min(count);
        let ids: Vec<Uuid> = (start..end).map(|_| Uuid::now_v7()).collect();
        let users: Vec<user::ActiveModel> = ids
            .iter()
            .zip(start..end)
            .map(|(id, i)| user::ActiveModel {
                id: Set(*id),
                email: Set(format!("{prefix}{i}@load.test")),
                full_name: Set(format!("Thí sinh {i}")),
                password_hash: Set(Some(hash.clone())),
                date_of_birth: Set(chrono::NaiveDate::from_ymd_opt(
                    1985,
                    1,
                    1 + (i % 28) as u32,
                )),
                place_of_birth: Set(Some("Hà Nội".into())),
                sex: Set(Some("other".into())),
                national_id: Set(None),
                phone: Set(None),
                unit_id: Set(None),
                job_title: Set(None),
                is_leader: Set(false),
                is_active: Set(true),
                session_version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .collect();
        let roles: Vec<user_role::ActiveModel> = ids
            .iter()
            .map(|id| user_role::ActiveModel {
                user_id: Set(*id),
                role: Set("learner".into()),
            })
            .collect();
        let regs: Vec<exam_registration::ActiveModel> = ids
            .iter()
            .map(|id| exam_registration::ActiveModel {
                session_id: Set(session.id),
                user_id: Set(*id),
                extra_seconds: Set(0),
                registered_at: Set(now),
            })
            .collect();
        crate::db::write_tx(db, |txn| {
            Box::pin(async move {
                user::Entity::insert_many(users)
                    .exec_without_returning(txn)
                    .await?;
                user_role::Entity::insert_many(roles)
                    .exec_without_returning(txn)
                    .await?;
                exam_registration::Entity::insert_many(regs)
                    .exec_without_returning(txn)
                    .await?;
                Ok(())
            })
        })
        .await?;
    }
    Ok(Seeded {
        session_id: session.id,
        admin_email,
        email_prefix: prefix,
        count,
    })
}
