//! Certificates: issuing (on grading or after the approval decision), the
//! register, revocation and reinstatement, re-issue, the signed credential,
//! the status list and the public keys.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::configuration::{CentreSettings, Settings};
use crate::domain::blueprint::Section;
use crate::domain::certificate::{
    self as cert, CredentialFacts, Level, Lookup, RevocationReason, VerifyError,
};
use crate::domain::role::Role;
use crate::entities::{
    approval_entry, attempt, blueprint, certificate, certificate_event, exam_session, user,
};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::mail::{self, Mail};
use crate::store::users::UserRecord;
use crate::store::{counters, signing_keys};

const GRADED: &str = "graded";
const AFTER_APPROVAL: &str = "after_approval";

/// What issuing needs from the installation's settings.
#[derive(Clone, Debug)]
pub struct Issuer {
    pub centre: CentreSettings,
    pub base_url: String,
    pub tz: chrono_tz::Tz,
    pub lang: Lang,
}

impl Issuer {
    pub fn from_settings(s: &Settings) -> Issuer {
        Issuer {
            centre: s.centre.clone(),
            base_url: s.base_url(),
            tz: s.time_zone(),
            lang: Lang::parse(&s.site.default_lang).unwrap_or_default(),
        }
    }
    pub fn did(&self) -> String {
        cert::did_web(&self.base_url)
    }
    pub fn verify_url(&self, code: &str) -> String {
        format!("{}/verify/{code}", self.base_url)
    }
    fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }
}

/// The holder as the public sees them.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Holder {
    pub full_name: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub date_of_birth: Option<NaiveDate>,
}

/// The public certificate: what anyone holding the code may read.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PublicCertificate {
    pub code: String,
    /// Số hiệu.
    pub serial: String,
    /// Số vào sổ: 1, 2, 3… within `register_year`.
    pub register_number: i32,
    pub register_year: i32,
    pub holder: Holder,
    /// `basic`.
    pub level: String,
    pub level_name: String,
    #[schema(value_type = String, format = Date)]
    pub issued_on: NaiveDate,
    /// `valid` or `revoked`.
    pub status: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub revoked_on: Option<NaiveDate>,
    /// One of `fraud`, `ineligible`, `unauthorised_signer`, `altered`, `lent`, `issuer_error`.
    pub revocation_reason: Option<String>,
    /// The reason in words, in the caller's language.
    pub revocation_reason_text: Option<String>,
    pub centre: CentreView,
    #[schema(value_type = String, format = Date)]
    pub exam_date: NaiveDate,
    pub session_title: String,
    pub score: f64,
    pub verify_url: String,
    pub credential_url: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CentreView {
    pub code: String,
    pub name: String,
    pub address: String,
}

/// A register entry as admins see it (the public fields and the rest).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RegisterEntry {
    #[serde(flatten)]
    pub public: PublicCertificate,
    pub id: Uuid,
    pub user_id: Uuid,
    pub attempt_id: Uuid,
    pub session_id: Uuid,
    pub place_of_birth: Option<String>,
    pub sex: Option<String>,
    pub signer_name: String,
    pub signer_title: String,
    pub issued_at: DateTime<Utc>,
    pub revocation_note: Option<String>,
    /// The latest re-issue, if any.
    #[schema(value_type = Option<String>, format = Date)]
    pub reissued_on: Option<NaiveDate>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub kind: String,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
}

fn reason_text(reason: Option<&str>, lang: Lang) -> Option<String> {
    let r = RevocationReason::parse(reason?)?;
    Some(match lang {
        Lang::Vi => r.label_vi().to_string(),
        Lang::En => r.label_en().to_string(),
    })
}

pub fn public_view(issuer: &Issuer, c: &certificate::Model, lang: Lang) -> PublicCertificate {
    let level = Level::parse(&c.level);
    PublicCertificate {
        code: c.code.clone(),
        serial: c.serial.clone(),
        register_number: c.register_number,
        register_year: c.year,
        holder: Holder {
            full_name: c.holder_full_name.clone(),
            date_of_birth: c.holder_date_of_birth,
        },
        level: c.level.clone(),
        level_name: level
            .map(|l| match lang {
                Lang::Vi => l.name_vi(),
                Lang::En => l.name_en(),
            })
            .unwrap_or_default()
            .to_string(),
        issued_on: c.issued_on,
        status: if c.revoked_at.is_some() {
            "revoked".into()
        } else {
            "valid".into()
        },
        revoked_on: c.revoked_on,
        revocation_reason: c.revocation_reason.clone(),
        revocation_reason_text: reason_text(c.revocation_reason.as_deref(), lang),
        centre: CentreView {
            code: c.centre_code.clone(),
            name: c.centre_name.clone(),
            address: c.centre_address.clone(),
        },
        exam_date: c.exam_date,
        session_title: c.session_title.clone(),
        score: c.score,
        verify_url: issuer.verify_url(&c.code),
        credential_url: format!(
            "{}/api/v1/certificates/{}/credential",
            issuer.base_url, c.code
        ),
    }
}

fn register_entry(
    issuer: &Issuer,
    c: &certificate::Model,
    reissued_on: Option<NaiveDate>,
    lang: Lang,
) -> RegisterEntry {
    RegisterEntry {
        public: public_view(issuer, c, lang),
        id: c.id,
        user_id: c.user_id,
        attempt_id: c.attempt_id,
        session_id: c.session_id,
        place_of_birth: c.holder_place_of_birth.clone(),
        sex: c.holder_sex.clone(),
        signer_name: c.signer_name.clone(),
        signer_title: c.signer_title.clone(),
        issued_at: c.issued_at,
        revocation_note: c.revocation_note.clone(),
        reissued_on,
    }
}

