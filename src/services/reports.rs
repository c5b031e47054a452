//! The unit report: the province's published figures per unit, rolled up
//! from all descendants, optionally split by leadership or job title, with
//! the people behind each number. Definitions: [`crate::domain::report`].
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::report::{Counts, Flags, Metric, PersonFacts, classify};
use crate::domain::role::Role;
use crate::entities::{attempt, certificate, class, enrolment, unit, user};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::store::users::UserRecord;

/// How rows are split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    Leadership,
    JobTitle,
}

impl GroupBy {
    pub fn parse(s: &str) -> Option<GroupBy> {
        match s {
            "leadership" => Some(GroupBy::Leadership),
            "job_title" => Some(GroupBy::JobTitle),
            _ => None,
        }
    }
}

/// What the caller asks for; `None` dates take the current year to today.
#[derive(Clone, Debug, Default)]
pub struct Params {
    pub root: Option<Uuid>,
    pub level: Option<u32>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub by: Option<GroupBy>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UnitLabel {
    pub id: Uuid,
    pub name: String,
    pub code: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Row {
    /// Null for people without a unit (whole-installation reports only).
    pub unit_id: Option<Uuid>,
    pub unit_name: String,
    pub unit_code: Option<String>,
    /// Whether the unit has children to drill down to.
    pub has_children: bool,
    /// With `by`: `leader`/`not_leader`, or the job title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(flatten)]
    pub counts: Counts,
    pub took_part: u64,
    pub eligible: u64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Report {
    /// Null: the whole installation.
    pub root: Option<UnitLabel>,
    pub level: u32,
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    pub rows: Vec<Row>,
    pub totals: Counts,
    pub generated_at: DateTime<Utc>,
}

/// One person behind a number.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PersonRow {
    pub user_id: Uuid,
    pub full_name: String,
    pub unit_id: Option<Uuid>,
    pub unit_name: Option<String>,
    pub job_title: Option<String>,
    pub is_leader: bool,
    pub took_part: bool,
    pub eligible: bool,
    pub sat_exam: bool,
    pub passed: bool,
    pub certified: bool,
}

struct Tree {
    units: HashMap<Uuid, unit::Model>,
    children: HashMap<Uuid, Vec<Uuid>>,
    tops: Vec<Uuid>,
}

impl Tree {
    fn new(all: Vec<unit::Model>) -> Tree {
        let ids: HashSet<Uuid> = all.iter().map(|u| u.id).collect();
        let mut children: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        let mut tops = Vec::new();
        for u in &all {
            match u.parent_id.filter(|p| ids.contains(p) && *p != u.id) {
                Some(p) => children.entry(p).or_default().push(u.id),
                None => tops.push(u.id),
            }
        }
        Tree {
            units: all.into_iter().map(|u| (u.id, u)).collect(),
            children,
            tops,
        }
    }

    fn kids(&self, id: Uuid) -> &[Uuid] {
        self.children.get(&id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every unit below `starts` (inclusive) mapped to its row — its
    /// ancestor `level` steps below the start, or itself when shallower —
    /// with its depth below the start.
    fn rows_below(&self, starts: &[Uuid], level: u32) -> HashMap<Uuid, (Uuid, u32)> {
        let mut out = HashMap::new();
        let mut stack: Vec<(Uuid, u32, Uuid)> = starts.iter().map(|s| (*s, 0, *s)).collect();
        let mut seen = HashSet::new();
        while let Some((id, depth, row)) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            let row = if depth <= level { id } else { row };
            out.insert(id, (row, depth));
            for k in self.kids(id) {
                stack.push((*k, depth + 1, row));
            }
        }
        out
    }

    fn label(&self, id: Uuid) -> Option<UnitLabel> {
        self.units.get(&id).map(|u| UnitLabel {
            id: u.id,
            name: u.name.clone(),
            code: u.code.clone(),
        })
    }
}

fn bad(code: &'static str, vi: &str, en: &str) -> AppError {
    AppError::unprocessable(code, vi.to_string(), en.to_string())
}

/// Start of `d` in `tz`, as UTC.
fn start_of(d: NaiveDate, tz: chrono_tz::Tz) -> DateTime<Utc> {
    tz.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| d.and_time(chrono::NaiveTime::MIN).and_utc())
}

struct Scope {
    tree: Tree,
    root: Option<Uuid>,
    level: u32,
    from: NaiveDate,
    to: NaiveDate,
    /// unit → row unit, for every unit in scope.
    row_of: HashMap<Uuid, Uuid>,
    /// The rows shown even when nobody is assigned: units at the level asked
    /// for, and shallower units without children.
    standing: HashSet<Uuid>,
}

/// Checks access and the parameters, and maps the units in scope to rows.
async fn scope(
    db: &DatabaseConnection,
    actor: &UserRecord,
    p: &Params,
    tz: chrono_tz::Tz,
) -> Result<Scope, AppError> {
    let admin = actor.has(Role::Admin);
    if !admin && !actor.has(Role::UnitManager) {
        return Err(AppError::forbidden());
    }
    let tree = Tree::new(crate::store::units::all(db).await?);
    let own = if admin {
        None
    } else {
        Some(actor.user.unit_id.ok_or_else(AppError::forbidden)?)
    };
    let root = p.root.or(own);
    if let Some(r) = root
        && !tree.units.contains_key(&r)
    {
        return Err(AppError::new(
            actix_web::http::StatusCode::NOT_FOUND,
            "unit_not_found",
            "Không tìm thấy đơn vị.",
            "Unit not found.",
        ));
    }
    if let (Some(own), Some(r)) = (own, root)
        && !tree.rows_below(&[own], 0).contains_key(&r)
    {
        return Err(AppError::forbidden());
    }
    let today = Utc::now().with_timezone(&tz).date_naive();
    let to = p.to.unwrap_or(today);
    let from = p
        .from
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
    if from > to {
        return Err(bad(
            "invalid_period",
            "Ngày bắt đầu kỳ báo cáo phải trước hoặc bằng ngày kết thúc.",
            "The period's start must not be after its end.",
        ));
    }
    let level = Ord::min(p.level.unwrap_or(1), 20);
    let below = match root {
        Some(r) => tree.rows_below(&[r], level),
        None => tree
            .rows_below(&tree.tops.clone(), level.saturating_sub(1))
            .into_iter()
            .map(|(k, (row, d))| (k, (row, d + 1)))
            .collect(),
    };
    // The whole installation at level 0 is one row (the nil id).
    let whole = root.is_none() && level == 0;
    let row_of: HashMap<Uuid, Uuid> = below
        .iter()
        .map(|(k, (row, _))| (*k, if whole { Uuid::nil() } else { *row }))
        .collect();
    let standing: HashSet<Uuid> = if whole {
        HashSet::from([Uuid::nil()])
    } else {
        below
            .iter()
            .filter(|(k, (row, d))| *k == row && (*d == level || tree.kids(**k).is_empty()))
            .map(|(k, _)| *k)
            .collect()
    };
    Ok(Scope {
        tree,
        root,
        level,
        from,
        to,
        row_of,
        standing,
    })
}

struct Person {
    user_id: Uuid,
    unit_id: Option<Uuid>,
    job_title: Option<String>,
    is_leader: bool,
    flags: Flags,
}

/// Everyone assigned in the period within the scope, classified.
async fn people(
    db: &DatabaseConnection,
    s: &Scope,
    by: Option<GroupBy>,
    tz: chrono_tz::Tz,
) -> Result<Vec<Person>, AppError> {
    let period_end = start_of(s.to.succ_opt().unwrap_or(s.to), tz);
    let backend = db.get_database_backend();
    let (e, c, u) = (Alias::new("e"), Alias::new("c"), Alias::new("u"));
    let mut q = Query::select()
        .expr_as(
            Expr::col((e.clone(), enrolment::Column::UserId)),
            Alias::new("user_id"),
        )
        .expr_as(
            Expr::col((e.clone(), enrolment::Column::UnitId)),
            Alias::new("unit_id"),
        )
        .expr_as(
            Expr::col((e.clone(), enrolment::Column::EnrolledAt)),
            Alias::new("enrolled_at"),
        )
        .expr_as(
            Expr::col((e.clone(), enrolment::Column::TookPartAt)),
            Alias::new("took_part_at"),
        )
        .expr_as(
            Expr::col((e.clone(), enrolment::Column::Eligible)),
            Alias::new("eligible"),
        )
        .expr_as(
            Expr::col((c.clone(), class::Column::StartsOn)),
            Alias::new("starts_on"),
        )
        .from_as(enrolment::Entity, e.clone())
        .join_as(
            JoinType::InnerJoin,
            class::Entity,
            c.clone(),
            Expr::col((c.clone(), class::Column::Id))
                .equals((e.clone(), enrolment::Column::ClassId)),
        )
        .and_where(Expr::col((c.clone(), class::Column::StartsOn)).lte(s.to))
        .and_where(Expr::col((c.clone(), class::Column::EndsOn)).gte(s.from))
        .to_owned();
    // Only what the grouping needs is read for everyone; names are read
    // later for the people listed.
    if let Some(by) = by {
        q.join_as(
            JoinType::InnerJoin,
            user::Entity,
            u.clone(),
            Expr::col((u.clone(), user::Column::Id)).equals((e.clone(), enrolment::Column::UserId)),
        );
        match by {
            GroupBy::JobTitle => {
                q.expr_as(
                    Expr::col((u.clone(), user::Column::JobTitle)),
                    Alias::new("job_title"),
                );
            }
            GroupBy::Leadership => {
                q.expr_as(
                    Expr::col((u.clone(), user::Column::IsLeader)),
                    Alias::new("is_leader"),
                );
            }
        }
    }
    // A subtree below the whole installation: let the database filter.
    if s.root.is_some() && s.row_of.len() <= 5000 {
        q.and_where(
            Expr::col((e.clone(), enrolment::Column::UnitId))
                .is_in(s.row_of.keys().copied().collect::<Vec<_>>()),
        );
    }
    let rows = db.query_all_raw(backend.build(&q)).await?;
    // The latest class per person decides where they count.
    let mut latest: HashMap<Uuid, (NaiveDate, DateTime<Utc>, Person, PersonFacts)> = HashMap::new();
    for r in rows {
        let user_id: Uuid = r.try_get("", "user_id")?;
        let unit_id: Option<Uuid> = r.try_get("", "unit_id")?;
        let in_scope = match unit_id {
            Some(u) => s.row_of.contains_key(&u),
            None => s.root.is_none(),
        };
        if !in_scope {
            continue;
        }
        let starts_on: NaiveDate = r.try_get("", "starts_on")?;
        let enrolled_at: DateTime<Utc> = r.try_get("", "enrolled_at")?;
        if let Some((d, t, _, _)) = latest.get(&user_id)
            && (*d, *t) >= (starts_on, enrolled_at)
        {
            continue;
        }
        let person = Person {
            user_id,
            unit_id,
            job_title: match by {
                Some(GroupBy::JobTitle) => r.try_get("", "job_title")?,
                _ => None,
            },
            is_leader: match by {
                Some(GroupBy::Leadership) => r.try_get("", "is_leader")?,
                _ => false,
            },
            flags: Flags::default(),
        };
        let facts = PersonFacts {
            class_start: Some(start_of(starts_on, tz)),
            took_part_at: r.try_get("", "took_part_at")?,
            eligible: r.try_get::<Option<bool>>("", "eligible")?.unwrap_or(false),
            attempts: Vec::new(),
            certificates: Vec::new(),
        };
        latest.insert(user_id, (starts_on, enrolled_at, person, facts));
    }
    if latest.is_empty() {
        return Ok(Vec::new());
    }
    let earliest = latest
        .values()
        .filter_map(|(_, _, _, f)| f.class_start)
        .min()
        .unwrap_or(period_end);
    let q = Query::select()
        .columns([
            attempt::Column::UserId,
            attempt::Column::StartedAt,
            attempt::Column::Passed,
        ])
        .from(attempt::Entity)
        .and_where(Expr::col(attempt::Column::StartedAt).gte(earliest))
        .and_where(Expr::col(attempt::Column::StartedAt).lt(period_end))
        .to_owned();
    for r in db.query_all_raw(backend.build(&q)).await? {
        let user_id: Uuid = r.try_get("", "user_id")?;
        if let Some((_, _, _, f)) = latest.get_mut(&user_id) {
            let passed: Option<bool> = r.try_get("", "passed")?;
            f.attempts
                .push((r.try_get("", "started_at")?, passed == Some(true)));
        }
    }
    let q = Query::select()
        .columns([certificate::Column::UserId, certificate::Column::IssuedAt])
        .from(certificate::Entity)
        .and_where(Expr::col(certificate::Column::RevokedAt).is_null())
        .and_where(Expr::col(certificate::Column::IssuedAt).gte(earliest))
        .and_where(Expr::col(certificate::Column::IssuedAt).lt(period_end))
        .to_owned();
    for r in db.query_all_raw(backend.build(&q)).await? {
        let user_id: Uuid = r.try_get("", "user_id")?;
        if let Some((_, _, _, f)) = latest.get_mut(&user_id) {
            f.certificates.push(r.try_get("", "issued_at")?);
        }
    }
    Ok(latest
        .into_values()
        .map(|(_, _, mut p, f)| {
            p.flags = classify(&f, period_end);
            p
        })
        .collect())
}

fn group_of(p: &Person, by: Option<GroupBy>) -> Option<String> {
    match by? {
        GroupBy::Leadership => Some(if p.is_leader { "leader" } else { "not_leader" }.into()),
        GroupBy::JobTitle => Some(
            p.job_title
                .clone()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .unwrap_or_default(),
        ),
    }
}

/// The unit report.
pub async fn unit_report(
    db: &DatabaseConnection,
    actor: &UserRecord,
    p: &Params,
    tz: chrono_tz::Tz,
    lang: Lang,
) -> Result<Report, AppError> {
    let s = scope(db, actor, p, tz).await?;
    let people = people(db, &s, p.by, tz).await?;
    let mut counts: HashMap<(Option<Uuid>, Option<String>), Counts> = HashMap::new();
    // Every row unit appears, even with nobody assigned (without `by`).
    if p.by.is_none() {
        for row in &s.standing {
            counts.entry((Some(*row), None)).or_default();
        }
    }
    let mut totals = Counts::default();
    for person in &people {
        let row = person.unit_id.and_then(|u| s.row_of.get(&u).copied());
        counts
            .entry((row, group_of(person, p.by)))
            .or_default()
            .add(person.flags);
        totals.add(person.flags);
    }
    let whole = lang.pick("Toàn bộ", "All units");
    let no_unit = lang.pick("Chưa xếp đơn vị", "No unit");
    let mut rows: Vec<Row> = counts
        .into_iter()
        .map(|((unit_id, group), c)| {
            let unit_id = unit_id.filter(|u| !u.is_nil());
            let label = unit_id.and_then(|u| s.tree.label(u));
            let is_nil_row = s.root.is_none() && s.level == 0;
            Row {
                unit_name: match (&label, is_nil_row) {
                    (_, true) => whole.to_string(),
                    (Some(l), _) => l.name.clone(),
                    (None, _) => no_unit.to_string(),
                },
                unit_code: label.as_ref().and_then(|l| l.code.clone()),
                has_children: unit_id.is_some_and(|u| !s.tree.kids(u).is_empty()),
                unit_id: if is_nil_row { None } else { unit_id },
                group,
                took_part: c.took_part(),
                eligible: c.eligible(),
                counts: c,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (
            a.unit_code.as_deref().unwrap_or("~"),
            &a.unit_name,
            &a.group,
        )
            .cmp(&(
                b.unit_code.as_deref().unwrap_or("~"),
                &b.unit_name,
                &b.group,
            ))
    });
    Ok(Report {
        root: s.root.and_then(|r| s.tree.label(r)),
        level: s.level,
        from: s.from,
        to: s.to,
        rows,
        totals,
        generated_at: Utc::now(),
    })
}

/// The people behind one number: everyone in `unit`'s subtree (or the whole
/// scope) for whom `metric` holds, by name.
pub async fn people_behind(
    db: &DatabaseConnection,
    actor: &UserRecord,
    p: &Params,
    metric: Metric,
    tz: chrono_tz::Tz,
) -> Result<Vec<PersonRow>, AppError> {
    // The unit asked for becomes the root: access is checked the same way.
    let s = scope(
        db,
        actor,
        &Params {
            level: Some(0),
            ..p.clone()
        },
        tz,
    )
    .await?;
    let chosen: Vec<Person> = people(db, &s, None, tz)
        .await?
        .into_iter()
        .filter(|person| metric.holds(&person.flags))
        .collect();
    let ids: Vec<Uuid> = chosen.iter().map(|p| p.user_id).collect();
    let mut users: HashMap<Uuid, crate::entities::user::Model> = HashMap::new();
    for chunk in ids.chunks(1000) {
        for u in crate::store::users::by_ids(db, chunk).await? {
            users.insert(u.id, u);
        }
    }
    let mut out: Vec<PersonRow> = chosen
        .into_iter()
        .map(|person| {
            let u = users.get(&person.user_id);
            PersonRow {
                unit_name: person
                    .unit_id
                    .and_then(|u| s.tree.units.get(&u))
                    .map(|u| u.name.clone()),
                user_id: person.user_id,
                full_name: u.map(|u| u.full_name.clone()).unwrap_or_default(),
                unit_id: person.unit_id,
                job_title: u.and_then(|u| u.job_title.clone()),
                is_leader: u.is_some_and(|u| u.is_leader),
                took_part: person.flags.took_part,
                eligible: person.flags.eligible,
                sat_exam: person.flags.sat_exam,
                passed: person.flags.passed,
                certified: person.flags.certified,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        crate::domain::unit_path::fold_diacritics(&a.full_name)
            .cmp(&crate::domain::unit_path::fold_diacritics(&b.full_name))
    });
    Ok(out)
}

/// Sorts rows by a column (`unit_name` by default), ascending or descending.
pub fn sort_rows(rows: &mut [Row], key: &str, desc: bool) {
    let num = |r: &Row| -> f64 {
        match key {
            "assigned" => r.counts.assigned as f64,
            "not_participating" => r.counts.not_participating as f64,
            "not_eligible" => r.counts.not_eligible as f64,
            "sat_exam" => r.counts.sat_exam as f64,
            "passed" => r.counts.passed as f64,
            "certified" => r.counts.certified as f64,
            "certification_rate" => r.counts.certification_rate.unwrap_or(-1.0),
            _ => 0.0,
        }
    };
    if matches!(key, "unit_name" | "") {
        rows.sort_by(|a, b| {
            crate::domain::unit_path::fold_diacritics(&a.unit_name)
                .cmp(&crate::domain::unit_path::fold_diacritics(&b.unit_name))
        });
    } else if key != "code" {
        rows.sort_by(|a, b| num(a).total_cmp(&num(b)));
    }
    if desc {
        rows.reverse();
    }
}

/// The report as a table (headers, rows) for CSV/XLSX.
pub fn table(r: &Report, lang: Lang, by: Option<GroupBy>) -> (Vec<String>, Vec<Vec<String>>) {
    let mut headers: Vec<&str> = match lang {
        Lang::Vi => vec!["Mã đơn vị", "Đơn vị"],
        Lang::En => vec!["Unit code", "Unit"],
    };
    if by.is_some() {
        headers.push(match (lang, by) {
            (Lang::Vi, Some(GroupBy::Leadership)) => "Lãnh đạo",
            (Lang::Vi, _) => "Chức danh",
            (Lang::En, Some(GroupBy::Leadership)) => "Leadership",
            (Lang::En, _) => "Job title",
        });
    }
    headers.extend(match lang {
        Lang::Vi => [
            "Được cử đi học",
            "Không tham gia học",
            "Không đủ điều kiện dự thi",
            "Dự thi",
            "Đạt",
            "Được cấp chứng chỉ",
            "Tỷ lệ được cấp chứng chỉ (%)",
        ],
        Lang::En => [
            "Assigned",
            "Did not take part",
            "Not eligible",
            "Sat the exam",
            "Passed",
            "Certified",
            "Certification rate (%)",
        ],
    });
    let group_label = |g: &Option<String>| -> String {
        match g.as_deref() {
            Some("leader") if by == Some(GroupBy::Leadership) => {
                lang.pick("Lãnh đạo", "Leaders").into()
            }
            Some("not_leader") if by == Some(GroupBy::Leadership) => lang
                .pick("Không giữ chức vụ lãnh đạo", "Not leaders")
                .into(),
            Some("") => lang.pick("(không ghi)", "(none)").into(),
            Some(g) => g.to_string(),
            None => String::new(),
        }
    };
    let line = |code: String, name: String, group: Option<String>, c: &Counts| {
        let mut v = vec![code, name];
        if by.is_some() {
            v.push(group_label(&group));
        }
        v.extend([
            c.assigned.to_string(),
            c.not_participating.to_string(),
            c.not_eligible.to_string(),
            c.sat_exam.to_string(),
            c.passed.to_string(),
            c.certified.to_string(),
            c.certification_rate
                .map(|x| format!("{:.1}", x * 100.0))
                .unwrap_or_default(),
        ]);
        v
    };
    let mut rows: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|row| {
            line(
                row.unit_code.clone().unwrap_or_default(),
                row.unit_name.clone(),
                row.group.clone(),
                &row.counts,
            )
        })
        .collect();
    rows.push(line(
        String::new(),
        lang.pick("Tổng cộng", "Total").into(),
        by.map(|_| String::new()),
        &r.totals,
    ));
    (headers.into_iter().map(String::from).collect(), rows)
}
