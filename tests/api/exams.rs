use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::helpers::{TestApp, json as body, spawn_app};

pub(crate) struct Exam {
    pub(crate) app: TestApp,
    pub(crate) admin: String,
    pub(crate) learner: String,
    pub(crate) learner_id: String,
    pub(crate) session: String,
    pub(crate) blueprint: String,
    pub(crate) course_id: String,
}

pub(crate) fn ts(offset_minutes: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(offset_minutes)).to_rfc3339()
}

/// A learner enrolled in a class whose rule is `rule`, and an open session.
pub(crate) async fn exam(rule: Value, session_extra: Value) -> Exam {
    let app = spawn_app().await;
    ictskills::seed::on_first_start(&app.state.db)
        .await
        .unwrap();
    let admin = app.admin_token().await;
    let learner_id = app
        .create_user("ts@example.vn", &["learner"])
        .await
        .to_string();
    let learner = app.token("ts@example.vn").await;
    let courses = body(app.get("/api/v1/courses", &admin).await).await;
    let course_id = courses["items"][0]["id"].as_str().unwrap().to_string();
    let class = body(
        app.post_json(
            "/api/v1/classes",
            &admin,
            &json!({"name": "Lớp thi", "course_id": course_id, "starts_on": "2026-01-01", "ends_on": "2027-12-31", "rule": rule}),
        )
        .await,
    )
    .await;
    app.post_json(
        &format!(
            "/api/v1/classes/{}/enrolments",
            class["id"].as_str().unwrap()
        ),
        &admin,
        &json!({"user_ids": [learner_id]}),
    )
    .await;
    let bps = body(app.get("/api/v1/blueprints", &admin).await).await;
    let blueprint = bps["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "Basic theory exam")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut s = json!({"title": "Ca 1", "blueprint_id": blueprint, "opens_at": ts(-60), "closes_at": ts(120)});
    for (k, v) in session_extra.as_object().unwrap() {
        s[k] = v.clone();
    }
    let r = app.post_json("/api/v1/exam-sessions", &admin, &s).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let session = body(r).await["id"].as_str().unwrap().to_string();
    Exam {
        app,
        admin,
        learner,
        learner_id,
        session,
        blueprint,
        course_id,
    }
}

impl Exam {
    pub(crate) async fn register(&self) -> reqwest::Response {
        self.app
            .post_json(
                &format!("/api/v1/exam-sessions/{}/registrations", self.session),
                &self.admin,
                &json!({"user_id": self.learner_id}),
            )
            .await
    }
    pub(crate) async fn start(&self, body: Value) -> reqwest::Response {
        self.app
            .post_json(
                &format!("/api/v1/exam-sessions/{}/attempts", self.session),
                &self.learner,
                &body,
            )
            .await
    }
    pub(crate) async fn save(
        &self,
        token: &str,
        attempt: &str,
        position: i64,
        options: Value,
    ) -> reqwest::Response {
        self.app
            .api
            .put(
                self.app
                    .url(&format!("/api/v1/attempts/{attempt}/answers/{position}")),
            )
            .bearer_auth(token)
            .json(&json!({"option_ids": options}))
            .send()
            .await
            .unwrap()
    }
}

/// The right option ids of a question on a paper, found in the bank.
pub(crate) async fn right_options(app: &TestApp, q: &Value) -> Vec<String> {
    use ictskills::entities::question_version::{Column, Entity};
    let first = q["options"][0]["id"].as_str().unwrap();
    let v = Entity::find()
        .filter(Column::Options.contains(first))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    ictskills::store::questions::parse_options(&v.options)
        .into_iter()
        .filter(|o| o.correct)
        .map(|o| o.id.to_string())
        .collect()
}

async fn backdate_deadline(app: &TestApp, attempt: &str, minutes: i64) {
    use ictskills::entities::attempt::{Column, Entity};
    Entity::update_many()
        .col_expr(
            Column::Deadline,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(minutes)),
        )
        .filter(Column::Id.eq(uuid::Uuid::parse_str(attempt).unwrap()))
        .exec(&app.state.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_default_blueprint_ships_and_a_bank_too_small_names_the_section() {
    let e = exam(json!({}), json!({})).await;
    let bps = body(e.app.get("/api/v1/blueprints", &e.admin).await).await;
    let default = bps["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == e.blueprint.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (
            default["questions"].as_u64(),
            default["time_limit_seconds"].as_u64(),
            default["pass_score"].as_f64()
        ),
        (Some(30), Some(1800), Some(5.0))
    );
    let r = e
        .app
        .post_json("/api/v1/blueprints", &e.admin, &json!({"name": "Quá nhiều", "time_limit_seconds": 1800, "sections": [{"module": "IU01", "count": 5}, {"module": "IU04", "count": 40, "difficulty": "hard"}]}))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let b = body(r).await;
    assert_eq!(b["error"], "bank_too_small");
    assert!(b["message"].as_str().unwrap().contains("Phần 2"), "{b}");
    let ok = json!({"name": "Bảng tính", "time_limit_seconds": 900, "pass_score": 5.0, "multiple_scoring": "proportional",
        "sections": [{"module": "IU04", "count": 5, "difficulty": {"easy": 2, "medium": 2, "hard": 1}}]});
    assert_eq!(
        e.app
            .post_json("/api/v1/blueprints", &e.admin, &ok)
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        e.app
            .post_json("/api/v1/blueprints", &e.admin, &ok)
            .await
            .status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        e.app
            .post_json("/api/v1/blueprints", &e.learner, &ok)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn registration_checks_eligibility_and_explains_the_refusal() {
    let e = exam(json!({"all_modules_complete": true}), json!({})).await;
    let r = e.register().await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let b = body(r).await;
    assert_eq!(b["error"], "not_eligible");
    assert_eq!(b["missing"].as_array().unwrap().len(), 6);
    // Not registered: no attempt.
    assert_eq!(e.start(json!({})).await.status(), StatusCode::FORBIDDEN);
    // An open session registers anyone the admin names.
    let open = body(
        e.app
            .post_json("/api/v1/exam-sessions", &e.admin, &json!({"title": "Ca tự do", "blueprint_id": e.blueprint, "opens_at": ts(-5), "closes_at": ts(60), "registration": "open"}))
            .await,
    )
    .await;
    let r = e
        .app
        .post_json(
            &format!(
                "/api/v1/exam-sessions/{}/registrations",
                open["id"].as_str().unwrap()
            ),
            &e.admin,
            &json!({"user_id": e.learner_id}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let _ = e.course_id;
}

#[tokio::test]
async fn a_candidate_takes_the_basic_exam_and_gets_a_graded_result() {
    let e = exam(json!({}), json!({})).await;
    assert_eq!(e.register().await.status(), StatusCode::CREATED);
    let r = e.start(json!({})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let text = r.text().await.unwrap();
    assert!(
        !text.contains("\"correct\"") && !text.contains("feedback"),
        "no key during the attempt"
    );
    let a: Value = serde_json::from_str(&text).unwrap();
    let id = a["id"].as_str().unwrap().to_string();
    let questions = a["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 30);
    let distinct: std::collections::HashSet<&str> = questions
        .iter()
        .map(|q| q["stem_html"].as_str().unwrap())
        .collect();
    assert_eq!(distinct.len(), 30, "never the same question twice");
    assert!(a["server_now"].is_string() && a["deadline"].is_string());
    // Starting again returns the same attempt.
    let again = e.start(json!({})).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(body(again).await["id"], a["id"]);
    // Answer 20 questions right.
    for q in questions.iter().take(20) {
        let right = right_options(&e.app, q).await;
        let r = e
            .save(
                &e.learner,
                &id,
                q["position"].as_i64().unwrap(),
                json!(right),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let saved = body(r).await;
        assert!(saved["saved_at"].is_string() && saved["deadline"] == a["deadline"]);
    }
    // Resume: the paper and every saved answer come back, in the same order.
    let resumed = body(
        e.app
            .get(&format!("/api/v1/attempts/{id}"), &e.learner)
            .await,
    )
    .await;
    assert_eq!(resumed["questions"], a["questions"]);
    assert_eq!(resumed["answers"].as_object().unwrap().len(), 20);
    // Bad saves.
    let q0 = &questions[0];
    let single = questions.iter().find(|q| q["multiple"] == false).unwrap();
    assert_eq!(
        e.save(&e.learner, &id, 99, json!([])).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        e.save(&e.learner, &id, 1, json!([uuid::Uuid::new_v4()]))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let o = q0["options"][0]["id"].clone();
    assert_eq!(
        e.save(&e.learner, &id, 1, json!([o, o])).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let two = json!([single["options"][0]["id"], single["options"][1]["id"]]);
    assert_eq!(
        e.save(&e.learner, &id, single["position"].as_i64().unwrap(), two)
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let other = e.app.token_for("other@example.vn", &["learner"]).await;
    assert_eq!(
        e.save(&other, &id, 1, json!([])).await.status(),
        StatusCode::NOT_FOUND,
        "another's attempt does not exist"
    );
    assert_eq!(
        e.app
            .get(&format!("/api/v1/attempts/{id}"), &other)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // Submit: 20 of 30 right → 6.67, passed; twice gives the same.
    let r = body(
        e.app
            .api
            .post(e.app.url(&format!("/api/v1/attempts/{id}/submit")))
            .bearer_auth(&e.learner)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        r,
        json!({"state": "graded", "score": 6.67, "max_score": 10.0, "passed": true, "correct": 20, "total": 30})
    );
    let r2 = body(
        e.app
            .api
            .post(e.app.url(&format!("/api/v1/attempts/{id}/submit")))
            .bearer_auth(&e.learner)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r, r2);
    let late = e.save(&e.learner, &id, 21, json!([])).await;
    assert_eq!(late.status(), StatusCode::CONFLICT);
    assert_eq!(body(late).await["error"], "attempt_finished");
    // One attempt allowed: no second.
    let r = e.start(json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(body(r).await["error"], "no_attempts_left");
}

#[tokio::test]
async fn access_rules_refuse_the_wrong_time_code_and_address() {
    let e = exam(json!({}), json!({"access_code": "PHONG-1"})).await;
    e.register().await;
    let r = e.start(json!({"access_code": "sai"})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(body(r).await["error"], "wrong_access_code");
    assert_eq!(
        e.start(json!({"access_code": "PHONG-1"})).await.status(),
        StatusCode::CREATED
    );

    let mk = |extra: Value| {
        let mut s = json!({"title": "Ca", "blueprint_id": e.blueprint, "registration": "open"});
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    };
    for (extra, status, code) in [
        (
            json!({"opens_at": ts(30), "closes_at": ts(90)}),
            StatusCode::CONFLICT,
            "session_not_open",
        ),
        (
            json!({"opens_at": ts(-90), "closes_at": ts(-30)}),
            StatusCode::CONFLICT,
            "session_closed",
        ),
        (
            json!({"opens_at": ts(-5), "closes_at": ts(60), "ip_allow": ["10.0.0.0/8"]}),
            StatusCode::FORBIDDEN,
            "address_not_allowed",
        ),
    ] {
        let s = body(
            e.app
                .post_json("/api/v1/exam-sessions", &e.admin, &mk(extra))
                .await,
        )
        .await;
        let sid = s["id"].as_str().unwrap();
        e.app
            .post_json(
                &format!("/api/v1/exam-sessions/{sid}/registrations"),
                &e.admin,
                &json!({"user_id": e.learner_id}),
            )
            .await;
        let r = e
            .app
            .post_json(
                &format!("/api/v1/exam-sessions/{sid}/attempts"),
                &e.learner,
                &json!({}),
            )
            .await;
        assert_eq!(r.status(), status);
        assert_eq!(body(r).await["error"], code);
    }
    let r = e
        .app
        .post_json(
            "/api/v1/exam-sessions",
            &e.admin,
            &mk(json!({"opens_at": ts(-5), "closes_at": ts(60), "ip_allow": ["not-a-range"]})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        e.app
            .post_json(
                "/api/v1/exam-sessions",
                &e.learner,
                &mk(json!({"opens_at": ts(-5), "closes_at": ts(60)}))
            )
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn after_the_deadline_saves_are_refused_and_the_saved_answers_count() {
    let e = exam(json!({}), json!({"attempts_allowed": 2})).await;
    e.register().await;
    let a = body(e.start(json!({})).await).await;
    let id = a["id"].as_str().unwrap().to_string();
    let q = &a["questions"][0];
    let right = right_options(&e.app, q).await;
    assert_eq!(
        e.save(
            &e.learner,
            &id,
            q["position"].as_i64().unwrap(),
            json!(right)
        )
        .await
        .status(),
        StatusCode::OK
    );
    backdate_deadline(&e.app, &id, 5).await;
    let r = e.save(&e.learner, &id, 2, json!([])).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(body(r).await["error"], "deadline_passed");
    let got = body(
        e.app
            .get(&format!("/api/v1/attempts/{id}"), &e.learner)
            .await,
    )
    .await;
    assert_eq!(got["state"], "graded");
    assert_eq!(got["result"]["correct"], 1);
    assert_eq!(got["result"]["score"], 0.33);
    use ictskills::entities::attempt::Entity;
    let row = Entity::find_by_id(uuid::Uuid::parse_str(&id).unwrap())
        .one(&e.app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.finished_at,
        Some(row.deadline),
        "finished at the deadline, not when noticed"
    );
    // A second attempt is allowed here.
    assert_eq!(e.start(json!({})).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn the_sweeper_and_concurrent_finishers_grade_each_attempt_exactly_once() {
    let e = exam(json!({}), json!({})).await;
    e.register().await;
    let a = body(e.start(json!({})).await).await;
    let id = uuid::Uuid::parse_str(a["id"].as_str().unwrap()).unwrap();
    backdate_deadline(&e.app, &id.to_string(), 5).await;
    use ictskills::entities::{attempt, attempt_event};
    let row = attempt::Entity::find_by_id(id)
        .one(&e.app.state.db)
        .await
        .unwrap()
        .unwrap();
    let db = &e.app.state.db;
    let (x, y) = tokio::join!(
        ictskills::services::exams::finish(db, row.clone(), row.deadline, "auto_finish", None),
        ictskills::services::exams::finish(db, row.clone(), row.deadline, "auto_finish", None)
    );
    assert_eq!(x.unwrap().state, "graded");
    assert_eq!(y.unwrap().state, "graded");
    let finishes = attempt_event::Entity::find()
        .filter(attempt_event::Column::AttemptId.eq(id))
        .filter(attempt_event::Column::Kind.eq("auto_finish"))
        .all(db)
        .await
        .unwrap();
    assert_eq!(finishes.len(), 1, "graded exactly once");
    assert_eq!(
        ictskills::services::exams::sweep(db, chrono::Duration::seconds(30))
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn the_sweeper_finishes_overdue_attempts_and_extra_time_extends_a_deadline() {
    let e = exam(json!({}), json!({"attempts_allowed": 3})).await;
    e.register().await;
    let a = body(e.start(json!({})).await).await;
    let id = a["id"].as_str().unwrap().to_string();
    // Extra time (an accommodation) moves the deadline, with a reason.
    let r = e
        .app
        .post_json(
            &format!("/api/v1/attempts/{id}/extra-time"),
            &e.admin,
            &json!({"seconds": 600, "reason": "Khuyết tật thị lực"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let later = body(r).await;
    let parse = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(
        (parse(&later["deadline"]) - parse(&a["deadline"])).num_seconds(),
        600
    );
    assert_eq!(
        e.app
            .post_json(
                &format!("/api/v1/attempts/{id}/extra-time"),
                &e.learner,
                &json!({"seconds": 600, "reason": "xin thêm"})
            )
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    backdate_deadline(&e.app, &id, 5).await;
    assert_eq!(
        ictskills::services::exams::sweep(&e.app.state.db, chrono::Duration::seconds(30))
            .await
            .unwrap(),
        1
    );
    let got = body(
        e.app
            .get(&format!("/api/v1/attempts/{id}"), &e.learner)
            .await,
    )
    .await;
    assert_eq!(got["state"], "graded");
}

#[tokio::test]
async fn a_candidate_takes_the_exam_on_the_web() {
    let e = exam(
        json!({}),
        json!({"review": {"show": "answers", "from": "finish"}}),
    )
    .await;
    e.register().await;
    e.app
        .web_login("ts@example.vn", crate::helpers::PASSWORD)
        .await;
    let mine = e
        .app
        .browser
        .get(e.app.url("/exams"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(mine.contains("Ca 1") && mine.contains("Bắt đầu làm bài"));
    let csrf = crate::helpers::csrf_in(&mine).unwrap();
    let r = e
        .app
        .browser
        .post(e.app.url(&format!("/exams/{}/start", e.session)))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page_path = r.headers()["location"].to_str().unwrap().to_string();
    let id = page_path.trim_start_matches("/attempts/").to_string();
    // Save one answer through the API with the session cookie, as the page's script does.
    let paper = body(
        e.app
            .browser
            .get(e.app.url(&format!("/api/v1/attempts/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let q = &paper["questions"][0];
    let right = right_options(&e.app, q).await;
    let r = e
        .app
        .browser
        .put(
            e.app
                .url(&format!("/api/v1/attempts/{id}/answers/{}", q["position"])),
        )
        .header("X-CSRF-Token", csrf.as_str())
        .json(&json!({"option_ids": right}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // A reload shows the saved answer checked, the countdown data and the navigator.
    let html = e
        .app
        .browser
        .get(e.app.url(&page_path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("value=\"{}\" checked", right[0])),
        "the saved answer survives a reload"
    );
    assert!(html.contains("data-deadline=") && html.contains("id=\"nav30\""));
    assert!(!html.contains("\"correct\""));
    let r = e
        .app
        .browser
        .post(e.app.url(&format!("{page_path}/submit")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let result = e
        .app
        .browser
        .get(e.app.url(&page_path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        result.contains("Kết quả bài thi") && result.contains("(1/30)"),
        "{}",
        result.chars().take(2000).collect::<String>()
    );
    assert!(result.contains("✓"), "the review policy shows the answers");
}

#[tokio::test]
async fn the_proctor_board_shows_candidates_and_its_actions_are_audited() {
    let e = exam(json!({}), json!({})).await;
    e.app
        .web_login("admin@example.vn", crate::helpers::PASSWORD)
        .await;
    let csrf = e.app.csrf("/exam-sessions").await;
    let board_path = format!("/exam-sessions/{}", e.session);
    let r = e
        .app
        .browser
        .post(e.app.url(&format!("{board_path}/register")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("emails", "ts@example.vn\nnobody@example.vn"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = e
        .app
        .browser
        .get(e.app.url(&board_path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Chưa bắt đầu") && html.contains("ts@example.vn"));
    let a = body(e.start(json!({})).await).await;
    let id = a["id"].as_str().unwrap().to_string();
    let html = e
        .app
        .browser
        .get(e.app.url(&board_path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Đang làm bài") && html.contains("0/30"));
    let sid = e.session.clone();
    let r = e
        .app
        .browser
        .post(e.app.url(&format!("/attempts/{id}/extra-time-form")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("amount", "15"),
            ("reason", "Mất điện phòng thi"),
            ("session", sid.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    e.app
        .api
        .post(e.app.url(&format!("/api/v1/attempts/{id}/submit")))
        .bearer_auth(&e.learner)
        .send()
        .await
        .unwrap();
    let r = e
        .app
        .browser
        .post(e.app.url(&format!("/attempts/{id}/reopen-form")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("amount", "10"),
            ("reason", "Máy hỏng giữa chừng"),
            ("session", sid.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let again = body(
        e.app
            .get(&format!("/api/v1/attempts/{id}"), &e.learner)
            .await,
    )
    .await;
    assert_eq!(again["state"], "in_progress");
    let audit = body(
        e.app
            .get(&format!("/api/v1/attempts/{id}/audit"), &e.admin)
            .await,
    )
    .await;
    let kinds: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["start", "extra_time", "submit", "reopen"]);
    assert_eq!(
        e.app
            .get(&format!("/api/v1/attempts/{id}/audit"), &e.learner)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let page = e
        .app
        .browser
        .get(e.app.url(&format!("/attempts/{id}/audit")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Mất điện phòng thi"));
    // The admin creates a session on the web.
    let form = [
        ("csrf_token", csrf.as_str()),
        ("title", "Ca chiều"),
        ("blueprint_id", e.blueprint.as_str()),
        ("opens_at", "2026-12-01T13:30"),
        ("closes_at", "2026-12-01T15:00"),
        ("attempts_allowed", "1"),
        ("registration", "class_rule"),
        ("review_show", "score"),
    ];
    let r = e
        .app
        .browser
        .post(e.app.url("/exam-sessions"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/exam-sessions/")
    );
}

#[tokio::test]
async fn only_admins_and_the_sessions_proctors_act_on_it() {
    let e = exam(json!({}), json!({})).await;
    e.register().await;
    let a = body(e.start(json!({})).await).await;
    let id = a["id"].as_str().unwrap().to_string();
    let assigned = e.app.create_user("coithi@example.vn", &["trainer"]).await;
    let outsider = e.app.token_for("gv-khac@example.vn", &["trainer"]).await;
    assert_eq!(
        e.app
            .get(
                &format!("/api/v1/exam-sessions/{}/board", e.session),
                &outsider
            )
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let r = e
        .app
        .post_json(
            &format!("/api/v1/attempts/{id}/extra-time"),
            &outsider,
            &json!({"seconds": 60, "reason": "thử"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A session with a proctor: that trainer may.
    let s = body(
        e.app
            .post_json("/api/v1/exam-sessions", &e.admin, &json!({"title": "Ca có coi thi", "blueprint_id": e.blueprint, "registration": "open",
                "opens_at": ts(-5), "closes_at": ts(60), "proctor_ids": [assigned]}))
            .await,
    )
    .await;
    assert_eq!(s["proctor_ids"], json!([assigned]));
    let proctor = e.app.token("coithi@example.vn").await;
    let board = e
        .app
        .get(
            &format!("/api/v1/exam-sessions/{}/board", s["id"].as_str().unwrap()),
            &proctor,
        )
        .await;
    assert_eq!(board.status(), StatusCode::OK);
    assert_eq!(
        e.app
            .get(
                &format!("/api/v1/exam-sessions/{}/board", e.session),
                &proctor
            )
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn results_are_approved_once_every_attempt_is_graded() {
    let e = exam(json!({}), json!({})).await;
    e.register().await;
    let a = body(e.start(json!({})).await).await;
    let id = a["id"].as_str().unwrap().to_string();
    let approve = |t: &str| {
        e.app
            .api
            .post(
                e.app
                    .url(&format!("/api/v1/exam-sessions/{}/approve", e.session)),
            )
            .bearer_auth(t.to_string())
            .send()
    };
    let r = approve(&e.admin).await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(body(r).await["error"], "attempts_in_progress");
    e.app
        .api
        .post(e.app.url(&format!("/api/v1/attempts/{id}/submit")))
        .bearer_auth(&e.learner)
        .send()
        .await
        .unwrap();
    assert_eq!(
        approve(&e.learner).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let first = body(approve(&e.admin).await.unwrap()).await;
    assert!(first["approved_at"].is_string());
    let again = body(approve(&e.admin).await.unwrap()).await;
    assert_eq!(again["approved_at"], first["approved_at"]);
}

#[tokio::test]
async fn the_allow_list_holds_for_every_save_not_only_the_start() {
    let e = exam(json!({}), json!({"ip_allow": ["127.0.0.0/8"]})).await;
    e.register().await;
    let a = body(e.start(json!({})).await).await;
    let id = a["id"].as_str().unwrap().to_string();
    assert_eq!(
        e.save(&e.learner, &id, 1, json!([])).await.status(),
        StatusCode::OK
    );
    // The room's range changes (or the candidate leaves it): saves and the paper are refused.
    use ictskills::entities::exam_session::{Column, Entity};
    Entity::update_many()
        .col_expr(Column::IpAllow, Expr::value("[\"10.0.0.0/8\"]"))
        .filter(Column::Id.eq(uuid::Uuid::parse_str(&e.session).unwrap()))
        .exec(&e.app.state.db)
        .await
        .unwrap();
    let r = e.save(&e.learner, &id, 1, json!([])).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(body(r).await["error"], "address_not_allowed");
    assert_eq!(
        e.app
            .get(&format!("/api/v1/attempts/{id}"), &e.learner)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(e.start(json!({})).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_save_racing_the_finish_is_either_counted_or_refused() {
    let e = exam(json!({}), json!({"attempts_allowed": 8})).await;
    e.register().await;
    use ictskills::entities::{attempt, attempt_item};
    for _ in 0..8 {
        let a = body(e.start(json!({})).await).await;
        let id = uuid::Uuid::parse_str(a["id"].as_str().unwrap()).unwrap();
        let q = &a["questions"][0];
        let right = right_options(&e.app, q).await;
        let row = attempt::Entity::find_by_id(id)
            .one(&e.app.state.db)
            .await
            .unwrap()
            .unwrap();
        let id_text = id.to_string();
        let (saved, finished) = tokio::join!(
            e.save(
                &e.learner,
                &id_text,
                q["position"].as_i64().unwrap(),
                json!(right)
            ),
            ictskills::services::exams::finish(
                &e.app.state.db,
                row.clone(),
                chrono::Utc::now(),
                "submit",
                None
            )
        );
        assert_eq!(finished.unwrap().state, "graded");
        let item = attempt_item::Entity::find()
            .filter(attempt_item::Column::AttemptId.eq(id))
            .filter(attempt_item::Column::Position.eq(q["position"].as_i64().unwrap() as i32))
            .one(&e.app.state.db)
            .await
            .unwrap()
            .unwrap();
        match saved.status() {
            StatusCode::OK => assert_eq!(
                item.credit,
                Some(1.0),
                "a save reported as saved is counted"
            ),
            StatusCode::CONFLICT => {
                assert_eq!(item.credit, Some(0.0), "a refused save is not counted")
            }
            s => panic!("unexpected {s}"),
        }
        let graded = attempt::Entity::find_by_id(id)
            .one(&e.app.state.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            graded.correct,
            Some(if item.credit == Some(1.0) { 1 } else { 0 })
        );
    }
}