fn not_found() -> AppError {
    AppError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "certificate_not_found",
        "Không tìm thấy chứng chỉ với mã này. Hãy kiểm tra lại mã tra cứu hoặc số hiệu.",
        "No certificate has this code. Check the verification code or serial number.",
    )
}

fn malformed() -> AppError {
    AppError::new(
        actix_web::http::StatusCode::BAD_REQUEST,
        "malformed_code",
        "Mã tra cứu không đúng dạng: mã gồm 12 ký tự chữ và số, số hiệu có dạng TT-2026-000001.",
        "Malformed code: a verification code has 12 letters and digits, a serial looks like TT-2026-000001.",
    )
}

/// Finds a certificate by verification code or serial; 400 for something
/// that cannot be either, 404 for one that does not exist.
pub async fn find(db: &impl ConnectionTrait, raw: &str) -> Result<certificate::Model, AppError> {
    let lookup = cert::parse_lookup(raw).ok_or_else(malformed)?;
    find_lookup(db, &lookup).await?.ok_or_else(not_found)
}

async fn find_lookup(
    db: &impl ConnectionTrait,
    lookup: &Lookup,
) -> Result<Option<certificate::Model>, AppError> {
    let q = certificate::Entity::find();
    let q = match lookup {
        Lookup::Code(c) => q.filter(certificate::Column::Code.eq(c.as_str())),
        Lookup::Serial(s) => q.filter(certificate::Column::Serial.eq(s.as_str())),
    };
    Ok(q.one(db).await?)
}

/// The lookup people already use: serial number, full name and date of
/// birth must all match (the name ignoring case and extra spaces).
pub async fn lookup_by_serial(
    db: &DatabaseConnection,
    serial: &str,
    full_name: &str,
    date_of_birth: NaiveDate,
) -> Result<Option<certificate::Model>, AppError> {
    let Some(Lookup::Serial(s)) = cert::parse_lookup(serial) else {
        return Ok(None);
    };
    let Some(c) = find_lookup(db, &Lookup::Serial(s)).await? else {
        return Ok(None);
    };
    let norm = |s: &str| {
        use unicode_normalization::UnicodeNormalization;
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .nfc()
            .collect::<String>()
            .to_lowercase()
    };
    let same = norm(&c.holder_full_name) == norm(full_name)
        && c.holder_date_of_birth == Some(date_of_birth);
    Ok(same.then_some(c))
}

fn random_code() -> String {
    let mut bytes = [0u8; cert::CODE_LEN];
    rand::fill(&mut bytes);
    cert::code_from_random(&bytes)
}

fn blueprint_level(b: &blueprint::Model) -> Option<Level> {
    let sections: Vec<Section> = serde_json::from_str(&b.sections).unwrap_or_default();
    cert::level_for_modules(sections.iter().map(|s| s.module.as_str()))
}

/// What came of an attempt that might earn a certificate.
#[derive(Debug)]
pub enum Outcome {
    Issued(Box<certificate::Model>),
    Existing(Box<certificate::Model>),
    /// Not (yet) entitled: not passed, not graded, a blueprint that does not
    /// cover the level, results awaiting approval, or already certified in
    /// this session.
    NotEntitled,
}

/// Issues the certificate an attempt earns, inside the caller's transaction.
/// Idempotent: one certificate per person, level and session (so per
/// passing attempt); a repeat returns the existing one.
pub async fn issue_in(
    txn: &impl ConnectionTrait,
    issuer: &Issuer,
    attempt_id: Uuid,
    actor: Option<Uuid>,
) -> Result<Outcome, AppError> {
    let Some(a) = attempt::Entity::find_by_id(attempt_id).one(txn).await? else {
        return Err(AppError::not_found());
    };
    let s = exam_session::Entity::find_by_id(a.session_id)
        .one(txn)
        .await?
        .ok_or_else(AppError::not_found)?;
    issue_with(txn, issuer, a, s, actor).await
}

