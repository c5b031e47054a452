use chrono::Datelike;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::helpers::{TestApp, json as body, spawn_app};

struct Setup {
    app: TestApp,
    admin: String,
    learner: String,
    learner_id: String,
    course: Value,
    class_id: String,
}

async fn setup(rule: Value) -> Setup {
    let app = spawn_app().await;
    ictskills::seed::course_on_first_start(&app.state.db)
        .await
        .unwrap();
    let admin = app.admin_token().await;
    let learner_id = app
        .create_user("hv@example.vn", &["learner"])
        .await
        .to_string();
    let learner = app.token("hv@example.vn").await;
    let courses = body(app.get("/api/v1/courses", &admin).await).await;
    let course = courses["items"][0].clone();
    let r = app
        .post_json(
            "/api/v1/classes",
            &admin,
            &json!({"name": "Lớp CNTT cơ bản K1", "course_id": course["id"], "starts_on": "2026-01-01", "ends_on": "2027-12-31", "rule": rule}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let class_id = body(r).await["id"].as_str().unwrap().to_string();
    Setup {
        app,
        admin,
        learner,
        learner_id,
        course,
        class_id,
    }
}

fn lessons(course: &Value) -> Vec<String> {
    course["modules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| {
            m["lessons"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["id"].as_str().unwrap().to_string())
        })
        .collect()
}

/// Moves the start of a learner's study of a lesson into the past.
async fn backdate(app: &TestApp, user: &str, lesson: &str, seconds: i64) {
    use ictskills::entities::lesson_progress::{Column, Entity};
    Entity::update_many()
        .col_expr(
            Column::OpenedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(seconds)),
        )
        .filter(Column::UserId.eq(uuid::Uuid::parse_str(user).unwrap()))
        .filter(Column::LessonId.eq(uuid::Uuid::parse_str(lesson).unwrap()))
        .exec(&app.state.db)
        .await
        .unwrap();
}

async fn class_call(s: &Setup, what: &str, b: Value) -> reqwest::Response {
    s.app
        .post_json(
            &format!("/api/v1/classes/{}/{what}", s.class_id),
            &s.admin,
            &b,
        )
        .await
}

