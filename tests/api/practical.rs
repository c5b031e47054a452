//! The practical part: tasks, papers, uploads checked and kept, blind double
//! marking, results needing both parts, certificates, reserve and appeals.
use std::io::Write;

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, graded_attempt, json, spawn_app};

/// The application with the shipped bank, course, blueprint and practical
/// tasks loaded, as on a first start.
async fn seeded() -> TestApp {
    let app = spawn_app().await;
    ictskills::seed::on_first_start(&app.state.db)
        .await
        .unwrap();
    app
}

const SHEET_GOOD: &[u8] = include_bytes!("../fixtures/practical/sheet_good.xlsx");
const SHEET_VALUES: &[u8] = include_bytes!("../fixtures/practical/sheet_values.xlsx");
const SHEET_ODS: &[u8] = include_bytes!("../fixtures/practical/sheet.ods");
const LETTER_GOOD: &[u8] = include_bytes!("../fixtures/practical/letter_good.docx");

/// A spreadsheet task whose first criterion is checked automatically.
async fn sheet_task(app: &TestApp, token: &str) -> Value {
    let r = app
        .post_json(
            "/api/v1/practical-tasks",
            token,
            &json!({
                "module": "IU04",
                "title": "Bảng lương",
                "instructions": "1. Tính cột **Tổng cộng** (E2:E11) bằng hàm SUM.\n2. Vẽ biểu đồ cột.",
                "expected_types": ["xlsx", "ods"],
                "rubric": [
                    {"criterion": "Cột Tổng cộng dùng hàm SUM", "points": 4,
                     "check": {"kind": "xlsx_formula", "range": "E2:E11", "function": "SUM", "sheet": "Lương"}},
                    {"criterion": "Có biểu đồ cột", "points": 3,
                     "check": {"kind": "xlsx_chart", "chart_type": "bar"}},
                    {"criterion": "Trình bày bảng", "points": 3}
                ]
            }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let t = json(r).await;
    let r = app
        .post_bytes(
            &format!(
                "/api/v1/practical-tasks/{}/files?name=bang-luong.xlsx",
                t["id"].as_str().unwrap()
            ),
            token,
            SHEET_VALUES.to_vec(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    t
}

/// A two-part session whose practical paper holds one IU04 task (the one
/// `sheet_task` made is the only IU04 task once the shipped ones are gone
/// from the draw: the paper's module has them all, so the test reads which
/// task it got).
struct TwoPart {
    session: Uuid,
    admin: String,
}

async fn two_part_session(app: &TestApp, threshold: f64) -> TwoPart {
    let admin = app.admin_token().await;
    let trainer = app.token_for("gv@example.vn", &["trainer"]).await;
    sheet_task(app, &trainer).await;
    let r = app
        .post_json(
            "/api/v1/practical-papers",
            &trainer,
            &json!({"name": "Đề thực hành bảng tính", "time_limit_seconds": 3600,
                    "sections": [{"module": "IU04", "count": 1}]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let paper = json(r).await;
    let bp = json(app.get("/api/v1/blueprints", &admin).await).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "Basic theory exam")
        .unwrap()["id"]
        .clone();
    let now = chrono::Utc::now();
    let r = app
        .post_json(
            "/api/v1/exam-sessions",
            &admin,
            &json!({"title": "Ca hai phần", "blueprint_id": bp,
                    "opens_at": now - chrono::Duration::minutes(5),
                    "closes_at": now + chrono::Duration::hours(3),
                    "registration": "open",
                    "practical_paper_id": paper["id"],
                    "marking_threshold": threshold}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let s = json(r).await;
    assert_eq!(s["practical_paper_id"], paper["id"]);
    TwoPart {
        session: Uuid::parse_str(s["id"].as_str().unwrap()).unwrap(),
        admin,
    }
}

async fn register(app: &TestApp, tp: &TwoPart, user: Uuid) {
    let r = app
        .post_json(
            &format!("/api/v1/exam-sessions/{}/registrations", tp.session),
            &tp.admin,
            &json!({"user_id": user}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
}

async fn marker(app: &TestApp, tp: &TwoPart, email: &str, head: bool) -> String {
    let id = app.create_user(email, &["marker"]).await;
    let r = app
        .post_json(
            &format!("/api/v1/exam-sessions/{}/markers", tp.session),
            &tp.admin,
            &json!({"user_id": id, "is_head": head}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    app.token(email).await
}

/// Starts the candidate's practical attempt; returns it.
async fn start(app: &TestApp, tp: &TwoPart, token: &str) -> Value {
    let r = app
        .post_json(
            &format!("/api/v1/exam-sessions/{}/practical-attempts", tp.session),
            token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    json(r).await
}

async fn upload(
    app: &TestApp,
    token: &str,
    attempt: &str,
    name: &str,
    bytes: &[u8],
) -> reqwest::Response {
    app.post_bytes(
        &format!("/api/v1/practical-attempts/{attempt}/tasks/1/uploads?name={name}"),
        token,
        bytes.to_vec(),
    )
    .await
}

fn marks(points: &[f64], reasons: &[Option<&str>]) -> Value {
    json!({"marks": points.iter().enumerate().map(|(i, p)| {
        let mut m = json!({"criterion": i + 1, "points": p});
        if let Some(Some(r)) = reasons.get(i) {
            m["override_reason"] = json!(r);
        }
        m
    }).collect::<Vec<_>>()})
}

#[tokio::test]
async fn shipped_tasks_load_with_rubrics_of_ten_and_a_default_paper() {
    let app = seeded().await;
    let trainer = app.token_for("gv@example.vn", &["trainer"]).await;
    let tasks = json(app.get("/api/v1/practical-tasks", &trainer).await).await;
    let items = tasks["items"].as_array().unwrap();
    for module in ["IU03", "IU04", "IU05"] {
        let of: Vec<&Value> = items.iter().filter(|t| t["module"] == module).collect();
        assert!(of.len() >= 2, "{module} has {} tasks", of.len());
        for t in of {
            let sum: f64 = t["rubric"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["points"].as_f64().unwrap())
                .sum();
            assert!((sum - 10.0).abs() < 1e-9, "{}: {sum}", t["title"]);
            assert!(t["slug"].as_str().unwrap().starts_with(module));
        }
    }
    // Starter files download for staff; a learner without the task gets 404.
    let with_file = items
        .iter()
        .find(|t| !t["starter_files"].as_array().unwrap().is_empty())
        .unwrap();
    let url = with_file["starter_files"][0]["url"].as_str().unwrap();
    let r = app.get(url, &trainer).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));
    let learner = app.token_for("hv@example.vn", &["learner"]).await;
    assert_eq!(app.get(url, &learner).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/v1/practical-tasks", &learner).await.status(),
        StatusCode::FORBIDDEN
    );
    let papers = json(app.get("/api/v1/practical-papers", &trainer).await).await;
    assert!(papers["items"].as_array().unwrap().iter().any(|p| p["name"]
        == "Basic practical exam"
        && p["sections"].as_array().unwrap().len() == 3));
}

#[tokio::test]
async fn tasks_and_papers_refuse_bad_rubrics_files_and_sections() {
    let app = seeded().await;
    let trainer = app.token_for("gv@example.vn", &["trainer"]).await;
    let bad = |rubric: Value| {
        json!({"module": "IU04", "title": "T", "instructions": "Làm bài.",
               "expected_types": ["xlsx"], "rubric": rubric})
    };
    // Points not summing to 10.
    let r = app
        .post_json(
            "/api/v1/practical-tasks",
            &trainer,
            &bad(json!([{"criterion": "A", "points": 4}, {"criterion": "B", "points": 5}])),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json(r).await["message"].as_str().unwrap().contains("10"));
    // A check reading a type the task does not take; an unknown check kind.
    for rubric in [
        json!([{"criterion": "A", "points": 10, "check": {"kind": "docx_landscape"}}]),
        json!([{"criterion": "A", "points": 10, "check": {"kind": "xlsx_magic"}}]),
    ] {
        let r = app
            .post_json("/api/v1/practical-tasks", &trainer, &bad(rubric))
            .await;
        assert!(r.status().is_client_error(), "{}", r.status());
    }
    // A learner may not create tasks.
    let learner = app.token_for("hv@example.vn", &["learner"]).await;
    let r = app
        .post_json(
            "/api/v1/practical-tasks",
            &learner,
            &bad(json!([{"criterion": "A", "points": 10}])),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A starter file that is not what its name claims.
    let t = sheet_task(&app, &trainer).await;
    let r = app
        .post_bytes(
            &format!(
                "/api/v1/practical-tasks/{}/files?name=data.xlsx",
                t["id"].as_str().unwrap()
            ),
            &trainer,
            b"%PDF-1.4 not a workbook".to_vec(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Papers: a module without practical tasks, more tasks than exist.
    for sections in [
        json!([{"module": "IU01", "count": 1}]),
        json!([{"module": "IU04", "count": 9}]),
    ] {
        let r = app
            .post_json(
                "/api/v1/practical-papers",
                &trainer,
                &json!({"name": "X", "time_limit_seconds": 3600, "sections": sections}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}

/// The paper the candidate got holds exactly our spreadsheet task when the
/// shipped IU04 tasks are also candidates for the draw; this finds out.
fn drew_our_task(attempt: &Value) -> bool {
    attempt["tasks"][0]["title"] == "Bảng lương"
}

/// Starts attempts for fresh candidates until one draws our task.
async fn candidate_with_our_task(
    app: &TestApp,
    tp: &TwoPart,
    prefix: &str,
) -> (Uuid, String, Value) {
    for i in 0..40 {
        let email = format!("{prefix}{i}@example.vn");
        let id = app.create_user(&email, &["learner"]).await;
        register(app, tp, id).await;
        let token = app.token(&email).await;
        let a = start(app, tp, &token).await;
        if drew_our_task(&a) {
            return (id, token, a);
        }
    }
    panic!("never drew the test task");
}

#[tokio::test]
async fn a_two_part_session_marked_blind_twice_issues_the_certificate() {
    let app = seeded().await;
    let tp = two_part_session(&app, 1.0).await;
    let (user, token, a) = candidate_with_our_task(&app, &tp, "ts").await;
    let attempt = a["id"].as_str().unwrap().to_string();
    assert_eq!(a["state"], "in_progress");
    assert_eq!(a["tasks"].as_array().unwrap().len(), 1);
    assert!(
        a["tasks"][0]["instructions_html"]
            .as_str()
            .unwrap()
            .contains("<strong>")
    );
    let starter = a["tasks"][0]["starter_files"][0]["url"].as_str().unwrap();
    assert_eq!(app.get(starter, &token).await.status(), StatusCode::OK);
    // Repeating the start returns the same attempt.
    let r = app
        .post_json(
            &format!("/api/v1/exam-sessions/{}/practical-attempts", tp.session),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(json(r).await["id"], a["id"]);

    // Two uploads (the second counts); an ODF twin is accepted too.
    let r = upload(&app, &token, &attempt, "bai-lam.xlsx", SHEET_VALUES).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let first = json(r).await;
    assert_eq!(first["size"], SHEET_VALUES.len());
    assert_eq!(first["sha256"].as_str().unwrap().len(), 64);
    assert!(
        first.get("checks").is_none(),
        "checks are not shown to candidates"
    );
    let r = upload(&app, &token, &attempt, "bai-lam.ods", SHEET_ODS).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = upload(&app, &token, &attempt, "bai-lam-2.xlsx", SHEET_GOOD).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // A document where a spreadsheet is expected.
    let r = upload(&app, &token, &attempt, "thu.docx", LETTER_GOOD).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let view = json(
        app.get(&format!("/api/v1/practical-attempts/{attempt}"), &token)
            .await,
    )
    .await;
    let ups = view["uploads"]["1"].as_array().unwrap();
    assert_eq!(ups.len(), 3);
    assert_eq!(ups[2]["name"], "bai-lam-2.xlsx");
    assert!(!view.to_string().contains("checks"));

    // Markers see nothing before the submit.
    let m1 = marker(&app, &tp, "m1@example.vn", false).await;
    let m2 = marker(&app, &tp, "m2@example.vn", false).await;
    let q = json(
        app.get(
            &format!("/api/v1/marking/queue?session={}", tp.session),
            &m1,
        )
        .await,
    )
    .await;
    assert_eq!(q["total"], 0);
    let r = app
        .post_json(
            &format!("/api/v1/practical-attempts/{attempt}/submit"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(json(r).await["state"], "submitted");
    let r = upload(&app, &token, &attempt, "late.xlsx", SHEET_GOOD).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // The queue: anonymous, no names anywhere.
    let q = json(
        app.get(
            &format!("/api/v1/marking/queue?session={}", tp.session),
            &m1,
        )
        .await,
    )
    .await;
    let items = q["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["round"], "blind");
    let anon = items[0]["anon_number"].as_i64().unwrap();
    assert!((100_000..1_000_000).contains(&anon));
    let sub = items[0]["submission_id"].as_str().unwrap().to_string();
    let body = app
        .get(&format!("/api/v1/marking/submissions/{sub}"), &m1)
        .await;
    assert_eq!(body.status(), StatusCode::OK);
    let s = json(body).await;
    let text = s.to_string();
    assert!(!text.contains("Nguyễn Văn An") && !text.contains(&user.to_string()));
    assert_eq!(s["files"].as_array().unwrap().len(), 3);
    assert_eq!(s["files"][2]["counts"], true);
    // The file downloads under the anonymous number.
    let f = app.get(s["files"][2]["url"].as_str().unwrap(), &m1).await;
    assert_eq!(f.status(), StatusCode::OK);
    let cd = f.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cd.contains(&anon.to_string()), "{cd}");
    assert_eq!(f.bytes().await.unwrap().as_ref(), SHEET_GOOD);
    // Automatic proposals on the counted file: SUM formulas and a bar chart.
    let proposals = s["proposals"].as_array().unwrap();
    assert_eq!(proposals.len(), 2);
    assert_eq!(proposals[0]["criterion"], 1);
    assert_eq!(proposals[0]["passed"], true);
    assert_eq!(proposals[0]["points"], 4.0);
    assert_eq!(proposals[1]["passed"], true);
    // The name behind the number: 403 for a marker.
    let r = app
        .get(
            &format!("/api/v1/exam-sessions/{}/anonymous-numbers", tp.session),
            &m1,
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Departing from a proposal needs a reason.
    let sub_marks = format!("/api/v1/marking/submissions/{sub}/marks");
    let r = app
        .post_json(&sub_marks, &m1, &marks(&[0.0, 3.0, 2.0], &[]))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_json(&sub_marks, &m1, &marks(&[4.0, 3.0, 2.0], &[]))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(json(r).await["state"], "marking");
    // Marking twice: 409.
    let r = app
        .post_json(&sub_marks, &m1, &marks(&[4.0, 3.0, 2.5], &[]))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // The second marker does not see the first mark before giving theirs.
    let s2 = json(
        app.get(&format!("/api/v1/marking/submissions/{sub}"), &m2)
            .await,
    )
    .await;
    assert_eq!(s2["marks"].as_array().unwrap().len(), 0);
    assert_eq!(s2["round"], "blind");
    // No certificate yet: the practical part is not marked.
    assert_eq!(
        json(app.get("/api/v1/me/certificates", &token).await).await["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Theory passed (graded); still nothing until the practical is final.
    graded_attempt(&app, tp.session, &user.to_string(), true).await;
    // The second marker marks on the web page: anonymous queue, the form.
    let _ = &m2;
    let web = app.logged_in_browser("m2@example.vn").await;
    let queue_page = web
        .get(app.url("/marking"))
        .header("Accept-Language", "vi")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(queue_page.contains(&anon.to_string()));
    assert!(!queue_page.contains("Nguyễn Văn An"));
    let form_page = web
        .get(app.url(&format!("/marking/{sub}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form_page.contains("name=\"points_3\""), "{form_page}");
    assert!(!form_page.contains("Nguyễn Văn An"));
    let csrf = crate::helpers::csrf_in(&form_page).unwrap();
    let r = web
        .post(app.url(&format!("/marking/{sub}")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("points_1", "4"),
            ("points_2", "3"),
            ("points_3", "3"),
            ("comment_3", "Bảng gọn"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/marking");
    // Both marks in: each marker now sees both.
    let s1 = json(
        app.get(&format!("/api/v1/marking/submissions/{sub}"), &m1)
            .await,
    )
    .await;
    assert_eq!(s1["marks"].as_array().unwrap().len(), 2);
    assert_eq!(s1["score"], 9.5);
    let view = json(
        app.get(&format!("/api/v1/practical-attempts/{attempt}"), &token)
            .await,
    )
    .await;
    assert_eq!(view["state"], "marked");
    assert_eq!(view["score"], 9.5);
    assert_eq!(view["passed"], true);
    let certs = json(app.get("/api/v1/me/certificates", &token).await).await;
    assert_eq!(certs["items"].as_array().unwrap().len(), 1, "{certs}");
    // The admin holds the key to the numbers.
    let key = json(
        app.get(
            &format!("/api/v1/exam-sessions/{}/anonymous-numbers", tp.session),
            &tp.admin,
        )
        .await,
    )
    .await;
    let ours = key["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["anon_number"] == anon)
        .unwrap();
    assert_eq!(ours["user_id"], user.to_string());
}

#[tokio::test]
async fn a_disagreement_goes_to_a_third_marker_and_a_failed_part_blocks_the_certificate() {
    let app = seeded().await;
    let tp = two_part_session(&app, 1.0).await;
    let (user, token, a) = candidate_with_our_task(&app, &tp, "td").await;
    let attempt = a["id"].as_str().unwrap().to_string();
    graded_attempt(&app, tp.session, &user.to_string(), true).await;
    assert_eq!(
        upload(&app, &token, &attempt, "a.xlsx", SHEET_VALUES)
            .await
            .status(),
        StatusCode::CREATED
    );
    app.post_json(
        &format!("/api/v1/practical-attempts/{attempt}/submit"),
        &token,
        &json!({}),
    )
    .await;
    let m1 = marker(&app, &tp, "m1@example.vn", false).await;
    let m2 = marker(&app, &tp, "m2@example.vn", false).await;
    let m3 = marker(&app, &tp, "m3@example.vn", false).await;
    let head = marker(&app, &tp, "head@example.vn", true).await;
    let q = json(app.get("/api/v1/marking/queue", &m1).await).await;
    let sub = q["items"][0]["submission_id"].as_str().unwrap().to_string();
    let s = json(
        app.get(&format!("/api/v1/marking/submissions/{sub}"), &m1)
            .await,
    )
    .await;
    // Values only and no chart: both checks propose 0.
    assert_eq!(s["proposals"][0]["passed"], false);
    assert_eq!(s["proposals"][0]["points"], 0.0);
    let path = format!("/api/v1/marking/submissions/{sub}/marks");
    let r = app
        .post_json(&path, &m1, &marks(&[0.0, 0.0, 3.0], &[]))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .post_json(
            &path,
            &m2,
            &marks(&[4.0, 0.0, 3.0], &[Some("Công thức cộng tay đúng")]),
        )
        .await;
    assert_eq!(json(r).await["state"], "disputed");
    // The board lists the disagreement.
    let board = json(
        app.get(
            &format!("/api/v1/exam-sessions/{}/marking-board", tp.session),
            &head,
        )
        .await,
    )
    .await;
    assert_eq!(board["disputed"].as_array().unwrap().len(), 1);
    assert!(
        board["scores"][0].get("full_name").is_none(),
        "no names for a marker head"
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/exam-sessions/{}/marking-board", tp.session),
            &m1
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    // The third marker settles it: a fail (3 < 5).
    let q3 = json(app.get("/api/v1/marking/queue", &m3).await).await;
    assert_eq!(q3["items"][0]["round"], "third");
    let r = app
        .post_json(&path, &m3, &marks(&[0.0, 0.0, 3.0], &[]))
        .await;
    assert_eq!(json(r).await["state"], "final");
    let view = json(
        app.get(&format!("/api/v1/practical-attempts/{attempt}"), &token)
            .await,
    )
    .await;
    assert_eq!(view["passed"], false);
    assert_eq!(view["score"], 3.0);
    // Theory passed, practical failed: no certificate.
    assert_eq!(
        json(app.get("/api/v1/me/certificates", &token).await).await["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Nothing left to mark, for anyone.
    assert_eq!(
        app.post_json(&path, &head, &marks(&[0.0, 0.0, 3.0], &[]))
            .await
            .status(),
        StatusCode::CONFLICT
    );

    // Appeal within the window: a marker who has not marked it re-marks.
    let r = app
        .post_json(
            &format!("/api/v1/attempts/{attempt}/appeals"),
            &token,
            &json!({"part": "practical", "reason": "Tôi đã dùng công thức."}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(json(r).await["old_score"], 3.0);
    let r = app
        .post_json(
            &format!("/api/v1/attempts/{attempt}/appeals"),
            &token,
            &json!({"part": "practical", "reason": "Lần nữa"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // Those who marked it cannot re-mark; the head (who did not) can.
    assert_eq!(
        json(app.get("/api/v1/marking/queue", &m1).await).await["total"],
        0
    );
    let qh = json(app.get("/api/v1/marking/queue", &head).await).await;
    assert_eq!(qh["items"][0]["round"], "appeal");
    let r = app
        .post_json(
            &path,
            &head,
            &marks(&[4.0, 0.0, 3.0], &[Some("Cộng bằng công thức +")]),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let appeals = json(app.get("/api/v1/me/appeals", &token).await).await;
    assert_eq!(appeals["items"][0]["state"], "decided");
    assert_eq!(appeals["items"][0]["new_score"], 7.0);
    let view = json(
        app.get(&format!("/api/v1/practical-attempts/{attempt}"), &token)
            .await,
    )
    .await;
    assert_eq!(view["passed"], true);
    // Now both parts are passed: the certificate follows.
    assert_eq!(
        json(app.get("/api/v1/me/certificates", &token).await).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        for (name, data) in entries {
            z.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(data).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

#[tokio::test]
async fn uploads_refuse_lies_macros_bombs_huge_files_and_late_arrivals() {
    // A zip bomb: 300 MB of zeros in a small file. Made first: in a debug
    // build it takes seconds, longer than the server keeps an idle
    // connection open, and a pooled connection closing under a request
    // fails it.
    let bomb = {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            z.start_file(
                "[Content_Types].xml",
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            z.write_all(br#"<Types><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#).unwrap();
            z.start_file(
                "xl/worksheets/sheet1.xml",
                zip::write::SimpleFileOptions::default().large_file(true),
            )
            .unwrap();
            let zeros = vec![0u8; 1 << 20];
            for _ in 0..300 {
                z.write_all(&zeros).unwrap();
            }
            z.finish().unwrap();
        }
        buf.into_inner()
    };
    let app = seeded().await;
    let tp = two_part_session(&app, 1.0).await;
    let (_user, token, a) = candidate_with_our_task(&app, &tp, "tb").await;
    let attempt = a["id"].as_str().unwrap().to_string();
    assert_eq!(
        upload(&app, &token, &attempt, "ok.xlsx", SHEET_GOOD)
            .await
            .status(),
        StatusCode::CREATED
    );
    // Renamed to .xlsx but a PDF.
    let r = upload(&app, &token, &attempt, "fake.xlsx", b"%PDF-1.7\n...").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Macro-enabled, by extension and by content.
    let r = upload(&app, &token, &attempt, "macro.xlsm", SHEET_GOOD).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let macro_xlsx = zip_with(&[
        (
            "[Content_Types].xml",
            br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>"#,
        ),
        ("xl/workbook.xml", b"<workbook/>"),
        ("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0"),
    ]);
    let r = upload(&app, &token, &attempt, "macro.xlsx", &macro_xlsx).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bomb.len() < 2 * 1024 * 1024, "{}", bomb.len());
    let r = upload(&app, &token, &attempt, "bomb.xlsx", &bomb).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // 100 MB: refused as too large.
    let huge = vec![b'x'; 100 * 1024 * 1024];
    let r = app
        .api
        .post(app.url(&format!(
            "/api/v1/practical-attempts/{attempt}/tasks/1/uploads?name=huge.xlsx"
        )))
        .bearer_auth(&token)
        .body(huge)
        .send()
        .await;
    match r {
        Ok(r) => assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE),
        // The server may close the connection before the client has sent
        // everything; nothing was stored either way (checked below).
        Err(e) => assert!(e.is_request() || e.is_body(), "{e:?}"),
    }
    // After the deadline plus grace: 409, the earlier upload intact.
    {
        use ictskills::entities::practical_attempt;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        practical_attempt::Entity::update_many()
            .col_expr(
                practical_attempt::Column::Deadline,
                Expr::value(chrono::Utc::now() - chrono::Duration::minutes(5)),
            )
            .filter(practical_attempt::Column::Id.eq(Uuid::parse_str(&attempt).unwrap()))
            .exec(&app.state.db)
            .await
            .unwrap();
    }
    let r = upload(&app, &token, &attempt, "late.xlsx", SHEET_GOOD).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(json(r).await["error"], "deadline_passed");
    let view = json(
        app.get(&format!("/api/v1/practical-attempts/{attempt}"), &token)
            .await,
    )
    .await;
    assert_eq!(view["state"], "submitted");
    let ups = view["uploads"]["1"].as_array().unwrap();
    assert_eq!(ups.len(), 1);
    assert_eq!(ups[0]["name"], "ok.xlsx");
    assert_eq!(app.count("practical_uploads").await, 1);
}

#[tokio::test]
async fn a_passed_part_is_kept_and_appeals_close_after_their_window() {
    let app = seeded().await;
    // Session 1: theory passed, practical failed.
    let tp = two_part_session(&app, 1.0).await;
    let (user, token, a) = candidate_with_our_task(&app, &tp, "tr").await;
    let theory = graded_attempt(&app, tp.session, &user.to_string(), true).await;
    let attempt = a["id"].as_str().unwrap().to_string();
    upload(&app, &token, &attempt, "a.xlsx", SHEET_VALUES).await;
    app.post_json(
        &format!("/api/v1/practical-attempts/{attempt}/submit"),
        &token,
        &json!({}),
    )
    .await;
    let m1 = marker(&app, &tp, "m1@example.vn", false).await;
    let m2 = marker(&app, &tp, "m2@example.vn", false).await;
    let sub = json(app.get("/api/v1/marking/queue", &m1).await).await["items"][0]["submission_id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/marking/submissions/{sub}/marks");
    app.post_json(&path, &m1, &marks(&[0.0, 0.0, 2.0], &[]))
        .await;
    app.post_json(&path, &m2, &marks(&[0.0, 0.0, 2.5], &[]))
        .await;
    assert_eq!(
        json(app.get("/api/v1/me/certificates", &token).await).await["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // An appeal on the theory part after the window: 422.
    {
        use ictskills::entities::exam_session;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        exam_session::Entity::update_many()
            .col_expr(
                exam_session::Column::ResultsAt,
                Expr::value(chrono::Utc::now() - chrono::Duration::days(20)),
            )
            .filter(exam_session::Column::Id.eq(tp.session))
            .exec(&app.state.db)
            .await
            .unwrap();
    }
    let r = app
        .post_json(
            &format!("/api/v1/attempts/{theory}/appeals"),
            &token,
            &json!({"part": "theory", "reason": "Xin phúc khảo"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(r).await["error"], "appeal_window_closed");
    // Someone else's attempt: 404.
    let other = app.token_for("other@example.vn", &["learner"]).await;
    let r = app
        .post_json(
            &format!("/api/v1/attempts/{theory}/appeals"),
            &other,
            &json!({"part": "theory", "reason": "x"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Session 2, practical only for this candidate: the theory pass is kept.
    let admin = tp.admin.clone();
    let paper = json(app.get("/api/v1/practical-papers", &admin).await).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Đề thực hành bảng tính")
        .unwrap()["id"]
        .clone();
    let bp = json(app.get("/api/v1/blueprints", &admin).await).await["items"][0]["id"].clone();
    let now = chrono::Utc::now();
    let s2 = json(
        app.post_json(
            "/api/v1/exam-sessions",
            &admin,
            &json!({"title": "Ca thi lại thực hành", "blueprint_id": bp,
                    "opens_at": now - chrono::Duration::minutes(5),
                    "closes_at": now + chrono::Duration::hours(3),
                    "registration": "open", "practical_paper_id": paper}),
        )
        .await,
    )
    .await;
    let tp2 = TwoPart {
        session: Uuid::parse_str(s2["id"].as_str().unwrap()).unwrap(),
        admin: admin.clone(),
    };
    register(&app, &tp2, user).await;
    let a2 = start(&app, &tp2, &token).await;
    let attempt2 = a2["id"].as_str().unwrap().to_string();
    // Whatever task was drawn, the markers give it a pass.
    let accepted = a2["tasks"][0]["expected_types"][0]
        .as_str()
        .unwrap()
        .to_string();
    let file: &[u8] = match accepted.as_str() {
        "xlsx" => SHEET_GOOD,
        "docx" => LETTER_GOOD,
        _ => include_bytes!("../fixtures/practical/slides_good.pptx"),
    };
    let fname = format!("b.{accepted}");
    assert_eq!(
        upload(&app, &token, &attempt2, &fname, file).await.status(),
        StatusCode::CREATED
    );
    app.post_json(
        &format!("/api/v1/practical-attempts/{attempt2}/submit"),
        &token,
        &json!({}),
    )
    .await;
    let n1 = marker(&app, &tp2, "n1@example.vn", false).await;
    let n2 = marker(&app, &tp2, "n2@example.vn", false).await;
    let sub2 = json(
        app.get(
            &format!("/api/v1/marking/queue?session={}", tp2.session),
            &n1,
        )
        .await,
    )
    .await["items"][0]["submission_id"]
        .as_str()
        .unwrap()
        .to_string();
    let s = json(
        app.get(&format!("/api/v1/marking/submissions/{sub2}"), &n1)
            .await,
    )
    .await;
    // Full points everywhere, with a reason where a check proposed less.
    let rubric = s["rubric"].as_array().unwrap();
    let proposals = s["proposals"].as_array().unwrap();
    let body = json!({"marks": rubric.iter().enumerate().map(|(i, c)| {
        let p = proposals.iter().find(|p| p["criterion"] == i + 1);
        let full = c["points"].as_f64().unwrap();
        let mut m = json!({"criterion": i + 1, "points": full});
        if p.is_some_and(|p| p["points"].as_f64().unwrap() != full) {
            m["override_reason"] = json!("Đạt khi xem tệp");
        }
        m
    }).collect::<Vec<_>>()});
    let path2 = format!("/api/v1/marking/submissions/{sub2}/marks");
    assert_eq!(
        app.post_json(&path2, &n1, &body).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.post_json(&path2, &n2, &body).await.status(),
        StatusCode::CREATED
    );
    // The certificate rests on the kept theory pass of session 1.
    let certs = json(app.get("/api/v1/me/certificates", &token).await).await;
    assert_eq!(certs["items"].as_array().unwrap().len(), 1, "{certs}");
}

#[tokio::test]
async fn a_theory_appeal_is_regraded_from_the_stored_answers_by_an_admin() {
    use crate::exams::{exam, right_options};
    let e = exam(json!({}), json!({})).await;
    assert_eq!(e.register().await.status(), StatusCode::CREATED);
    let a = json(e.start(json!({})).await).await;
    let id = a["id"].as_str().unwrap().to_string();
    for q in a["questions"].as_array().unwrap() {
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
    }
    let r = e
        .app
        .post_json(
            &format!("/api/v1/attempts/{id}/submit"),
            &e.learner,
            &json!({}),
        )
        .await;
    let result = json(r).await;
    assert_eq!(result["passed"], true);
    // An appeal on a part the session does not have a result for: 422.
    let r = e
        .app
        .post_json(
            &format!("/api/v1/attempts/{id}/appeals"),
            &e.learner,
            &json!({"part": "practical", "reason": "?"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = e
        .app
        .post_json(
            &format!("/api/v1/attempts/{id}/appeals"),
            &e.learner,
            &json!({"part": "theory", "reason": "Tôi nghĩ câu 3 đúng."}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let ap = json(r).await;
    assert_eq!(ap["state"], "pending");
    assert_eq!(ap["old_score"], result["score"]);
    // Only admins see and decide appeals.
    assert_eq!(
        e.app.get("/api/v1/appeals", &e.learner).await.status(),
        StatusCode::FORBIDDEN
    );
    let pending = json(e.app.get("/api/v1/appeals", &e.admin).await).await;
    assert_eq!(pending["total"], 1);
    let decide = format!("/api/v1/appeals/{}/decide", ap["id"].as_str().unwrap());
    let r = e
        .app
        .post_json(&decide, &e.admin, &json!({"note": " "}))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = e
        .app
        .post_json(
            &decide,
            &e.admin,
            &json!({"note": "Đã đối chiếu đáp án: giữ nguyên."}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let d = json(r).await;
    assert_eq!(d["state"], "decided");
    assert_eq!(d["new_score"], result["score"]);
    assert_eq!(d["note"], "Đã đối chiếu đáp án: giữ nguyên.");
    let r = e
        .app
        .post_json(&decide, &e.admin, &json!({"note": "again"}))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // The certificate stands.
    let certs = json(e.app.get("/api/v1/me/certificates", &e.learner).await).await;
    assert_eq!(certs["items"].as_array().unwrap().len(), 1);
    assert_eq!(certs["items"][0]["status"], "valid");
}