/// Issues for a passed theory attempt `a` in session `s`, where `a` is the
/// candidate's own attempt in `s` or one kept (bảo lưu) from an earlier
/// session when `s` has a practical part the candidate passed now. A session
/// with a practical part issues only with a pass in both parts.
async fn issue_with(
    txn: &impl ConnectionTrait,
    issuer: &Issuer,
    a: attempt::Model,
    s: exam_session::Model,
    actor: Option<Uuid>,
) -> Result<Outcome, AppError> {
    if a.state != GRADED || a.passed != Some(true) {
        return Ok(Outcome::NotEntitled);
    }
    let theory_session = if a.session_id == s.id {
        s.clone()
    } else {
        exam_session::Entity::find_by_id(a.session_id)
            .one(txn)
            .await?
            .ok_or_else(AppError::not_found)?
    };
    let b = blueprint::Entity::find_by_id(theory_session.blueprint_id)
        .one(txn)
        .await?
        .ok_or_else(AppError::not_found)?;
    let Some(level) = blueprint_level(&b) else {
        return Ok(Outcome::NotEntitled);
    };
    if s.practical_paper_id.is_some()
        && !crate::services::practical::practical_pass(txn, a.user_id, &s, Utc::now()).await?
    {
        return Ok(Outcome::NotEntitled);
    }
    if s.issue_mode == AFTER_APPROVAL {
        if s.approved_at.is_none() {
            return Ok(Outcome::NotEntitled);
        }
        if a.session_id == s.id {
            let listed = approval_entry::Entity::find()
                .filter(approval_entry::Column::SessionId.eq(s.id))
                .filter(approval_entry::Column::AttemptId.eq(a.id))
                .filter(approval_entry::Column::Passed.eq(true))
                .one(txn)
                .await?;
            if listed.is_none() {
                return Ok(Outcome::NotEntitled);
            }
        }
    }
    let existing = |txn| existing_for(txn, a.user_id, s.id, level);
    if let Some(c) = existing(txn).await? {
        return Ok(outcome_for(c, a.id));
    }
    let Some(u) = user::Entity::find_by_id(a.user_id).one(txn).await? else {
        return Err(AppError::not_found());
    };

    let issued_at = Utc::now();
    let issued_on = issuer.local_date(issued_at);
    let year = issued_on.year();
    // Take the register number first: its row lock queues parallel issuers,
    // so the existence check below sees whatever they committed.
    let register_counter = format!("register:{year}");
    let number = counters::next(txn, &register_counter).await?;
    if let Some(c) = existing(txn).await? {
        counters::give_back(txn, &register_counter).await?;
        return Ok(outcome_for(c, a.id));
    }
    let global_index = counters::next(txn, "status_index").await? - 1;
    let (status_list, status_index) = cert::status_slot(global_index);
    let number = i32::try_from(number).map_err(AppError::internal)?;
    let serial = cert::serial(&issuer.centre.code, year, i64::from(number));
    let code = random_code();
    let id = Uuid::now_v7();
    let exam_date = issuer.local_date(a.finished_at.unwrap_or(issued_at));
    let key = signing_keys::ensure(txn).await?;
    let verify_url = issuer.verify_url(&code);
    let did = issuer.did();
    let claims = cert::credential_claims(&CredentialFacts {
        certificate_id: id,
        holder_id: u.id,
        holder_name: &u.full_name,
        holder_date_of_birth: u.date_of_birth,
        level,
        serial: &serial,
        register_number: number,
        year,
        score: a.score.unwrap_or(0.0),
        exam_date,
        issued_at,
        issuer_did: &did,
        issuer_name: &issuer.centre.name,
        base_url: &issuer.base_url,
        verify_url: &verify_url,
        status_list,
        status_index,
    });
    let credential = cert::sign(&key.kid, &key.private_key, &claims)
        .map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
    let c = certificate::ActiveModel {
        id: Set(id),
        code: Set(code),
        serial: Set(serial),
        year: Set(year),
        register_number: Set(number),
        level: Set(level.as_str().into()),
        user_id: Set(u.id),
        attempt_id: Set(a.id),
        session_id: Set(s.id),
        holder_full_name: Set(u.full_name.clone()),
        holder_date_of_birth: Set(u.date_of_birth),
        holder_place_of_birth: Set(u.place_of_birth.clone()),
        holder_sex: Set(u.sex.clone()),
        session_title: Set(s.title.clone()),
        exam_date: Set(exam_date),
        score: Set(a.score.unwrap_or(0.0)),
        max_score: Set(10.0),
        centre_code: Set(issuer.centre.code.clone()),
        centre_name: Set(issuer.centre.name.clone()),
        centre_address: Set(issuer.centre.address.clone()),
        signer_name: Set(issuer.centre.head_name.clone()),
        signer_title: Set(issuer.centre.head_title.clone()),
        issued_on: Set(issued_on),
        issued_at: Set(issued_at),
        issued_by: Set(actor),
        status_list: Set(status_list),
        status_index: Set(status_index),
        credential: Set(credential),
        revoked_at: Set(None),
        revoked_on: Set(None),
        revocation_reason: Set(None),
        revocation_note: Set(None),
        revoked_by: Set(None),
    }
    .insert(txn)
    .await?;
    record(txn, c.id, "issued", actor, None, None).await?;
    let link = format!("{}/certificates/{}", issuer.base_url, c.code);
    mail::enqueue(
        txn,
        &u.email,
        issuer.lang,
        Mail::CertificateIssued {
            name: &u.full_name,
            serial: &c.serial,
            link: &link,
            verify: &verify_url,
        },
    )
    .await?;
    Ok(Outcome::Issued(Box::new(c)))
}

fn outcome_for(c: certificate::Model, attempt: Uuid) -> Outcome {
    if c.attempt_id == attempt {
        Outcome::Existing(Box::new(c))
    } else {
        Outcome::NotEntitled
    }
}

async fn existing_for(
    db: &impl ConnectionTrait,
    user: Uuid,
    session: Uuid,
    level: Level,
) -> Result<Option<certificate::Model>, AppError> {
    Ok(certificate::Entity::find()
        .filter(certificate::Column::UserId.eq(user))
        .filter(certificate::Column::SessionId.eq(session))
        .filter(certificate::Column::Level.eq(level.as_str()))
        .one(db)
        .await?)
}

async fn record(
    db: &impl ConnectionTrait,
    certificate_id: Uuid,
    kind: &str,
    actor: Option<Uuid>,
    reason: Option<String>,
    note: Option<String>,
) -> Result<(), AppError> {
    let data = serde_json::json!({ "reason": reason, "note": note });
    certificate_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        certificate_id: Set(certificate_id),
        kind: Set(kind.into()),
        at: Set(Utc::now()),
        actor_id: Set(actor),
        reason: Set(reason),
        note: Set(note),
    }
    .insert(db)
    .await?;
    crate::services::audit::record(
        db,
        actor,
        &format!("{}{kind}", crate::services::audit::kind::CERTIFICATE),
        "certificate",
        certificate_id,
        data,
    )
    .await?;
    Ok(())
}

/// Issues for one attempt in its own transaction (after grading).
pub async fn issue_for_attempt(
    db: &DatabaseConnection,
    issuer: &Issuer,
    attempt_id: Uuid,
) -> Result<Outcome, AppError> {
    let issuer = issuer.clone();
    crate::db::write_tx(db, |txn| {
        Box::pin(async move { issue_in(txn, &issuer, attempt_id, None).await })
    })
    .await
}

