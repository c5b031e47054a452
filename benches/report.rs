//! The unit report at national scale: fills a fresh database with the 34
//! provinces and 3,321 communes of the 2025 unit list and 100,000 learners
//! (classes, enrolments with their outcomes, attempts, certificates), then
//! times the report.
//!
//! `cargo bench --bench report` uses SQLite in a temporary directory;
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench report`
//! creates (and drops) a database on that server. `BENCH_LEARNERS` changes
//! the number of learners (default 100000).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use ictskills::configuration::{Secret, Settings};
use ictskills::domain::report::Metric;
use ictskills::domain::role::Role;
use ictskills::entities::{attempt, certificate, class, enrolment, exam_session, unit, user};
use ictskills::services::reports::{self, Params};
use ictskills::store::users::UserRecord;
use sea_orm::{ConnectionTrait, Database, EntityTrait, Set, TransactionTrait};
use uuid::Uuid;

fn time<T>(label: &str, runs: usize, mut f: impl FnMut() -> T) -> T {
    let mut best = Duration::MAX;
    let mut total = Duration::ZERO;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f());
        let d = t.elapsed();
        best = best.min(d);
        total += d;
    }
    println!(
        "{label:<58} mean {:>8.1} ms   best {:>8.1} ms",
        total.as_secs_f64() * 1000.0 / runs as f64,
        best.as_secs_f64() * 1000.0
    );
    last.unwrap()
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("BENCH_LEARNERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::load(&dir.path().join("no-config")).unwrap();
    settings.data_dir = dir.path().join("data");
    settings.database.url = None;
    settings.database.max_connections = 4;
    let mut pg: Option<(String, String)> = None;
    if let Ok(url) = std::env::var("BENCH_DATABASE_URL")
        && !url.is_empty()
    {
        let name = format!("ictskills_bench_{}", Uuid::new_v4().simple());
        let admin = Database::connect(&url).await.unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap();
        admin.close().await.unwrap();
        let (base, _) = url.rsplit_once('/').unwrap();
        settings.database.url = Some(Secret::new(format!("{base}/{name}")));
        pg = Some((url, name));
    }
    let backend = if pg.is_some() { "PostgreSQL" } else { "SQLite" };
    println!("unit report benchmark on {backend}, {n} learners");
    let db = ictskills::db::connect(&settings).await.unwrap();
    ictskills::db::migrate(&db).await.unwrap();
    let t = Instant::now();
    ictskills::seed::on_first_start(&db).await.unwrap();
    let units = unit::Entity::find().all(&db).await.unwrap();
    let provinces: Vec<&unit::Model> = units.iter().filter(|u| u.parent_id.is_none()).collect();
    let communes: Vec<&unit::Model> = units.iter().filter(|u| u.parent_id.is_some()).collect();
    println!(
        "loaded {} provinces, {} communes in {:.1} s",
        provinces.len(),
        communes.len(),
        t.elapsed().as_secs_f64()
    );
    let course = ictskills::store::courses::all(&db).await.unwrap()[0].id;
    let bp = ictskills::entities::blueprint::Entity::find()
        .all(&db)
        .await
        .unwrap()[0]
        .id;

    // One class per province, one exam session.
    let now = Utc::now();
    let start = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    let end = NaiveDate::from_ymd_opt(2026, 10, 30).unwrap();
    let mut class_of_province = std::collections::HashMap::new();
    for p in &provinces {
        let id = Uuid::now_v7();
        class::Entity::insert(class::ActiveModel {
            id: Set(id),
            name: Set(format!("Lớp {}", p.name)),
            course_id: Set(course),
            unit_id: Set(Some(p.id)),
            starts_on: Set(start),
            ends_on: Set(end),
            rule: Set(r#"{"all_modules_complete":true}"#.into()),
            created_by: Set(None),
            created_at: Set(now),
        })
        .exec_without_returning(&db)
        .await
        .unwrap();
        class_of_province.insert(p.id, id);
    }
    let session = Uuid::now_v7();
    exam_session::Entity::insert(exam_session::ActiveModel {
        id: Set(session),
        title: Set("Ca thi toàn quốc".into()),
        blueprint_id: Set(bp),
        course_id: Set(None),
        opens_at: Set(now),
        closes_at: Set(now),
        access_code: Set(None),
        ip_allow: Set("[]".into()),
        attempts_allowed: Set(1),
        review: Set("{}".into()),
        issue_mode: Set("on_grading".into()),
        registration: Set("open".into()),
        created_by: Set(None),
        created_at: Set(now),
        approved_at: Set(None),
        approved_by: Set(None),
        ..Default::default()
    })
    .exec_without_returning(&db)
    .await
    .unwrap();

    // Learners: spread over every commune; 85% take part, 70% become
    // eligible, 55% sit, 50% pass, 49% hold a valid certificate, 1% revoked.
    let t = Instant::now();
    let day = |d: u32| {
        chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(2026, 3, 1 + d % 27, 9, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    };
    let chunk = 500;
    for c0 in (0..n).step_by(chunk) {
        let txn = db.begin().await.unwrap();
        let (mut us, mut es, mut ats, mut cs) = (vec![], vec![], vec![], vec![]);
        for i in c0..(c0 + chunk).min(n) {
            let commune = communes[i % communes.len()];
            let class = class_of_province[&commune.parent_id.unwrap()];
            let uid = Uuid::now_v7();
            us.push(user::ActiveModel {
                id: Set(uid),
                email: Set(format!("hv{i}@bench.vn")),
                full_name: Set(format!("Học Viên {i}")),
                password_hash: Set(None),
                date_of_birth: Set(NaiveDate::from_ymd_opt(1980, 1, 1 + (i % 28) as u32)),
                place_of_birth: Set(Some("Hà Nội".into())),
                sex: Set(Some(if i % 2 == 0 { "male" } else { "female" }.into())),
                national_id: Set(None),
                phone: Set(None),
                unit_id: Set(Some(commune.id)),
                job_title: Set(Some(
                    [
                        "Văn phòng - thống kê",
                        "Tư pháp - hộ tịch",
                        "Chủ tịch UBND",
                        "Tài chính - kế toán",
                    ][i % 4]
                        .into(),
                )),
                is_leader: Set(i % 4 == 2),
                is_active: Set(true),
                session_version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            });
            let pct = i % 100;
            es.push(enrolment::ActiveModel {
                class_id: Set(class),
                user_id: Set(uid),
                unit_id: Set(Some(commune.id)),
                enrolled_at: Set(now),
                took_part_at: Set((pct < 85).then(|| day(i as u32))),
                eligible: Set(Some(pct < 70)),
                evaluated_at: Set(Some(now)),
            });
            if pct < 55 {
                let aid = Uuid::now_v7();
                let passed = pct < 50;
                ats.push(attempt::ActiveModel {
                    id: Set(aid),
                    session_id: Set(session),
                    user_id: Set(uid),
                    number: Set(1),
                    state: Set("graded".into()),
                    seed: Set(i as i64),
                    started_at: Set(day(i as u32 + 30)),
                    deadline: Set(day(i as u32 + 30)),
                    finished_at: Set(Some(day(i as u32 + 30))),
                    score: Set(Some(if passed { 8.0 } else { 3.0 })),
                    correct: Set(Some(if passed { 24 } else { 9 })),
                    total: Set(30),
                    passed: Set(Some(passed)),
                    ip: Set(None),
                    user_agent: Set(None),
                });
                if pct < 50 {
                    let revoked = pct == 49;
                    cs.push(certificate::ActiveModel {
                        id: Set(Uuid::now_v7()),
                        code: Set(format!("B{i:011}")),
                        serial: Set(format!("TT-2026-{i:06}")),
                        year: Set(2026),
                        register_number: Set(i as i32 + 1),
                        level: Set("basic".into()),
                        user_id: Set(uid),
                        attempt_id: Set(aid),
                        session_id: Set(session),
                        holder_full_name: Set(format!("Học Viên {i}")),
                        holder_date_of_birth: Set(None),
                        holder_place_of_birth: Set(None),
                        holder_sex: Set(None),
                        session_title: Set("Ca thi toàn quốc".into()),
                        exam_date: Set(NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()),
                        score: Set(8.0),
                        max_score: Set(10.0),
                        centre_code: Set("TT".into()),
                        centre_name: Set("Trung tâm".into()),
                        centre_address: Set(String::new()),
                        signer_name: Set(String::new()),
                        signer_title: Set(String::new()),
                        issued_on: Set(NaiveDate::from_ymd_opt(2026, 4, 2).unwrap()),
                        issued_at: Set(day(i as u32 + 31)),
                        issued_by: Set(None),
                        status_list: Set(1),
                        status_index: Set(i as i32),
                        credential: Set(String::new()),
                        revoked_at: Set(revoked.then_some(now)),
                        revoked_on: Set(None),
                        revocation_reason: Set(revoked.then(|| "fraud".into())),
                        revocation_note: Set(None),
                        revoked_by: Set(None),
                    });
                }
            }
        }
        user::Entity::insert_many(us)
            .exec_without_returning(&txn)
            .await
            .unwrap();
        enrolment::Entity::insert_many(es)
            .exec_without_returning(&txn)
            .await
            .unwrap();
        if !ats.is_empty() {
            attempt::Entity::insert_many(ats)
                .exec_without_returning(&txn)
                .await
                .unwrap();
        }
        if !cs.is_empty() {
            certificate::Entity::insert_many(cs)
                .exec_without_returning(&txn)
                .await
                .unwrap();
        }
        txn.commit().await.unwrap();
    }
    println!(
        "generated {n} learners in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let admin = UserRecord {
        user: user::Entity::find().one(&db).await.unwrap().unwrap(),
        roles: vec![Role::Admin],
    };
    let tz = chrono_tz::Asia::Ho_Chi_Minh;
    let lang = ictskills::i18n::Lang::Vi;
    let period = |root, level, by| Params {
        root,
        level: Some(level),
        from: NaiveDate::from_ymd_opt(2026, 1, 1),
        to: NaiveDate::from_ymd_opt(2026, 12, 31),
        by,
    };
    let biggest = provinces
        .iter()
        .max_by_key(|p| {
            communes
                .iter()
                .filter(|c| c.parent_id == Some(p.id))
                .count()
        })
        .unwrap();
    let rt = tokio::runtime::Handle::current();
    let run = |p: Params| {
        tokio::task::block_in_place(|| {
            rt.block_on(reports::unit_report(&db, &admin, &p, tz, lang))
                .unwrap()
        })
    };
    let r = time("whole country by province (34 rows)", 5, || {
        run(period(None, 1, None))
    });
    println!(
        "  totals: assigned {}, not taking part {}, not eligible {}, sat {}, passed {}, certified {}",
        r.totals.assigned,
        r.totals.not_participating,
        r.totals.not_eligible,
        r.totals.sat_exam,
        r.totals.passed,
        r.totals.certified
    );
    assert_eq!(r.totals.assigned, n as u64);
    time("whole country by commune (3,321 rows)", 5, || {
        run(period(None, 2, None))
    });
    let label = format!("{} by commune", biggest.name);
    time(&label, 5, || run(period(Some(biggest.id), 1, None)));
    time("whole country by province and leadership", 5, || {
        run(period(None, 1, Some(reports::GroupBy::Leadership)))
    });
    let commune = communes[0].id;
    time("people behind one commune's 'not eligible'", 5, || {
        tokio::task::block_in_place(|| {
            rt.block_on(reports::people_behind(
                &db,
                &admin,
                &period(Some(commune), 0, None),
                Metric::NotEligible,
                tz,
            ))
            .unwrap()
        })
    });
    db.close().await.unwrap();
    if let Some((url, name)) = pg {
        let admin = Database::connect(&url).await.unwrap();
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await
            .unwrap();
    }
}
