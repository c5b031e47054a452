//! Exam day in small: the load tool plays 200 candidates against the real
//! server (and against two instances on one database) and checks that every
//! acknowledged save is stored and every attempt graded once with the score
//! it expects. A correctness check only: nothing here asserts a timing.
use std::time::Duration;

use ictskills::configuration::Secret;

use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with};

fn config(
    urls: Vec<String>,
    seeded: &ictskills::services::loadtest::Seeded,
) -> ictskills_load::Config {
    ictskills_load::Config {
        urls,
        session: seeded.session_id,
        admin_email: seeded.admin_email.clone(),
        email_prefix: seeded.email_prefix.clone(),
        password: PASSWORD.into(),
        count: seeded.count,
        checkin: Duration::from_secs(2),
        login_concurrency: 4,
        ramp: Duration::from_secs(1),
        think_ms: (0, 20),
        change_percent: 10,
        reload_percent: 5,
        right_percent: 70,
        concurrency: 64,
        scoring: "all_or_nothing".into(),
        server_pids: Vec::new(),
    }
}

async fn seeded(app: &TestApp, n: usize) -> ictskills::services::loadtest::Seeded {
    ictskills::seed::on_first_start(&app.state.db)
        .await
        .unwrap();
    ictskills::services::loadtest::seed(&app.state.db, &app.state.settings, n, PASSWORD, 60, None)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_small_exam_day_is_fully_accounted_for() {
    let app = spawn_app().await;
    let s = seeded(&app, 200).await;
    let report = ictskills_load::run(config(vec![app.address.clone()], &s))
        .await
        .unwrap();
    let summary = ictskills_load::summary(&report);
    assert!(report.ok(), "{summary}");
    assert_eq!(report.kinds["login"].count, 200, "{summary}");
    assert_eq!(report.kinds["start"].count, 200, "{summary}");
    assert_eq!(report.kinds["submit"].count, 200, "{summary}");
    assert!(report.kinds["save"].count >= 200 * 30, "{summary}");
    assert!(report.kinds.contains_key("reload"), "{summary}");
    assert_eq!(app.count("attempts").await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_database_share_the_exam_day() {
    let first = spawn_app().await;
    let s = seeded(&first, 120).await;
    let (url, dir) = (first.database_url.clone(), first.data_dir.clone());
    let second = spawn_app_with(move |settings| match url {
        Some(u) => settings.database.url = Some(Secret::new(u)),
        None => settings.data_dir = dir,
    })
    .await;
    let report = ictskills_load::run(config(
        vec![first.address.clone(), second.address.clone()],
        &s,
    ))
    .await
    .unwrap();
    let summary = ictskills_load::summary(&report);
    assert!(report.ok(), "{summary}");
    assert_eq!(report.kinds["start"].count, 120, "{summary}");
    // Both sweepers ran over the same attempts: still graded once each.
    let n = ictskills::services::exams::sweep(&second.state.db, chrono::Duration::zero())
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing left for a second sweeper");
    assert_eq!(first.count("attempts").await, 120);
}