/// Issues after a practical attempt has passed: with the candidate's passed
/// theory attempt in the same session, or one kept from an earlier session.
pub async fn issue_for_practical(
    db: &DatabaseConnection,
    issuer: &Issuer,
    practical_attempt_id: Uuid,
) -> Result<Outcome, AppError> {
    let issuer = issuer.clone();
    crate::db::write_tx(db, |txn| {
        Box::pin(async move {
            let Some(p) =
                crate::entities::practical_attempt::Entity::find_by_id(practical_attempt_id)
                    .one(txn)
                    .await?
            else {
                return Err(AppError::not_found());
            };
            let s = exam_session::Entity::find_by_id(p.session_id)
                .one(txn)
                .await?
                .ok_or_else(AppError::not_found)?;
            let Some(a) =
                crate::services::practical::theory_pass(txn, p.user_id, &s, Utc::now()).await?
            else {
                return Ok(Outcome::NotEntitled);
            };
            issue_with(txn, &issuer, a, s, None).await
        })
    })
    .await
}

/// Marks one certificate revoked and records why.
async fn revoke_row(
    txn: &impl ConnectionTrait,
    c: &certificate::Model,
    now: chrono::DateTime<Utc>,
    revoked_on: NaiveDate,
    reason: RevocationReason,
    note: Option<String>,
    actor: Option<Uuid>,
) -> Result<(), AppError> {
    certificate::Entity::update_many()
        .col_expr(certificate::Column::RevokedAt, Expr::value(now))
        .col_expr(certificate::Column::RevokedOn, Expr::value(revoked_on))
        .col_expr(
            certificate::Column::RevocationReason,
            Expr::value(reason.as_str()),
        )
        .col_expr(
            certificate::Column::RevocationNote,
            Expr::value(note.clone()),
        )
        .col_expr(certificate::Column::RevokedBy, Expr::value(actor))
        .filter(certificate::Column::Id.eq(c.id))
        .exec(txn)
        .await?;
    record(
        txn,
        c.id,
        "revoked",
        actor,
        Some(reason.as_str().into()),
        note,
    )
    .await
}

/// Revokes (reason: issuer's error) the valid certificates a candidate got
/// from a session, after an appeal turned the result into a fail.
pub async fn revoke_for_session(
    db: &DatabaseConnection,
    issuer: &Issuer,
    user: Uuid,
    session: Uuid,
    actor: Option<Uuid>,
    note: &str,
) -> Result<usize, AppError> {
    let note = note.to_string();
    let tz = issuer.tz;
    crate::db::write_tx(db, |txn| {
        Box::pin(async move {
            let now = Utc::now();
            let certs = certificate::Entity::find()
                .filter(certificate::Column::UserId.eq(user))
                .filter(certificate::Column::SessionId.eq(session))
                .filter(certificate::Column::RevokedAt.is_null())
                .all(txn)
                .await?;
            for c in &certs {
                let revoked_on = c.issued_on.max(now.with_timezone(&tz).date_naive());
                revoke_row(
                    txn,
                    c,
                    now,
                    revoked_on,
                    RevocationReason::IssuerError,
                    Some(note.clone()),
                    actor,
                )
                .await?;
            }
            Ok(certs.len())
        })
    })
    .await
}

/// Issues every certificate that is due and missing: passed attempts of
/// sessions issuing on grading, and of approved sessions. Returns how many.
pub async fn issue_pending(db: &DatabaseConnection, issuer: &Issuer) -> Result<usize, AppError> {
    let sessions = exam_session::Entity::find().all(db).await?;
    let blueprints: HashMap<Uuid, blueprint::Model> = blueprint::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    let due: Vec<Uuid> = sessions
        .iter()
        .filter(|s| s.issue_mode != AFTER_APPROVAL || s.approved_at.is_some())
        .filter(|s| {
            blueprints
                .get(&s.blueprint_id)
                .and_then(blueprint_level)
                .is_some()
        })
        .map(|s| s.id)
        .collect();
    if due.is_empty() {
        return Ok(0);
    }
    let mut n = 0;
    for chunk in due.chunks(500) {
        let certified: HashSet<(Uuid, Uuid)> = certificate::Entity::find()
            .select_only()
            .column(certificate::Column::SessionId)
            .column(certificate::Column::UserId)
            .filter(certificate::Column::SessionId.is_in(chunk.to_vec()))
            .into_tuple::<(Uuid, Uuid)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let passed = attempt::Entity::find()
            .filter(attempt::Column::SessionId.is_in(chunk.to_vec()))
            .filter(attempt::Column::State.eq(GRADED))
            .filter(attempt::Column::Passed.eq(true))
            .order_by_asc(attempt::Column::Number)
            .all(db)
            .await?;
        let mut seen = HashSet::new();
        for a in passed {
            let key = (a.session_id, a.user_id);
            if certified.contains(&key) || !seen.insert(key) {
                continue;
            }
            if let Outcome::Issued(_) = issue_for_attempt(db, issuer, a.id).await? {
                n += 1;
            }
        }
    }
    Ok(n)
}

/// Runs [`issue_pending`] every `every`, until told to stop.
pub async fn run_issuer(
    db: DatabaseConnection,
    issuer: Issuer,
    every: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = issue_pending(&db, &issuer).await {
            tracing::warn!(error = ?e, "certificate issuer pass failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => break,
        }
    }
}

