//! Creating accounts, first-admin setup, password reset and change.
use chrono::{Duration, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::password;
use crate::configuration::Settings;
use crate::domain::person::{Email, FullName, NationalId, Password, Phone, Sex, parse_birth_date};
use crate::domain::role::Role;
use crate::error::AppError;
use crate::i18n::{self, Lang};
use crate::mail::{self, Mail};
use crate::store::tokens::{self, Purpose};
use crate::store::{units, users};

/// A new user as the API and the admin form send it.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct UserInput {
    #[schema(format = Email)]
    pub email: String,
    pub full_name: String,
    /// `YYYY-MM-DD`; required for learners.
    #[schema(format = Date)]
    pub date_of_birth: Option<String>,
    pub place_of_birth: Option<String>,
    /// `male`, `female` or `other`.
    #[schema(inline, value_type = Option<Sex>)]
    pub sex: Option<String>,
    pub unit_id: Option<Uuid>,
    pub job_title: Option<String>,
    pub is_leader: Option<bool>,
    pub phone: Option<String>,
    pub national_id: Option<String>,
    #[serde(default)]
    #[schema(inline, value_type = Vec<Role>)]
    pub roles: Vec<String>,
    /// At least 10 characters; without it the user gets an invitation e-mail.
    #[schema(min_length = 10)]
    pub password: Option<String>,
}

fn invalid(field: &str, msg_vi: String, msg_en: String) -> AppError {
    AppError::unprocessable(
        "invalid_field",
        format!("Trường “{field}”: {msg_vi}"),
        format!("Field “{field}”: {msg_en}"),
    )
    .with_extra(serde_json::json!({"field": field}))
}

fn person_err(field: &str, e: crate::domain::person::PersonError) -> AppError {
    invalid(field, e.message(Lang::Vi), e.message(Lang::En))
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Validates and creates a user; without a password an invitation is queued.
pub async fn create_user(
    db: &DatabaseConnection,
    settings: &Settings,
    input: UserInput,
) -> Result<users::UserRecord, AppError> {
    let email = Email::parse(&input.email).map_err(|e| person_err("email", e))?;
    let full_name = FullName::parse(&input.full_name).map_err(|e| person_err("full_name", e))?;
    let mut roles = Vec::new();
    for r in &input.roles {
        let role = Role::parse(r).ok_or_else(|| {
            invalid(
                "roles",
                format!("vai trò “{r}” không tồn tại."),
                format!("unknown role “{r}”."),
            )
        })?;
        roles.push(role);
    }
    if roles.is_empty() {
        roles.push(Role::Learner);
    }
    let learner = roles.contains(&Role::Learner);
    let today = Utc::now().with_timezone(&settings.time_zone()).date_naive();
    let date_of_birth = match non_empty(&input.date_of_birth) {
        Some(d) => Some(parse_birth_date(&d, today).map_err(|e| person_err("date_of_birth", e))?),
        None => None,
    };
    let place_of_birth = non_empty(&input.place_of_birth);
    let sex = match non_empty(&input.sex) {
        Some(s) => Some(Sex::parse(&s).map_err(|e| person_err("sex", e))?),
        None => None,
    };
    if learner {
        let missing: Vec<&str> = [
            ("date_of_birth", date_of_birth.is_none()),
            ("place_of_birth", place_of_birth.is_none()),
            ("sex", sex.is_none()),
        ]
        .into_iter()
        .filter(|(_, m)| *m)
        .map(|(f, _)| f)
        .collect();
        if let Some(first) = missing.first() {
            return Err(invalid(
                first,
                "bắt buộc với học viên (ghi trên chứng chỉ).".into(),
                "required for learners (printed on certificates).".into(),
            ));
        }
    }
    if roles.contains(&Role::UnitManager) && input.unit_id.is_none() {
        return Err(invalid(
            "unit_id",
            "cán bộ quản lý đơn vị phải thuộc một đơn vị.".into(),
            "a unit manager needs a unit.".into(),
        ));
    }
    if let Some(unit_id) = input.unit_id
        && units::get(db, unit_id).await?.is_none()
    {
        return Err(invalid(
            "unit_id",
            "đơn vị không tồn tại.".into(),
            "no such unit.".into(),
        ));
    }
    let phone = match non_empty(&input.phone) {
        Some(p) => Some(Phone::parse(&p).map_err(|e| person_err("phone", e))?),
        None => None,
    };
    let national_id = match non_empty(&input.national_id) {
        Some(p) => Some(NationalId::parse(&p).map_err(|e| person_err("national_id", e))?),
        None => None,
    };
    let password_hash = match non_empty(&input.password) {
        Some(p) => {
            let p = Password::parse(&p).map_err(|e| person_err("password", e))?;
            Some(password::hash(p.as_str().to_string()).await?)
        }
        None => None,
    };
    if users::find_by_email(db, email.as_str()).await?.is_some() {
        return Err(email_taken());
    }
    let invite = password_hash.is_none();
    let new = users::NewUser {
        email: email.as_str().to_string(),
        full_name: full_name.as_str().to_string(),
        password_hash,
        date_of_birth,
        place_of_birth,
        sex: sex.map(|s| s.as_api_str().to_string()),
        national_id: national_id.map(|n| n.as_str().to_string()),
        phone: phone.map(|p| p.as_str().to_string()),
        unit_id: input.unit_id,
        job_title: non_empty(&input.job_title),
        is_leader: input.is_leader.unwrap_or(false),
        roles,
    };
    let base = settings.base_url();
    let ttl = Duration::seconds(settings.auth.invite_link_ttl_seconds);
    let lang = Lang::parse(&settings.site.default_lang).unwrap_or_default();
    let id = db
        .transaction::<_, Uuid, AppError>(|txn| {
            Box::pin(async move {
                let name = new.full_name.clone();
                let email = new.email.clone();
                let id = users::create(txn, new).await?;
                if invite {
                    let raw = tokens::issue(txn, Purpose::Invite, Some(id), Some(ttl)).await?;
                    let link = format!("{base}/password/reset/{raw}");
                    mail::enqueue(
                        txn,
                        &email,
                        lang,
                        Mail::Invitation {
                            name: &name,
                            link: &link,
                            email: &email,
                        },
                    )
                    .await?;
                }
                Ok(id)
            })
        })
        .await?;
    users::find_by_id(db, id)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("user vanished after insert")))
}

