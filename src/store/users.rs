//! People and their roles.
use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::domain::role::Role;
use crate::entities::{user, user_role};

/// A user with roles, as the rest of the application sees one.
#[derive(Clone, Debug)]
pub struct UserRecord {
    pub user: user::Model,
    pub roles: Vec<Role>,
}

impl UserRecord {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// What is needed to create a user; values are already validated.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: String,
    pub full_name: String,
    pub password_hash: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub place_of_birth: Option<String>,
    pub sex: Option<String>,
    pub national_id: Option<String>,
    pub phone: Option<String>,
    pub unit_id: Option<Uuid>,
    pub job_title: Option<String>,
    pub is_leader: bool,
    pub roles: Vec<Role>,
}

pub async fn create(db: &impl ConnectionTrait, new: NewUser) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    let now = Utc::now();
    user::Entity::insert(user::ActiveModel {
        id: Set(id),
        email: Set(new.email),
        full_name: Set(new.full_name),
        password_hash: Set(new.password_hash),
        date_of_birth: Set(new.date_of_birth),
        place_of_birth: Set(new.place_of_birth),
        sex: Set(new.sex),
        national_id: Set(new.national_id),
        phone: Set(new.phone),
        unit_id: Set(new.unit_id),
        job_title: Set(new.job_title),
        is_leader: Set(new.is_leader),
        is_active: Set(true),
        session_version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    set_roles(db, id, &new.roles).await?;
    Ok(id)
}

pub async fn set_roles(db: &impl ConnectionTrait, id: Uuid, roles: &[Role]) -> Result<(), DbErr> {
    user_role::Entity::delete_many()
        .filter(user_role::Column::UserId.eq(id))
        .exec(db)
        .await?;
    let mut seen = Vec::new();
    for r in roles {
        if seen.contains(r) {
            continue;
        }
        seen.push(*r);
        user_role::Entity::insert(user_role::ActiveModel {
            user_id: Set(id),
            role: Set(r.as_str().to_string()),
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

pub async fn roles_of(db: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Role>, DbErr> {
    let rows = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(id))
        .all(db)
        .await?;
    Ok(rows.iter().filter_map(|r| Role::parse(&r.role)).collect())
}

async fn with_roles(
    db: &impl ConnectionTrait,
    user: Option<user::Model>,
) -> Result<Option<UserRecord>, DbErr> {
    match user {
        None => Ok(None),
        Some(user) => {
            let roles = roles_of(db, user.id).await?;
            Ok(Some(UserRecord { user, roles }))
        }
    }
}

pub async fn find_by_id(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<UserRecord>, DbErr> {
    let u = user::Entity::find_by_id(id).one(db).await?;
    with_roles(db, u).await
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<UserRecord>, DbErr> {
    let u = user::Entity::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await?;
    with_roles(db, u).await
}

/// Users keyed by e-mail, for imports.
pub async fn by_emails(
    db: &impl ConnectionTrait,
    emails: &[String],
) -> Result<Vec<user::Model>, DbErr> {
    let mut out = Vec::new();
    for chunk in emails.chunks(500) {
        out.extend(
            user::Entity::find()
                .filter(user::Column::Email.is_in(chunk.iter().cloned()))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// Sets a new password hash and ends every existing session of the user.
pub async fn set_password(db: &impl ConnectionTrait, id: Uuid, hash: &str) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash.to_string()))
        .col_expr(
            user::Column::SessionVersion,
            Expr::col(user::Column::SessionVersion).add(1),
        )
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    forget(id);
    Ok(())
}

pub async fn count_with_role(db: &impl ConnectionTrait, role: Role) -> Result<u64, DbErr> {
    user_role::Entity::find()
        .filter(user_role::Column::Role.eq(role.as_str()))
        .count(db)
        .await
}

#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    /// Only users in these units (a subtree); `None` means everyone.
    pub unit_ids: Option<Vec<Uuid>>,
    pub search: Option<String>,
    pub role: Option<Role>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    filter: &UserFilter,
    page: u64,
    per_page: u64,
) -> Result<(Vec<UserRecord>, u64), DbErr> {
    let mut q = user::Entity::find();
    if let Some(ids) = &filter.unit_ids {
        // Large subtrees are chunked to stay under bind-parameter limits.
        let mut cond = Condition::any();
        for chunk in ids.chunks(900) {
            cond = cond.add(user::Column::UnitId.is_in(chunk.iter().copied()));
        }
        q = q.filter(cond);
    }
    if let Some(s) = filter.search.as_ref().filter(|s| !s.trim().is_empty()) {
        let like = format!("%{}%", s.trim().to_lowercase());
        q = q.filter(
            Condition::any()
                .add(
                    Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(
                        user::Column::FullName,
                    )))
                    .like(like.clone()),
                )
                .add(user::Column::Email.like(like)),
        );
    }
    if let Some(role) = filter.role {
        q = q.filter(
            user::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(user_role::Column::UserId)
                    .from(user_role::Entity)
                    .and_where(user_role::Column::Role.eq(role.as_str()))
                    .to_owned(),
            ),
        );
    }
    let total = q.clone().count(db).await?;
    let users = q
        .order_by_asc(user::Column::FullName)
        .order_by_asc(user::Column::Id)
        .offset((page.saturating_sub(1)) * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
    let role_rows = if ids.is_empty() {
        Vec::new()
    } else {
        user_role::Entity::find()
            .filter(user_role::Column::UserId.is_in(ids))
            .all(db)
            .await?
    };
    let items = users
        .into_iter()
        .map(|user| {
            let roles = role_rows
                .iter()
                .filter(|r| r.user_id == user.id)
                .filter_map(|r| Role::parse(&r.role))
                .collect();
            UserRecord { user, roles }
        })
        .collect();
    Ok((items, total))
}

/// Full names by id, for showing who wrote or approved something.
pub async fn names(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, String>, DbErr> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        for u in user::Entity::find()
            .filter(user::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            out.insert(u.id, u.full_name);
        }
    }
    Ok(out)
}

pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<user::Model>, DbErr> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            user::Entity::find()
                .filter(user::Column::Id.is_in(chunk.iter().copied()))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// Recently read accounts, so that a candidate's 30 saves do not read the
/// account 30 times. An entry is used only while its `session_version`
/// matches the token's and for at most [`USER_TTL`]: deactivating an account
/// or changing its password takes effect within that time on every instance.
const USER_TTL: std::time::Duration = std::time::Duration::from_secs(5);

type UserCache = std::collections::HashMap<Uuid, (std::time::Instant, UserRecord)>;
static USERS: std::sync::LazyLock<std::sync::Mutex<UserCache>> =
    std::sync::LazyLock::new(Default::default);

pub async fn find_by_id_cached(
    db: &impl ConnectionTrait,
    id: Uuid,
    sv: i32,
) -> Result<Option<UserRecord>, DbErr> {
    if let Ok(cache) = USERS.lock()
        && let Some((at, r)) = cache.get(&id)
        && at.elapsed() < USER_TTL
        && r.user.session_version == sv
    {
        return Ok(Some(r.clone()));
    }
    let found = find_by_id(db, id).await?;
    if let (Some(r), Ok(mut cache)) = (&found, USERS.lock()) {
        if cache.len() > 100_000 {
            cache.retain(|_, (at, _)| at.elapsed() < USER_TTL);
        }
        cache.insert(id, (std::time::Instant::now(), r.clone()));
    }
    Ok(found)
}

/// Drops a cached account (after changing it on this instance).
pub fn forget(id: Uuid) {
    if let Ok(mut cache) = USERS.lock() {
        cache.remove(&id);
    }
}