/// The decision approving a session's results: records the candidate list
/// (each candidate's best graded attempt) and, for sessions that issue
/// after approval, issues the certificates, all in one transaction.
pub async fn approve_in(
    txn: &impl ConnectionTrait,
    issuer: &Issuer,
    session: &exam_session::Model,
    actor: Uuid,
) -> Result<usize, AppError> {
    let graded = attempt::Entity::find()
        .filter(attempt::Column::SessionId.eq(session.id))
        .filter(attempt::Column::State.eq(GRADED))
        .order_by_asc(attempt::Column::Number)
        .all(txn)
        .await?;
    let mut best: HashMap<Uuid, attempt::Model> = HashMap::new();
    for a in graded {
        let better = match best.get(&a.user_id) {
            None => true,
            Some(b) => {
                (a.passed == Some(true) && b.passed != Some(true))
                    || (a.passed == b.passed && a.score.unwrap_or(0.0) > b.score.unwrap_or(0.0))
            }
        };
        if better {
            best.insert(a.user_id, a);
        }
    }
    let mut entries: Vec<attempt::Model> = best.into_values().collect();
    entries.sort_by_key(|a| (a.user_id, a.number));
    let now = Utc::now();
    for a in &entries {
        // A two-part session passes a candidate only with both parts.
        let passed = a.passed == Some(true)
            && (session.practical_paper_id.is_none()
                || crate::services::practical::practical_pass(txn, a.user_id, session, now)
                    .await?);
        approval_entry::ActiveModel {
            session_id: Set(session.id),
            user_id: Set(a.user_id),
            attempt_id: Set(a.id),
            score: Set(a.score.unwrap_or(0.0)),
            passed: Set(passed),
        }
        .insert(txn)
        .await?;
    }
    let mut issued = 0;
    if session.issue_mode == AFTER_APPROVAL {
        for a in entries.iter().filter(|a| a.passed == Some(true)) {
            if let Outcome::Issued(_) = issue_in(txn, issuer, a.id, Some(actor)).await? {
                issued += 1;
            }
        }
    }
    Ok(issued)
}

/// One line of the approval decision.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ApprovalLine {
    pub user_id: Uuid,
    pub full_name: String,
    pub attempt_id: Uuid,
    pub score: f64,
    pub passed: bool,
    pub certificate_code: Option<String>,
    pub serial: Option<String>,
}

/// The candidate list of a session's approval decision, by name.
pub async fn approval_list(
    db: &DatabaseConnection,
    session: Uuid,
) -> Result<Vec<ApprovalLine>, AppError> {
    let entries = approval_entry::Entity::find()
        .filter(approval_entry::Column::SessionId.eq(session))
        .all(db)
        .await?;
    let ids: Vec<Uuid> = entries.iter().map(|e| e.user_id).collect();
    let names: HashMap<Uuid, String> = crate::store::users::by_ids(db, &ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u.full_name))
        .collect();
    let certs: HashMap<Uuid, certificate::Model> = certificate::Entity::find()
        .filter(certificate::Column::SessionId.eq(session))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.user_id, c))
        .collect();
    let mut lines: Vec<ApprovalLine> = entries
        .into_iter()
        .map(|e| ApprovalLine {
            full_name: names.get(&e.user_id).cloned().unwrap_or_default(),
            certificate_code: certs.get(&e.user_id).map(|c| c.code.clone()),
            serial: certs.get(&e.user_id).map(|c| c.serial.clone()),
            user_id: e.user_id,
            attempt_id: e.attempt_id,
            score: e.score,
            passed: e.passed,
        })
        .collect();
    lines.sort_by(|a, b| a.full_name.cmp(&b.full_name));
    Ok(lines)
}

fn require_admin(actor: &UserRecord) -> Result<(), AppError> {
    if actor.has(Role::Admin) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// What a revocation did, per code or serial asked for.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct RevokeReport {
    pub revoked: Vec<String>,
    pub already: Vec<String>,
    pub unknown: Vec<String>,
}

fn bad_reason() -> AppError {
    AppError::unprocessable(
        "invalid_reason",
        "Cần chọn lý do thu hồi theo quy định: fraud, ineligible, unauthorised_signer, altered, lent, issuer_error.",
        "A revocation needs one of the regulation's reasons: fraud, ineligible, unauthorised_signer, altered, lent, issuer_error.",
    )
}

/// Revokes certificates named by code or serial, all in one transaction.
pub async fn revoke(
    db: &DatabaseConnection,
    issuer: &Issuer,
    actor: &UserRecord,
    lookups: Vec<String>,
    reason: Option<&str>,
    note: Option<String>,
) -> Result<RevokeReport, AppError> {
    require_admin(actor)?;
    let reason = reason
        .and_then(RevocationReason::parse)
        .ok_or_else(bad_reason)?;
    let lookups: Vec<String> = lookups
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if lookups.is_empty() {
        return Err(AppError::unprocessable(
            "nothing_to_revoke",
            "Cần ít nhất một mã tra cứu hoặc số hiệu chứng chỉ.",
            "Name at least one verification code or serial number.",
        ));
    }
    if lookups.len() > 20_000 {
        return Err(AppError::unprocessable(
            "too_many_items",
            "Mỗi lần thu hồi tối đa 20.000 chứng chỉ.",
            "At most 20,000 certificates per revocation.",
        ));
    }
    let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    let actor_id = actor.user.id;
    let tz = issuer.tz;
    crate::db::write_tx(db, |txn| {
        Box::pin(async move {
            let mut report = RevokeReport::default();
            let now = Utc::now();
            let mut done = HashSet::new();
            for raw in lookups {
                let found = match cert::parse_lookup(&raw) {
                    Some(l) => find_lookup(txn, &l).await?,
                    None => None,
                };
                let Some(c) = found else {
                    report.unknown.push(raw);
                    continue;
                };
                if c.revoked_at.is_some() || !done.insert(c.id) {
                    report.already.push(raw);
                    continue;
                }
                let revoked_on = c.issued_on.max(now.with_timezone(&tz).date_naive());
                revoke_row(
                    txn,
                    &c,
                    now,
                    revoked_on,
                    reason,
                    note.clone(),
                    Some(actor_id),
                )
                .await?;
                report.revoked.push(raw);
            }
            Ok(report)
        })
    })
    .await
}