pub fn email_taken() -> AppError {
    AppError::conflict(
        "email_taken",
        "Email này đã được dùng cho một tài khoản khác.",
        "This e-mail is already used by another account.",
    )
}

/// Queues a reset link when the e-mail belongs to an active account. The
/// caller answers the same either way, so accounts cannot be discovered.
/// [`request_password_reset`], mailing one account at most
/// `limits.reset_mails_per_hour` links an hour (beyond that the request is
/// answered the same way and nothing is sent).
pub async fn request_password_reset_limited(
    state: &crate::startup::AppState,
    email: &str,
) -> Result<(), AppError> {
    let key = email.trim().to_lowercase();
    if !crate::routes::limits::allowed(&state.limits.reset_mails, &key) {
        tracing::info!("password reset for one account over its hourly limit: not sent");
        return Ok(());
    }
    request_password_reset(&state.db, &state.settings, email).await
}

pub async fn request_password_reset(
    db: &DatabaseConnection,
    settings: &Settings,
    email: &str,
) -> Result<(), AppError> {
    let Some(user) = users::find_by_email(db, email).await? else {
        return Ok(());
    };
    if !user.user.is_active {
        return Ok(());
    }
    let ttl = Duration::seconds(settings.auth.reset_link_ttl_seconds);
    let base = settings.base_url();
    let lang = i18n::current();
    db.transaction::<_, (), AppError>(|txn| {
        Box::pin(async move {
            let raw = tokens::issue(txn, Purpose::Reset, Some(user.user.id), Some(ttl)).await?;
            let link = format!("{base}/password/reset/{raw}");
            mail::enqueue(
                txn,
                &user.user.email,
                lang,
                Mail::PasswordReset {
                    name: &user.user.full_name,
                    link: &link,
                },
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    Ok(())
}

pub fn bad_link() -> AppError {
    AppError::new(
        actix_web::http::StatusCode::GONE,
        "link_invalid",
        "Liên kết không hợp lệ, đã hết hạn hoặc đã được dùng.",
        "This link is invalid, has expired or was already used.",
    )
}

/// Sets a password from a reset or invitation link; the link is used up.
pub async fn reset_password(
    db: &DatabaseConnection,
    raw_token: &str,
    new_password: &str,
) -> Result<Uuid, AppError> {
    let pw = Password::parse(new_password).map_err(|e| person_err("password", e))?;
    let token = tokens::peek(db, raw_token, &[Purpose::Reset, Purpose::Invite])
        .await?
        .ok_or_else(bad_link)?;
    let user_id = token.user_id.ok_or_else(bad_link)?;
    let hash = password::hash(pw.as_str().to_string()).await?;
    db.transaction::<_, (), AppError>(|txn| {
        Box::pin(async move {
            if !tokens::consume(txn, token.id).await? {
                return Err(bad_link());
            }
            users::set_password(txn, user_id, &hash).await?;
            Ok(())
        })
    })
    .await?;
    Ok(user_id)
}

/// Changes the caller's own password after checking the current one.
pub async fn change_password(
    db: &DatabaseConnection,
    user: &users::UserRecord,
    current: &str,
    new_password: &str,
) -> Result<(), AppError> {
    if !password::verify(current.to_string(), user.user.password_hash.clone()).await? {
        return Err(AppError::unprocessable(
            "wrong_password",
            "Mật khẩu hiện tại không đúng.",
            "The current password is wrong.",
        ));
    }
    let pw = Password::parse(new_password).map_err(|e| person_err("password", e))?;
    let hash = password::hash(pw.as_str().to_string()).await?;
    users::set_password(db, user.user.id, &hash).await?;
    Ok(())
}

/// When no admin exists, makes a one-time link that creates the first one.
pub async fn setup_link_if_no_admin(
    db: &DatabaseConnection,
    settings: &Settings,
) -> Result<Option<String>, AppError> {
    if users::count_with_role(db, Role::Admin).await? > 0 {
        return Ok(None);
    }
    let raw = tokens::issue(db, Purpose::Setup, None, None).await?;
    Ok(Some(format!("{}/setup/{raw}", settings.base_url())))
}

/// Creates the first admin from a setup link; refused once any admin exists.
pub async fn complete_setup(
    db: &DatabaseConnection,
    settings: &Settings,
    raw_token: &str,
    email: &str,
    full_name: &str,
    new_password: &str,
) -> Result<Uuid, AppError> {
    let token = tokens::peek(db, raw_token, &[Purpose::Setup])
        .await?
        .ok_or_else(bad_link)?;
    if users::count_with_role(db, Role::Admin).await? > 0 {
        return Err(bad_link());
    }
    let record = create_user(
        db,
        settings,
        UserInput {
            email: email.to_string(),
            full_name: full_name.to_string(),
            password: Some(new_password.to_string()),
            roles: vec!["admin".into()],
            ..Default::default()
        },
    )
    .await?;
    tokens::consume(db, token.id).await?;
    Ok(record.user.id)
}

/// Changes to a user; absent fields stay as they are. `unit_id: null`
/// removes the unit.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct UserUpdate {
    pub full_name: Option<String>,
    #[schema(format = Date)]
    pub date_of_birth: Option<String>,
    pub place_of_birth: Option<String>,
    #[schema(inline, value_type = Option<Sex>)]
    pub sex: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub unit_id: Option<Option<Uuid>>,
    pub job_title: Option<String>,
    pub is_leader: Option<bool>,
    pub phone: Option<String>,
    pub national_id: Option<String>,
    #[schema(inline, value_type = Option<Vec<Role>>)]
    pub roles: Option<Vec<String>>,
    /// `false` deactivates the account and ends its sessions.
    pub is_active: Option<bool>,
}

fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

fn blank_to_none(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Applies `update` to user `id` in one transaction.
pub async fn update_user(
    db: &DatabaseConnection,
    settings: &Settings,
    id: Uuid,
    update: UserUpdate,
) -> Result<users::UserRecord, AppError> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let current = users::find_by_id(db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let mut am: crate::entities::user::ActiveModel = current.user.clone().into();
    if let Some(n) = &update.full_name {
        let n = FullName::parse(n).map_err(|e| person_err("full_name", e))?;
        am.full_name = Set(n.as_str().to_string());
    }
    if let Some(d) = &update.date_of_birth {
        let today = Utc::now().with_timezone(&settings.time_zone()).date_naive();
        let parsed = match blank_to_none(d) {
            Some(d) => {
                Some(parse_birth_date(&d, today).map_err(|e| person_err("date_of_birth", e))?)
            }
            None => None,
        };
        am.date_of_birth = Set(parsed);
    }
    if let Some(p) = &update.place_of_birth {
        am.place_of_birth = Set(blank_to_none(p));
    }
    if let Some(s) = &update.sex {
        let parsed = match blank_to_none(s) {
            Some(s) => Some(
                Sex::parse(&s)
                    .map_err(|e| person_err("sex", e))?
                    .as_api_str()
                    .to_string(),
            ),
            None => None,
        };
        am.sex = Set(parsed);
    }
    if let Some(unit) = update.unit_id {
        if let Some(u) = unit
            && units::get(db, u).await?.is_none()
        {
            return Err(invalid(
                "unit_id",
                "đơn vị không tồn tại.".into(),
                "no such unit.".into(),
            ));
        }
        am.unit_id = Set(unit);
    }
    if let Some(j) = &update.job_title {
        am.job_title = Set(blank_to_none(j));
    }
    if let Some(l) = update.is_leader {
        am.is_leader = Set(l);
    }
    if let Some(p) = &update.phone {
        let parsed = match blank_to_none(p) {
            Some(p) => Some(
                Phone::parse(&p)
                    .map_err(|e| person_err("phone", e))?
                    .as_str()
                    .to_string(),
            ),
            None => None,
        };
        am.phone = Set(parsed);
    }
    if let Some(n) = &update.national_id {
        let parsed = match blank_to_none(n) {
            Some(n) => Some(
                NationalId::parse(&n)
                    .map_err(|e| person_err("national_id", e))?
                    .as_str()
                    .to_string(),
            ),
            None => None,
        };
        am.national_id = Set(parsed);
    }
    let roles = match &update.roles {
        Some(list) => {
            let mut roles = Vec::new();
            for r in list {
                roles.push(Role::parse(r).ok_or_else(|| {
                    invalid(
                        "roles",
                        format!("vai trò “{r}” không tồn tại."),
                        format!("unknown role “{r}”."),
                    )
                })?);
            }
            if roles.is_empty() {
                return Err(invalid(
                    "roles",
                    "cần ít nhất một vai trò.".into(),
                    "at least one role is needed.".into(),
                ));
            }
            Some(roles)
        }
        None => None,
    };
    if let Some(active) = update.is_active {
        am.is_active = Set(active);
        if !active {
            am.session_version = Set(current.user.session_version + 1);
        }
    }
    let unit_after = match &am.unit_id {
        sea_orm::ActiveValue::Set(u) | sea_orm::ActiveValue::Unchanged(u) => *u,
        sea_orm::ActiveValue::NotSet => current.user.unit_id,
    };
    let roles_after = roles.clone().unwrap_or_else(|| current.roles.clone());
    if roles_after.contains(&Role::UnitManager) && unit_after.is_none() {
        return Err(invalid(
            "unit_id",
            "cán bộ quản lý đơn vị phải thuộc một đơn vị.".into(),
            "a unit manager needs a unit.".into(),
        ));
    }
    am.updated_at = Set(Utc::now());
    db.transaction::<_, (), AppError>(|txn| {
        Box::pin(async move {
            am.update(txn).await?;
            if let Some(roles) = roles {
                users::set_roles(txn, id, &roles).await?;
            }
            Ok(())
        })
    })
    .await?;
    users::forget(id);
    users::find_by_id(db, id)
        .await?
        .ok_or_else(AppError::not_found)
}