async fn post(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.api
        .post(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_shipped_course_lists_six_modules_in_order() {
    let s = setup(json!({"all_modules_complete": true})).await;
    let codes: Vec<&str> = s.course["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["IU01", "IU02", "IU03", "IU04", "IU05", "IU06"]);
    assert!(
        s.course["modules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["lessons"].as_array().unwrap().len() >= 4)
    );
}

#[tokio::test]
async fn a_learner_outside_the_course_is_refused_and_unknown_lessons_are_404() {
    let s = setup(json!({"all_modules_complete": true})).await;
    let lesson = lessons(&s.course)[0].clone();
    assert_eq!(
        body(s.app.get("/api/v1/courses", &s.learner).await).await["items"],
        json!([])
    );
    assert_eq!(
        s.app
            .get(&format!("/api/v1/lessons/{lesson}"), &s.learner)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(
            &s.app,
            &format!("/api/v1/lessons/{lesson}/complete"),
            &s.learner
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    let missing = uuid::Uuid::new_v4();
    assert_eq!(
        s.app
            .get(&format!("/api/v1/lessons/{missing}"), &s.learner)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let me = body(s.app.get("/api/v1/me/progress", &s.learner).await).await;
    assert_eq!(me["eligible"], false);
    assert!(!me["missing"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_lesson_completes_only_after_its_minimum_time_and_only_once() {
    let s = setup(json!({"all_modules_complete": true})).await;
    let r = s
        .app
        .post_json(
            &format!("/api/v1/classes/{}/enrolments", s.class_id),
            &s.admin,
            &json!({"user_ids": [s.learner_id]}),
        )
        .await;
    assert_eq!(body(r).await, json!({"enrolled": 1, "already": 0}));
    let r = s
        .app
        .post_json(
            &format!("/api/v1/classes/{}/enrolments", s.class_id),
            &s.admin,
            &json!({"user_ids": [s.learner_id]}),
        )
        .await;
    assert_eq!(body(r).await, json!({"enrolled": 0, "already": 1}));
    let lesson = lessons(&s.course)[0].clone();
    let view = body(
        s.app
            .get(&format!("/api/v1/lessons/{lesson}"), &s.learner)
            .await,
    )
    .await;
    assert!(view["html"].as_str().unwrap().contains("<h2>"));
    let opened = body(
        post(
            &s.app,
            &format!("/api/v1/lessons/{lesson}/open"),
            &s.learner,
        )
        .await,
    )
    .await;
    assert!(opened["seconds_left"].as_i64().unwrap() > 0);
    let early = post(
        &s.app,
        &format!("/api/v1/lessons/{lesson}/complete"),
        &s.learner,
    )
    .await;
    assert_eq!(early.status(), StatusCode::CONFLICT);
    let early = body(early).await;
    assert_eq!(early["error"], "too_early");
    assert!(early["seconds_left"].as_i64().unwrap() > 0);
    assert!(early["message"].as_str().unwrap().contains("phút"));
    // Opening again does not restart the clock, nor move it forward.
    backdate(&s.app, &s.learner_id, &lesson, 3600).await;
    post(
        &s.app,
        &format!("/api/v1/lessons/{lesson}/open"),
        &s.learner,
    )
    .await;
    let done = post(
        &s.app,
        &format!("/api/v1/lessons/{lesson}/complete"),
        &s.learner,
    )
    .await;
    assert_eq!(done.status(), StatusCode::OK);
    let first = body(done).await["completed_at"].clone();
    let again = body(
        post(
            &s.app,
            &format!("/api/v1/lessons/{lesson}/complete"),
            &s.learner,
        )
        .await,
    )
    .await;
    assert_eq!(
        again["completed_at"], first,
        "a second complete changes nothing"
    );
    let me = body(s.app.get("/api/v1/me/progress", &s.learner).await).await;
    assert_eq!(me["modules"][0]["lessons_completed"], 1);
    assert_eq!(me["eligible"], false);
    assert_eq!(me["missing"].as_array().unwrap().len(), 6);
}

#[tokio::test]
async fn eligibility_turns_true_when_the_rule_holds_and_explains_what_is_missing() {
    let s = setup(json!({"all_modules_complete": true, "min_attendance_percent": 80})).await;
    s.app
        .post_json(
            &format!("/api/v1/classes/{}/enrolments", s.class_id),
            &s.admin,
            &json!({"user_ids": [s.learner_id]}),
        )
        .await;
    for l in lessons(&s.course) {
        post(&s.app, &format!("/api/v1/lessons/{l}/open"), &s.learner).await;
        backdate(&s.app, &s.learner_id, &l, 3600).await;
        assert_eq!(
            post(&s.app, &format!("/api/v1/lessons/{l}/complete"), &s.learner)
                .await
                .status(),
            StatusCode::OK
        );
    }
    let me = body(s.app.get("/api/v1/me/progress", &s.learner).await).await;
    assert_eq!(me["eligible"], true, "{me}");
    assert!(
        me["modules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["completed"] == true)
    );
    // Two class days, present at one: 50% < 80%.
    let att = |day: &'static str, present: Value| {
        class_call(
            &s,
            "attendance",
            json!({"date": day, "present_user_ids": present}),
        )
    };
    assert_eq!(
        att("2026-03-02", json!([s.learner_id])).await.status(),
        StatusCode::OK
    );
    assert_eq!(att("2026-03-03", json!([])).await.status(), StatusCode::OK);
    assert_eq!(
        att("2025-03-03", json!([])).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "outside the class"
    );
    let me = body(s.app.get("/api/v1/me/progress", &s.learner).await).await;
    assert_eq!(
        (me["eligible"].as_bool(), me["attendance"].as_f64()),
        (Some(false), Some(50.0))
    );
    assert!(me["missing"][0].as_str().unwrap().contains("80%"));
    // An exception needs a reason and an enrolled learner.
    let ex = |b: Value| class_call(&s, "exceptions", b);
    assert_eq!(
        ex(json!({"user_id": s.learner_id, "reason": " "}))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let stranger = s.app.create_user("x@example.vn", &["learner"]).await;
    assert_eq!(
        ex(json!({"user_id": stranger, "reason": "Ốm dài ngày"}))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        ex(json!({"user_id": s.learner_id, "reason": "Đi công tác, đã học bù"}))
            .await
            .status(),
        StatusCode::CREATED
    );
    let board = body(
        s.app
            .get(
                &format!("/api/v1/classes/{}/progress", s.class_id),
                &s.admin,
            )
            .await,
    )
    .await;
    let row = &board["items"][0];
    assert_eq!(
        (row["eligible"].as_bool(), row["exception"].as_str()),
        (Some(true), Some("Đi công tác, đã học bù"))
    );
}

#[tokio::test]
async fn only_the_class_trainers_and_admins_manage_a_class() {
    let s = setup(json!({"min_modules_complete": 5})).await;
    let other = s.app.token_for("gv2@example.vn", &["trainer"]).await;
    let path = format!("/api/v1/classes/{}/progress", s.class_id);
    assert_eq!(
        s.app.get(&path, &other).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.app.get(&path, &s.learner).await.status(),
        StatusCode::FORBIDDEN
    );
    let r = s
        .app
        .post_json(
            &format!("/api/v1/classes/{}/enrolments", s.class_id),
            &other,
            &json!({"user_ids": [s.learner_id]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A class of its own: the assigned trainer may.
    let trainer_id = s.app.create_user("gv@example.vn", &["trainer"]).await;
    let trainer = s.app.token("gv@example.vn").await;
    let c = body(
        s.app
            .post_json(
                "/api/v1/classes",
                &s.admin,
                &json!({"name": "Lớp 2", "course_id": s.course["id"], "starts_on": "2026-01-01", "ends_on": "2026-12-31",
                        "rule": {"min_modules_complete": 5}, "trainer_ids": [trainer_id]}),
            )
            .await,
    )
    .await;
    let r = s
        .app
        .post_json(
            &format!("/api/v1/classes/{}/enrolments", c["id"].as_str().unwrap()),
            &trainer,
            &json!({"user_ids": [s.learner_id]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        s.app
            .get(
                &format!("/api/v1/classes/{}/progress", c["id"].as_str().unwrap()),
                &trainer
            )
            .await
            .status(),
        StatusCode::OK
    );
    // Enrolling someone who is not a learner is refused.
    let r = s
        .app
        .post_json(
            &format!("/api/v1/classes/{}/enrolments", c["id"].as_str().unwrap()),
            &trainer,
            &json!({"user_ids": [trainer_id]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn bad_classes_are_refused() {
    let s = setup(json!({})).await;
    for bad in [
        json!({"name": "X", "course_id": s.course["id"], "starts_on": "2026-05-01", "ends_on": "2026-04-01", "rule": {}}),
        json!({"name": "X", "course_id": s.course["id"], "starts_on": "2026-05-01", "ends_on": "2026-06-01", "rule": {"min_modules_complete": 7}}),
        json!({"name": "X", "course_id": uuid::Uuid::new_v4(), "starts_on": "2026-05-01", "ends_on": "2026-06-01", "rule": {}}),
        json!({"name": " ", "course_id": s.course["id"], "starts_on": "2026-05-01", "ends_on": "2026-06-01", "rule": {}}),
    ] {
        assert_eq!(
            s.app
                .post_json("/api/v1/classes", &s.admin, &bad)
                .await
                .status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}"
        );
    }
    let learner_tries = s.app.post_json("/api/v1/classes", &s.learner, &json!({"name": "X", "course_id": s.course["id"], "starts_on": "2026-05-01", "ends_on": "2026-06-01", "rule": {}})).await;
    assert_eq!(learner_tries.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn lesson_markdown_is_rendered_harmless() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("IU01")).unwrap();
    std::fs::write(
        dir.path().join("course.toml"),
        "code = \"T\"\ntitle = \"Thử\"\n[[modules]]\ncode = \"IU01\"\ntitle = \"M\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("IU01/01-x.md"),
        "+++\ntitle = \"Bài\"\nmin_seconds = 60\n+++\n\n**Đậm** <script>alert(1)</script> [bấm](javascript:alert(1)) <img src=x onerror=alert(1)>\n",
    )
    .unwrap();
    let out = crate::cli::cli(&app)
        .arg("import-course")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let admin = app.admin_token().await;
    let courses = body(app.get("/api/v1/courses", &admin).await).await;
    let lesson = courses["items"][0]["modules"][0]["lessons"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let html = body(app.get(&format!("/api/v1/lessons/{lesson}"), &admin).await).await["html"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(html.contains("<strong>Đậm</strong>"));
    assert!(
        !html.contains("<script") && !html.contains("javascript:") && !html.contains("onerror"),
        "{html}"
    );
    // A broken lesson names its file and line; nothing is written.
    std::fs::write(
        dir.path().join("IU01/02-y.md"),
        "+++\ntitle = \"B\"\nmin_seconds = \"x\"\n+++\nText\n",
    )
    .unwrap();
    let out = crate::cli::cli(&app)
        .arg("import-course")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("02-y.md:3:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_learner_studies_on_the_web_and_sees_what_is_missing() {
    let s = setup(json!({"all_modules_complete": true})).await;
    s.app
        .post_json(
            &format!("/api/v1/classes/{}/enrolments", s.class_id),
            &s.admin,
            &json!({"user_ids": [s.learner_id]}),
        )
        .await;
    s.app
        .web_login("hv@example.vn", crate::helpers::PASSWORD)
        .await;
    let home = s
        .app
        .browser
        .get(s.app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("Lớp CNTT cơ bản K1"));
    assert!(home.contains("Chưa hoàn thành mô-đun IU01"));
    let first = lessons(&s.course)[0].clone();
    assert!(
        home.contains(&format!("/lessons/{first}")),
        "the next lesson is offered"
    );
    let page = s
        .app
        .browser
        .get(s.app.url(&format!("/lessons/{first}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Thời gian học tối thiểu còn lại"));
    let csrf = crate::helpers::csrf_in(&html).unwrap();
    let r = s
        .app
        .browser
        .post(s.app.url(&format!("/lessons/{first}/complete")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = s
        .app
        .browser
        .get(s.app.url(&format!("/lessons/{first}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Chưa đủ thời gian học tối thiểu"),
        "the refusal says how long is left"
    );
    backdate(&s.app, &s.learner_id, &first, 3600).await;
    s.app
        .browser
        .post(s.app.url(&format!("/lessons/{first}/complete")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let html = s
        .app
        .browser
        .get(s.app.url(&format!("/lessons/{first}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Bạn đã hoàn thành bài học này."));
    let outline = s
        .app
        .browser
        .get(
            s.app
                .url(&format!("/courses/{}", s.course["id"].as_str().unwrap())),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(outline.status(), StatusCode::OK);
    assert!(outline.text().await.unwrap().contains("Đã xong"));
}

#[tokio::test]
async fn a_trainer_runs_the_class_board_on_the_web() {
    let s = setup(json!({"all_modules_complete": true, "min_attendance_percent": 50})).await;
    let trainer_id = s.app.create_user("gv@example.vn", &["trainer"]).await;
    // The admin opens a class on the web with the trainer.
    s.app
        .web_login("admin@example.vn", crate::helpers::PASSWORD)
        .await;
    let csrf = s.app.csrf("/classes").await;
    let course_id = s.course["id"].as_str().unwrap().to_string();
    let tid = trainer_id.to_string();
    let form = [
        ("csrf_token", csrf.as_str()),
        ("name", "Lớp phường"),
        ("course_id", course_id.as_str()),
        ("unit", ""),
        ("starts_on", "2026-01-05"),
        ("ends_on", "2026-12-20"),
        ("all_modules_complete", "1"),
        ("min_attendance_percent", "50"),
        ("trainer_ids", tid.as_str()),
    ];
    let r = s
        .app
        .browser
        .post(s.app.url("/classes"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let board_path = r.headers()["location"].to_str().unwrap().to_string();
    assert!(board_path.starts_with("/classes/"));
    // The trainer enrols by e-mail, takes attendance, sees the board and exports it.
    let trainer = s.app.logged_in_browser("gv@example.vn").await;
    let csrf = {
        crate::helpers::csrf_in(
            &trainer
                .get(s.app.url(&board_path))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        )
        .unwrap()
    };
    let r = trainer
        .post(s.app.url(&format!("{board_path}/enrol")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("emails", "hv@example.vn"),
            ("unit", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let lid = s.learner_id.clone();
    let r = trainer
        .post(s.app.url(&format!("{board_path}/attendance")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("date", "2026-03-02"),
            ("present", lid.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = trainer
        .get(s.app.url(&board_path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Nguyễn Văn An"));
    assert!(html.contains("100%"), "attendance shown");
    let csv = trainer
        .get(s.app.url(&format!("{board_path}/export.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.unwrap();
    assert!(text.contains("Nguyễn Văn An") && text.contains("IU06"));
    let xlsx = trainer
        .get(s.app.url(&format!("{board_path}/export.xlsx")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        ictskills::formats::table::read_table(&xlsx)
            .unwrap()
            .rows
            .len()
            == 1
    );
    // Another trainer may not see it.
    s.app.create_user("gv2@example.vn", &["trainer"]).await;
    let other = s.app.logged_in_browser("gv2@example.vn").await;
    assert_eq!(
        other
            .get(s.app.url(&board_path))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_passed_practice_quiz_completes_the_lesson_and_keys_stay_hidden_until_then() {
    let s = setup(json!({"all_modules_complete": true})).await;
    ictskills::seed::bank_on_first_start(&s.app.state.db)
        .await
        .unwrap();
    s.app
        .post_json(
            &format!("/api/v1/classes/{}/enrolments", s.class_id),
            &s.admin,
            &json!({"user_ids": [s.learner_id]}),
        )
        .await;
    let lesson = lessons(&s.course)[0].clone();
    let r = post(
        &s.app,
        &format!("/api/v1/lessons/{lesson}/quiz"),
        &s.learner,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(!text.contains("\"correct\""), "no key before submitting");
    let quiz: Value = serde_json::from_str(&text).unwrap();
    let questions = quiz["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 5);
    // Resuming returns the same quiz.
    let again = body(
        post(
            &s.app,
            &format!("/api/v1/lessons/{lesson}/quiz"),
            &s.learner,
        )
        .await,
    )
    .await;
    assert_eq!(again["id"], quiz["id"]);
    // Answer every question wrongly: not passed, lesson not complete.
    let qid = quiz["id"].as_str().unwrap();
    let wrong: serde_json::Map<String, Value> = serde_json::Map::new();
    let r = body(
        s.app
            .post_json(
                &format!("/api/v1/quizzes/{qid}/submit"),
                &s.learner,
                &json!({"answers": wrong}),
            )
            .await,
    )
    .await;
    assert_eq!(r["result"]["passed"], false);
    assert_eq!(r["result"]["score"], 0.0);
    assert_eq!(
        r["result"]["review"].as_array().unwrap().len(),
        5,
        "the key comes after submitting"
    );
    let me = body(s.app.get("/api/v1/me/progress", &s.learner).await).await;
    assert_eq!(me["modules"][0]["lessons_completed"], 0);
    // A new quiz answered with the key from the review passes.
    let quiz2 = body(
        post(
            &s.app,
            &format!("/api/v1/lessons/{lesson}/quiz"),
            &s.learner,
        )
        .await,
    )
    .await;
    assert_ne!(quiz2["id"], quiz["id"]);
    let q2 = quiz2["id"].as_str().unwrap();
    let mut answers = serde_json::Map::new();
    for q in quiz2["questions"].as_array().unwrap() {
        // Find the key through the staff API (the learner never sees it before submitting).
        let pos = q["position"].as_u64().unwrap().to_string();
        let option_ids: Vec<&str> = q["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap())
            .collect();
        let mut right = Vec::new();
        for oid in &option_ids {
            let found = key_of(&s.app, oid).await;
            if found {
                right.push(json!(oid));
            }
        }
        answers.insert(pos, Value::Array(right));
    }
    let r = body(
        s.app
            .post_json(
                &format!("/api/v1/quizzes/{q2}/submit"),
                &s.learner,
                &json!({"answers": answers}),
            )
            .await,
    )
    .await;
    assert_eq!(r["result"]["passed"], true, "{r}");
    assert_eq!(r["result"]["score"], 10.0);
    let me = body(s.app.get("/api/v1/me/progress", &s.learner).await).await;
    assert_eq!(me["modules"][0]["lessons_completed"], 1);
    // Someone else's quiz does not exist for me.
    let other = s.app.token_for("hv2@example.vn", &["learner"]).await;
    assert_eq!(
        s.app
            .get(&format!("/api/v1/quizzes/{q2}"), &other)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // The quiz page renders for the learner.
    s.app
        .web_login("hv@example.vn", crate::helpers::PASSWORD)
        .await;
    let page = s
        .app
        .browser
        .get(s.app.url(&format!("/lessons/{lesson}/quiz")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Nộp bài"));
    let start = html.find("action=\"/quizzes/").unwrap() + 8;
    let action = &html[start..start + html[start..].find('"').unwrap()];
    let csrf = crate::helpers::csrf_in(&html).unwrap();
    let graded = s
        .app
        .browser
        .post(s.app.url(action))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(graded.status(), StatusCode::OK);
    let html = graded.text().await.unwrap();
    assert!(
        html.contains("Điểm: 0/10"),
        "the result shows: {}",
        html.split("<main")
            .nth(1)
            .unwrap_or("")
            .chars()
            .take(1500)
            .collect::<String>()
    );
}

/// Whether an option id is a right answer, looked up in the stored versions.
async fn key_of(app: &TestApp, option_id: &str) -> bool {
    use ictskills::entities::question_version::{Column, Entity};
    let rows = Entity::find()
        .filter(Column::Options.contains(option_id))
        .all(&app.state.db)
        .await
        .unwrap();
    rows.iter().any(|v| {
        ictskills::store::questions::parse_options(&v.options)
            .iter()
            .any(|o| o.id.to_string() == option_id && o.correct)
    })
}

#[tokio::test]
async fn trainers_write_draft_lessons_publish_and_reorder_them() {
    let s = setup(json!({"all_modules_complete": true})).await;
    s.app
        .post_json(
            &format!("/api/v1/classes/{}/enrolments", s.class_id),
            &s.admin,
            &json!({"user_ids": [s.learner_id]}),
        )
        .await;
    s.app.create_user("gv@example.vn", &["trainer"]).await;
    s.app
        .web_login("gv@example.vn", crate::helpers::PASSWORD)
        .await;
    let course_id = s.course["id"].as_str().unwrap().to_string();
    let new_path = format!("/admin/lessons/new?course={course_id}&module=IU01");
    let csrf = s.app.csrf(&new_path).await;
    let preview = s
        .app
        .browser
        .post(s.app.url("/admin/lessons/preview"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("body", "**a** <script>x</script>"),
        ])
        .send()
        .await
        .unwrap();
    let html = preview.text().await.unwrap();
    assert!(html.contains("<strong>a</strong>") && !html.contains("<script"));
    let form = [
        ("csrf_token", csrf.as_str()),
        ("module", "IU01"),
        ("title", "Bài thêm về mạng LAN"),
        ("body", "## Mạng LAN\n\nNội dung."),
        ("minutes", "5"),
        ("topics", "IU01.1"),
        ("quiz_questions", "0"),
        ("quiz_pass_percent", "80"),
    ];
    let r = s
        .app
        .browser
        .post(s.app.url(&format!("/admin/lessons/new?course={course_id}")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let edit = r.headers()["location"].to_str().unwrap().to_string();
    let id = edit
        .trim_start_matches("/admin/lessons/")
        .trim_end_matches("/edit")
        .to_string();
    // A draft is invisible to learners.
    let visible = |c: Value| lessons(&c["items"][0]).contains(&id);
    assert!(!visible(
        body(s.app.get("/api/v1/courses", &s.learner).await).await
    ));
    assert_eq!(
        s.app
            .get(&format!("/api/v1/lessons/{id}"), &s.learner)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // Publishing shows it, and it counts toward the module.
    let mut published = form.to_vec();
    published.push(("published", "1"));
    let r = s
        .app
        .browser
        .post(s.app.url(&edit))
        .form(&published)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(visible(
        body(s.app.get("/api/v1/courses", &s.learner).await).await
    ));
    let me = body(s.app.get("/api/v1/me/progress", &s.learner).await).await;
    assert_eq!(
        me["modules"][0]["lessons_total"].as_u64().unwrap() as usize,
        s.course["modules"][0]["lessons"].as_array().unwrap().len() + 1
    );
    // Moving it up puts it before the last shipped lesson of IU01.
    let r = s
        .app
        .browser
        .post(s.app.url(&format!("/admin/lessons/{id}/move")))
        .form(&[("csrf_token", csrf.as_str()), ("direction", "up")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let course = body(s.app.get("/api/v1/courses", &s.admin).await).await;
    let iu01: Vec<&str> = course["items"][0]["modules"][0]["lessons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(iu01[iu01.len() - 2], id);
    // Bad input re-renders the form.
    let bad = [
        ("csrf_token", csrf.as_str()),
        ("module", "IU01"),
        ("title", "X"),
        ("body", "Y"),
        ("minutes", "0"),
        ("topics", "IU02.1"),
    ];
    let r = s
        .app
        .browser
        .post(s.app.url(&edit))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Learners may not author.
    let learner_browser = s.app.logged_in_browser("hv@example.vn").await;
    assert_eq!(
        learner_browser
            .get(s.app.url(&new_path))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn inactive_learners_are_reminded_once_and_trainers_get_a_weekly_summary() {
    let s = setup(json!({"all_modules_complete": true})).await;
    let trainer = s.app.create_user("gv@example.vn", &["trainer"]).await;
    let c = body(
        s.app
            .post_json(
                "/api/v1/classes",
                &s.admin,
                &json!({"name": "Lớp nhắc học", "course_id": s.course["id"], "starts_on": "2026-01-01", "ends_on": "2027-12-31",
                        "rule": {"all_modules_complete": true}, "trainer_ids": [trainer]}),
            )
            .await,
    )
    .await;
    let class_id = c["id"].as_str().unwrap();
    s.app
        .post_json(
            &format!("/api/v1/classes/{class_id}/enrolments"),
            &s.admin,
            &json!({"user_ids": [s.learner_id]}),
        )
        .await;
    let settings = &s.app.state.settings;
    let at = |d: &str| {
        chrono::DateTime::parse_from_rfc3339(d)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    // Two days after enrolling: too early for a reminder; a Wednesday: no summary.
    let soon = chrono::Utc::now() + chrono::Duration::days(2);
    let sent = ictskills::jobs::reminders::run_once(&s.app.state.db, settings, soon)
        .await
        .unwrap();
    assert_eq!(
        sent,
        ictskills::jobs::reminders::Sent {
            reminders: 0,
            summaries: if soon
                .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
                .date_naive()
                .weekday()
                == chrono::Weekday::Mon
            {
                1
            } else {
                0
            }
        }
    );
    // A Monday three weeks later (07:00 in Vietnam).
    let monday = at("2026-12-14T00:00:00Z");
    let sent = ictskills::jobs::reminders::run_once(&s.app.state.db, settings, monday)
        .await
        .unwrap();
    assert_eq!(sent.reminders, 1, "{sent:?}");
    assert!(sent.summaries >= 1, "{sent:?}");
    let again = ictskills::jobs::reminders::run_once(&s.app.state.db, settings, monday)
        .await
        .unwrap();
    assert_eq!(
        again,
        ictskills::jobs::reminders::Sent::default(),
        "each message goes once"
    );
    let mails = s.app.wait_for_mails(2).await;
    let texts: Vec<String> = mails.iter().map(|m| crate::helpers::mail_body(m)).collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("Lớp nhắc học") && t.contains("ngày bạn chưa học"))
    );
    assert!(
        texts
            .iter()
            .any(|t| t.contains("Tổng hợp") || t.contains("đủ điều kiện dự thi"))
    );
}