/// Reinstates a revoked certificate; only with a reason, which is recorded.
pub async fn reinstate(
    db: &DatabaseConnection,
    actor: &UserRecord,
    raw: &str,
    reason: &str,
) -> Result<certificate::Model, AppError> {
    require_admin(actor)?;
    let reason = reason.trim().to_string();
    if reason.chars().count() < 5 {
        return Err(AppError::unprocessable(
            "reason_required",
            "Cần ghi rõ lý do khôi phục chứng chỉ.",
            "Reinstating a certificate needs a reason.",
        ));
    }
    let c = find(db, raw).await?;
    if c.revoked_at.is_none() {
        return Err(AppError::conflict(
            "not_revoked",
            "Chứng chỉ này chưa bị thu hồi.",
            "This certificate is not revoked.",
        ));
    }
    let actor_id = actor.user.id;
    let id = c.id;
    crate::db::write_tx(db, |txn| {
        Box::pin(async move {
            let previous = format!(
                "{} {}",
                c.revocation_reason.clone().unwrap_or_default(),
                c.revocation_note.clone().unwrap_or_default()
            );
            certificate::Entity::update_many()
                .col_expr(
                    certificate::Column::RevokedAt,
                    Expr::value(None::<DateTime<Utc>>),
                )
                .col_expr(
                    certificate::Column::RevokedOn,
                    Expr::value(None::<NaiveDate>),
                )
                .col_expr(
                    certificate::Column::RevocationReason,
                    Expr::value(None::<String>),
                )
                .col_expr(
                    certificate::Column::RevocationNote,
                    Expr::value(None::<String>),
                )
                .col_expr(certificate::Column::RevokedBy, Expr::value(None::<Uuid>))
                .filter(certificate::Column::Id.eq(id))
                .exec(txn)
                .await?;
            record(
                txn,
                id,
                "reinstated",
                Some(actor_id),
                Some(reason),
                Some(format!("was revoked: {}", previous.trim())),
            )
            .await
        })
    })
    .await?;
    certificate::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(not_found)
}

/// Re-issues a lost certificate: the same serial and register number, a new
/// issue record.
pub async fn reissue(
    db: &DatabaseConnection,
    actor: &UserRecord,
    raw: &str,
    note: Option<String>,
) -> Result<certificate::Model, AppError> {
    require_admin(actor)?;
    let c = find(db, raw).await?;
    if c.revoked_at.is_some() {
        return Err(AppError::conflict(
            "certificate_revoked",
            "Không cấp lại chứng chỉ đã bị thu hồi.",
            "A revoked certificate cannot be re-issued.",
        ));
    }
    record(db, c.id, "reissued", Some(actor.user.id), None, note).await?;
    Ok(c)
}

/// When the certificate was last re-issued, if ever.
pub async fn reissued_on(
    db: &impl ConnectionTrait,
    issuer: &Issuer,
    id: Uuid,
) -> Result<Option<NaiveDate>, AppError> {
    Ok(certificate_event::Entity::find()
        .filter(certificate_event::Column::CertificateId.eq(id))
        .filter(certificate_event::Column::Kind.eq("reissued"))
        .order_by_desc(certificate_event::Column::At)
        .one(db)
        .await?
        .map(|e| issuer.local_date(e.at)))
}

pub async fn events(db: &DatabaseConnection, id: Uuid) -> Result<Vec<EventView>, AppError> {
    let evs = certificate_event::Entity::find()
        .filter(certificate_event::Column::CertificateId.eq(id))
        .order_by_asc(certificate_event::Column::At)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = evs.iter().filter_map(|e| e.actor_id).collect();
    let names: HashMap<Uuid, String> = crate::store::users::by_ids(db, &ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u.full_name))
        .collect();
    Ok(evs
        .into_iter()
        .map(|e| EventView {
            actor: e.actor_id.and_then(|a| names.get(&a).cloned()),
            kind: e.kind,
            at: e.at,
            reason: e.reason,
            note: e.note,
        })
        .collect())
}

/// May `viewer` see the holder-only views (printable page, PDF)?
pub fn may_view_private(viewer: &UserRecord, c: &certificate::Model) -> bool {
    viewer.user.id == c.user_id || viewer.has(Role::Admin)
}

pub async fn register_entry_of(
    db: &impl ConnectionTrait,
    issuer: &Issuer,
    c: &certificate::Model,
    lang: Lang,
) -> Result<RegisterEntry, AppError> {
    let re = reissued_on(db, issuer, c.id).await?;
    Ok(register_entry(issuer, c, re, lang))
}

/// A person's own certificates, newest first.
pub async fn mine(
    db: &DatabaseConnection,
    issuer: &Issuer,
    user: Uuid,
    lang: Lang,
) -> Result<Vec<PublicCertificate>, AppError> {
    Ok(certificate::Entity::find()
        .filter(certificate::Column::UserId.eq(user))
        .order_by_desc(certificate::Column::IssuedAt)
        .all(db)
        .await?
        .iter()
        .map(|c| public_view(issuer, c, lang))
        .collect())
}

/// Filters for browsing the register.
#[derive(Clone, Debug, Default)]
pub struct RegisterFilter {
    pub year: Option<i32>,
    pub status: Option<String>,
    pub q: Option<String>,
    pub session: Option<Uuid>,
}

/// The register (sổ gốc), in register order: (entries of the page, total).
pub async fn register(
    db: &DatabaseConnection,
    actor: &UserRecord,
    issuer: &Issuer,
    f: &RegisterFilter,
    page: u64,
    per_page: u64,
    lang: Lang,
) -> Result<(Vec<RegisterEntry>, u64), AppError> {
    require_admin(actor)?;
    let mut q = certificate::Entity::find();
    if let Some(y) = f.year {
        q = q.filter(certificate::Column::Year.eq(y));
    }
    if let Some(s) = f.session {
        q = q.filter(certificate::Column::SessionId.eq(s));
    }
    match f.status.as_deref() {
        Some("valid") => q = q.filter(certificate::Column::RevokedAt.is_null()),
        Some("revoked") => q = q.filter(certificate::Column::RevokedAt.is_not_null()),
        _ => {}
    }
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let like = format!("%{text}%");
        q = q.filter(
            sea_orm::Condition::any()
                .add(certificate::Column::HolderFullName.like(like.clone()))
                .add(certificate::Column::Serial.like(like.to_uppercase()))
                .add(certificate::Column::Code.eq(text.to_uppercase())),
        );
    }
    let q = q
        .order_by_asc(certificate::Column::Year)
        .order_by_asc(certificate::Column::RegisterNumber);
    let paginator = q.paginate(db, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(page.saturating_sub(1)).await?;
    let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
    let mut reissues: HashMap<Uuid, NaiveDate> = HashMap::new();
    for e in certificate_event::Entity::find()
        .filter(certificate_event::Column::CertificateId.is_in(ids))
        .filter(certificate_event::Column::Kind.eq("reissued"))
        .order_by_asc(certificate_event::Column::At)
        .all(db)
        .await?
    {
        reissues.insert(e.certificate_id, issuer.local_date(e.at));
    }
    Ok((
        rows.iter()
            .map(|c| register_entry(issuer, c, reissues.get(&c.id).copied(), lang))
            .collect(),
        total,
    ))
}

/// The published keys as a JWK set.
pub async fn jwks(db: &impl ConnectionTrait) -> Result<Value, AppError> {
    let keys: Vec<Value> = signing_keys::all(db)
        .await?
        .iter()
        .map(|k| cert::public_jwk(&k.kid, &k.public_key))
        .collect();
    Ok(json!({ "keys": keys }))
}

/// The `did:web` document naming every key.
pub async fn did_document(db: &impl ConnectionTrait, issuer: &Issuer) -> Result<Value, AppError> {
    let did = issuer.did();
    let keys = signing_keys::all(db).await?;
    let methods: Vec<Value> = keys
        .iter()
        .map(|k| {
            json!({
                "id": format!("{did}#{}", k.kid),
                "type": "JsonWebKey",
                "controller": did,
                "publicKeyJwk": cert::public_jwk(&k.kid, &k.public_key),
            })
        })
        .collect();
    let refs: Vec<String> = keys.iter().map(|k| format!("{did}#{}", k.kid)).collect();
    Ok(json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": refs,
        "authentication": refs,
    }))
}

/// The signed Bitstring Status List credential for list `id`.
pub async fn status_list(
    db: &DatabaseConnection,
    issuer: &Issuer,
    id: i32,
) -> Result<String, AppError> {
    let last = counters::current(db, "status_index").await?;
    let lists = if last == 0 {
        1
    } else {
        cert::status_slot(last - 1).0
    };
    if id < 1 || id > lists {
        return Err(AppError::not_found());
    }
    let revoked: Vec<i32> = certificate::Entity::find()
        .select_only()
        .column(certificate::Column::StatusIndex)
        .filter(certificate::Column::StatusList.eq(id))
        .filter(certificate::Column::RevokedAt.is_not_null())
        .into_tuple::<i32>()
        .all(db)
        .await?;
    let encoded =
        cert::encode_status_list(revoked.into_iter().filter_map(|i| u32::try_from(i).ok()))
            .map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
    let key = signing_keys::ensure(db).await?;
    let claims =
        cert::status_list_claims(&issuer.did(), &issuer.base_url, id, &encoded, Utc::now());
    cert::sign(&key.kid, &key.private_key, &claims)
        .map_err(|e| AppError::internal(anyhow::anyhow!(e)))
}

/// The result of checking a credential presented to us.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CheckResult {
    /// True when the signature is ours and the certificate is not revoked.
    pub valid: bool,
    /// `valid`, `revoked`, `unknown` or `invalid`.
    pub status: String,
    pub error: Option<String>,
    pub message: Option<String>,
    pub certificate: Option<PublicCertificate>,
}

/// Verifies a presented VC-JWT against our published keys, then looks up its
/// current status.
pub async fn check_credential(
    db: &DatabaseConnection,
    issuer: &Issuer,
    token: &str,
    lang: Lang,
) -> Result<CheckResult, AppError> {
    let keys = jwks(db).await?;
    let set: Vec<Value> = keys
        .get("keys")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let invalid = |e: VerifyError| CheckResult {
        valid: false,
        status: "invalid".into(),
        error: Some(
            match e {
                VerifyError::Malformed => "malformed",
                VerifyError::Algorithm(_) => "algorithm_not_accepted",
                VerifyError::NoKid | VerifyError::UnknownKey(_) => "unknown_key",
                VerifyError::BadSignature => "bad_signature",
                VerifyError::NotYetValid => "not_yet_valid",
            }
            .into(),
        ),
        message: Some(e.to_string()),
        certificate: None,
    };
    let claims = match cert::verify(token, &set) {
        Ok(c) => c,
        Err(e) => return Ok(invalid(e)),
    };
    let id = claims
        .get("jti")
        .and_then(Value::as_str)
        .and_then(|j| j.strip_prefix("urn:uuid:"))
        .and_then(|u| Uuid::parse_str(u).ok());
    let Some(c) = (match id {
        Some(id) => certificate::Entity::find_by_id(id).one(db).await?,
        None => None,
    }) else {
        return Ok(CheckResult {
            valid: false,
            status: "unknown".into(),
            error: Some("unknown_certificate".into()),
            message: Some("signed by us, but names no certificate in the register".into()),
            certificate: None,
        });
    };
    let view = public_view(issuer, &c, lang);
    Ok(CheckResult {
        valid: view.status == "valid",
        status: view.status.clone(),
        error: None,
        message: None,
        certificate: Some(view),
    })
}

/// Counts certificates (for tests and the dashboard).
pub async fn count(db: &DatabaseConnection) -> Result<u64, AppError> {
    Ok(certificate::Entity::find().count(db).await?)
}

/// Retires the current signing key and makes a new one (the old one stays
/// published); returns the new key's id.
pub async fn rotate_key(
    db: &DatabaseConnection,
) -> Result<crate::entities::signing_key::Model, AppError> {
    crate::db::write_tx(db, |txn| {
        Box::pin(async move { Ok(signing_keys::rotate(txn).await?) })
    })
    .await
}

fn dmy(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn sex_vi(s: Option<&str>) -> &'static str {
    match s {
        Some("male") => "Nam",
        Some("female") => "Nữ",
        Some("other") => "Khác",
        _ => "",
    }
}

/// The printed certificate's text (always Vietnamese: it is the legal document).
pub fn print_fields(
    issuer: &Issuer,
    e: &RegisterEntry,
) -> crate::formats::certificate_pdf::CertificatePrint {
    let p = &e.public;
    let mut header_left = vec![p.centre.name.to_uppercase()];
    if !p.centre.address.trim().is_empty() {
        header_left.push(p.centre.address.clone());
    }
    header_left.push(format!("Mã trung tâm: {}", p.centre.code));
    let place = p
        .centre
        .address
        .rsplit(',')
        .next()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| format!("{s}, "))
        .unwrap_or_default();
    crate::formats::certificate_pdf::CertificatePrint {
        title: "CHỨNG CHỈ ỨNG DỤNG CÔNG NGHỆ THÔNG TIN CƠ BẢN".into(),
        header_left,
        header_right: vec![
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM".into(),
            "Độc lập - Tự do - Hạnh phúc".into(),
        ],
        fields: vec![
            ("Cấp cho ông/bà:".into(), p.holder.full_name.clone()),
            (
                "Ngày sinh:".into(),
                p.holder.date_of_birth.map(dmy).unwrap_or_default(),
            ),
            (
                "Nơi sinh:".into(),
                e.place_of_birth.clone().unwrap_or_default(),
            ),
            ("Giới tính:".into(), sex_vi(e.sex.as_deref()).into()),
            ("Trình độ:".into(), p.level_name.clone()),
            (
                "Kỳ thi:".into(),
                format!("{}, ngày {}", p.session_title, dmy(p.exam_date)),
            ),
            ("Kết quả:".into(), format!("Đạt ({:.2}/10 điểm)", p.score)),
        ],
        footer_left: vec![
            format!("Số hiệu: {}", p.serial),
            format!(
                "Số vào sổ cấp chứng chỉ: {}/{}",
                p.register_number, p.register_year
            ),
            format!("Mã tra cứu: {}", p.code),
        ],
        place_date: format!(
            "{place}ngày {} tháng {} năm {}",
            p.issued_on.format("%d"),
            p.issued_on.format("%m"),
            p.issued_on.year()
        ),
        signer_title: e.signer_title.to_uppercase(),
        signer_name: e.signer_name.clone(),
        verify_url: issuer.verify_url(&p.code),
        note: e
            .reissued_on
            .map(|d| format!("Bản cấp lại ngày {}", dmy(d))),
    }
}

/// Renders the PDF with the fonts embedded in the binary.
pub fn render_pdf(
    print: &crate::formats::certificate_pdf::CertificatePrint,
) -> Result<Vec<u8>, AppError> {
    let font = |name: &str| {
        crate::routes::static_files::asset(name)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("font {name} missing")))
    };
    let regular = font("fonts/DejaVuSerif.ttf")?;
    let bold = font("fonts/DejaVuSerif-Bold.ttf")?;
    crate::formats::certificate_pdf::render(
        print,
        &crate::formats::certificate_pdf::Fonts {
            regular: &regular,
            bold: &bold,
        },
    )
    .map_err(|e| AppError::internal(anyhow::anyhow!(e)))
}

/// The register as a table for CSV/XLSX export.
pub fn register_table(items: &[RegisterEntry], lang: Lang) -> (Vec<String>, Vec<Vec<String>>) {
    let headers: Vec<String> = match lang {
        Lang::Vi => vec![
            "Năm",
            "Số vào sổ",
            "Số hiệu",
            "Mã tra cứu",
            "Họ và tên",
            "Ngày sinh",
            "Nơi sinh",
            "Giới tính",
            "Trình độ",
            "Kỳ thi",
            "Ngày thi",
            "Điểm",
            "Ngày cấp",
            "Cấp lại",
            "Tình trạng",
            "Ngày thu hồi",
            "Lý do thu hồi",
            "Ghi chú",
        ],
        Lang::En => vec![
            "Year",
            "Register number",
            "Serial",
            "Code",
            "Full name",
            "Date of birth",
            "Place of birth",
            "Sex",
            "Level",
            "Exam session",
            "Exam date",
            "Score",
            "Issued on",
            "Re-issued on",
            "Status",
            "Revoked on",
            "Revocation reason",
            "Note",
        ],
    }
    .into_iter()
    .map(String::from)
    .collect();
    let rows = items
        .iter()
        .map(|e| {
            let p = &e.public;
            let status = match (lang, p.status.as_str()) {
                (Lang::Vi, "valid") => "Còn hiệu lực",
                (Lang::Vi, _) => "Đã thu hồi",
                (Lang::En, "valid") => "Valid",
                (Lang::En, _) => "Revoked",
            };
            vec![
                p.register_year.to_string(),
                p.register_number.to_string(),
                p.serial.clone(),
                p.code.clone(),
                p.holder.full_name.clone(),
                p.holder.date_of_birth.map(dmy).unwrap_or_default(),
                e.place_of_birth.clone().unwrap_or_default(),
                e.sex.clone().unwrap_or_default(),
                p.level_name.clone(),
                p.session_title.clone(),
                dmy(p.exam_date),
                format!("{:.2}", p.score),
                dmy(p.issued_on),
                e.reissued_on.map(dmy).unwrap_or_default(),
                status.into(),
                p.revoked_on.map(dmy).unwrap_or_default(),
                p.revocation_reason_text.clone().unwrap_or_default(),
                e.revocation_note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    (headers, rows)
}
