//! The unit report against a hand-built scenario whose every number is
//! known: roll-up, people counted once where they were enrolled, revoked
//! certificates not counted, access, exports, drill-down.
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, json as body, spawn_app};

struct Scenario {
    app: TestApp,
    admin: String,
    p: String,
    q: String,
    a: String,
    b: String,
    c: String,
    d: String,
    s: String,
    people: std::collections::HashMap<&'static str, String>,
}

async fn unit(app: &TestApp, admin: &str, name: &str, kind: &str, parent: Option<&str>) -> String {
    let r = app
        .post_json(
            "/api/v1/units",
            admin,
            &json!({"name": name, "kind": kind, "parent_id": parent}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    body(r).await["id"].as_str().unwrap().to_string()
}

async fn learner(
    app: &TestApp,
    admin: &str,
    email: &str,
    name: &str,
    unit: &str,
    leader: bool,
    job: &str,
) -> String {
    let r = app
        .post_json(
            "/api/v1/users",
            admin,
            &json!({"email": email, "full_name": name, "date_of_birth": "1980-01-02",
                    "place_of_birth": "Huế", "sex": "female", "unit_id": unit,
                    "job_title": job, "is_leader": leader, "roles": ["learner"],
                    "password": crate::helpers::PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{email}");
    body(r).await["id"].as_str().unwrap().to_string()
}

async fn class(
    app: &TestApp,
    admin: &str,
    course: &str,
    name: &str,
    starts: &str,
    ends: &str,
) -> String {
    let r = app
        .post_json(
            "/api/v1/classes",
            admin,
            &json!({"name": name, "course_id": course, "starts_on": starts, "ends_on": ends,
                    "rule": {"all_modules_complete": true}}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    body(r).await["id"].as_str().unwrap().to_string()
}

/// Province P: communes A, B, D (empty, a hostile name) and sector S;
/// province Q: commune C.
async fn scenario() -> Scenario {
    let app = spawn_app().await;
    ictskills::seed::on_first_start(&app.state.db)
        .await
        .unwrap();
    let admin = app.admin_token().await;
    let p = unit(&app, &admin, "Tỉnh Thử Nghiệm", "province", None).await;
    let q = unit(&app, &admin, "Tỉnh Bên Cạnh", "province", None).await;
    let a = unit(&app, &admin, "Xã An Bình", "commune", Some(&p)).await;
    let b = unit(&app, &admin, "Phường Bắc Sơn", "ward", Some(&p)).await;
    let d = unit(&app, &admin, "=1+1 Xã Đông", "commune", Some(&p)).await;
    let s = unit(&app, &admin, "Sở Giáo dục và Đào tạo", "sector", Some(&p)).await;
    let c = unit(&app, &admin, "Xã Cát Tiên", "commune", Some(&q)).await;
    let mut people = std::collections::HashMap::new();
    for (key, name, u, leader, job) in [
        ("a1", "Lê Thị Ánh", &a, false, "Văn phòng - thống kê"),
        ("a2", "Trần Văn Bình", &a, false, "Tư pháp - hộ tịch"),
        ("a3", "Phạm Quốc Cường", &a, true, "Chủ tịch UBND"),
        ("b1", "Đỗ Minh Dũng", &b, false, "Địa chính - xây dựng"),
        ("b2", "Vũ Thu Hà", &b, false, "Văn hóa - xã hội"),
        ("c1", "Hoàng Gia Khánh", &c, false, "Tài chính - kế toán"),
        ("s1", "Ngô Thanh Lan", &s, false, "Giáo viên"),
    ] {
        let id = learner(
            &app,
            &admin,
            &format!("{key}@example.vn"),
            name,
            u,
            leader,
            job,
        )
        .await;
        people.insert(key, id);
    }
    let courses = body(app.get("/api/v1/courses", &admin).await).await;
    let course = courses["items"][0]["id"].as_str().unwrap().to_string();
    let k1 = class(&app, &admin, &course, "Lớp 1", "2026-01-05", "2026-12-30").await;
    let k2 = class(&app, &admin, &course, "Lớp 2", "2026-06-01", "2026-12-31").await;
    let old = class(&app, &admin, &course, "Lớp cũ", "2024-01-01", "2024-06-30").await;
    let enrol = |class: String, ids: Vec<String>| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let r = app
                .post_json(
                    &format!("/api/v1/classes/{class}/enrolments"),
                    &admin,
                    &json!({ "user_ids": ids }),
                )
                .await;
            assert_eq!(r.status(), StatusCode::OK);
        }
    };
    let id = |k: &str| people[k].clone();
    enrol(
        k1.clone(),
        vec![
            id("a1"),
            id("a2"),
            id("a3"),
            id("b1"),
            id("b2"),
            id("c1"),
            id("s1"),
        ],
    )
    .await;
    enrol(k2.clone(), vec![id("b2")]).await;
    // Someone only in a class outside the period is not assigned.
    let outsider = learner(&app, &admin, "old@example.vn", "Cũ Văn Xưa", &a, false, "").await;
    enrol(old, vec![outsider]).await;
    // a1 and a3 attend; a1 gets an exception (eligible), a3 stays not eligible.
    let r = app
        .post_json(
            &format!("/api/v1/classes/{k1}/attendance"),
            &admin,
            &json!({"date": "2026-03-02", "present_user_ids": [id("a1"), id("a3")]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let r = app
        .post_json(
            &format!("/api/v1/classes/{k1}/exceptions"),
            &admin,
            &json!({"user_id": id("a1"), "reason": "Đã có chứng chỉ tin học tương đương"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // b1 moves to province Q after enrolment: still counted in B.
    let r = app
        .api
        .patch(app.url(&format!("/api/v1/users/{}", id("b1"))))
        .bearer_auth(&admin)
        .json(&json!({"unit_id": c}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Exams: a1 passes and is certified; c1 passes, is certified, then revoked.
    let sess = crate::helpers::basic_session(&app).await;
    let issuer = app.state.issuer.clone();
    for k in ["a1", "c1"] {
        let at = crate::helpers::graded_attempt(&app, sess, &id(k), true).await;
        ictskills::services::certificates::issue_for_attempt(&app.state.db, &issuer, at)
            .await
            .unwrap();
    }
    let c1_cert = body(
        app.get(&format!("/api/v1/certificates?q={}", "Hoàng"), &admin)
            .await,
    )
    .await;
    let serial = c1_cert["items"][0]["serial"].as_str().unwrap().to_string();
    let r = app
        .post_json(
            "/api/v1/certificates/revoke",
            &admin,
            &json!({"serials": [serial], "reason": "fraud"}),
        )
        .await;
    assert_eq!(body(r).await["revoked"].as_array().unwrap().len(), 1);
    Scenario {
        app,
        admin,
        p,
        q,
        a,
        b,
        c,
        d,
        s,
        people,
    }
}

fn row<'a>(r: &'a Value, unit: &str) -> &'a Value {
    r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["unit_id"] == unit)
        .unwrap_or_else(|| panic!("no row for {unit} in {r}"))
}

fn counts(v: &Value) -> [u64; 6] {
    [
        "assigned",
        "not_participating",
        "not_eligible",
        "sat_exam",
        "passed",
        "certified",
    ]
    .map(|k| v[k].as_u64().unwrap())
}

#[tokio::test]
async fn the_unit_report_matches_the_hand_built_scenario() {
    let s = scenario().await;
    let period = "from=2026-01-01&to=2026-12-31";
    let r = s
        .app
        .get(
            &format!("/api/v1/reports/units?root={}&level=1&{period}", s.p),
            &s.admin,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = body(r).await;
    assert_eq!(r["rows"].as_array().unwrap().len(), 4, "A, B, D, S: {r}");
    assert_eq!(counts(row(&r, &s.a)), [3, 1, 1, 1, 1, 1]);
    let a_rate = row(&r, &s.a)["certification_rate"].as_f64().unwrap();
    assert!((a_rate - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(
        counts(row(&r, &s.b)),
        [2, 2, 0, 0, 0, 0],
        "b2 counts once; b1 stays in B"
    );
    assert_eq!(counts(row(&r, &s.d)), [0, 0, 0, 0, 0, 0]);
    assert!(
        row(&r, &s.d)["certification_rate"].is_null(),
        "nobody assigned: no rate"
    );
    assert_eq!(counts(row(&r, &s.s)), [1, 1, 0, 0, 0, 0]);
    assert_eq!(counts(&r["totals"]), [6, 4, 1, 1, 1, 1]);

    // The neighbouring province: b1 moved there after enrolment and does not
    // count; c1's certificate is revoked.
    let q = body(
        s.app
            .get(
                &format!("/api/v1/reports/units?root={}&{period}", s.q),
                &s.admin,
            )
            .await,
    )
    .await;
    assert_eq!(counts(row(&q, &s.c)), [1, 1, 0, 1, 1, 0]);

    // The province as a single row (level 0) sums its subtree.
    let top = body(
        s.app
            .get(
                &format!("/api/v1/reports/units?root={}&level=0&{period}", s.p),
                &s.admin,
            )
            .await,
    )
    .await;
    assert_eq!(top["rows"].as_array().unwrap().len(), 1);
    assert_eq!(counts(row(&top, &s.p)), [6, 4, 1, 1, 1, 1]);
    // The whole installation, by province.
    let all = body(
        s.app
            .get(&format!("/api/v1/reports/units?{period}"), &s.admin)
            .await,
    )
    .await;
    assert_eq!(counts(row(&all, &s.p)), [6, 4, 1, 1, 1, 1]);
    assert_eq!(counts(&all["totals"]), [7, 5, 1, 2, 2, 1]);

    // Split by leadership: a3 alone in A's leader row.
    let led = body(
        s.app
            .get(
                &format!("/api/v1/reports/units?root={}&{period}&by=leadership", s.p),
                &s.admin,
            )
            .await,
    )
    .await;
    let leaders: Vec<&Value> = led["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["group"] == "leader")
        .collect();
    assert_eq!(leaders.len(), 1);
    assert_eq!(leaders[0]["unit_id"], s.a.as_str());
    assert_eq!(counts(leaders[0]), [1, 0, 1, 0, 0, 0]);
    let by_job = body(
        s.app
            .get(
                &format!("/api/v1/reports/units?root={}&{period}&by=job_title", s.p),
                &s.admin,
            )
            .await,
    )
    .await;
    assert!(
        by_job["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["group"] == "Chủ tịch UBND" && x["assigned"] == 1)
    );

    // Drill-down to the people behind a number.
    let who = body(
        s.app
            .get(
                &format!(
                    "/api/v1/reports/units/people?unit={}&metric=not_participating&{period}",
                    s.a
                ),
                &s.admin,
            )
            .await,
    )
    .await;
    assert_eq!(who["total"], 1);
    assert_eq!(who["items"][0]["user_id"], s.people["a2"].as_str());
    assert_eq!(who["items"][0]["full_name"], "Trần Văn Bình");
    let certified = body(
        s.app
            .get(
                &format!(
                    "/api/v1/reports/units/people?unit={}&metric=certified&{period}",
                    s.p
                ),
                &s.admin,
            )
            .await,
    )
    .await;
    assert_eq!(certified["total"], 1);

    // A period before anything happened: nobody.
    let empty = body(
        s.app
            .get(
                &format!(
                    "/api/v1/reports/units?root={}&from=2025-01-01&to=2025-12-31",
                    s.p
                ),
                &s.admin,
            )
            .await,
    )
    .await;
    assert_eq!(counts(&empty["totals"]), [0, 0, 0, 0, 0, 0]);
    assert!(empty["totals"]["certification_rate"].is_null());

    // Sorting.
    let sorted = body(
        s.app
            .get(
                &format!(
                    "/api/v1/reports/units?root={}&{period}&sort=assigned&order=desc",
                    s.p
                ),
                &s.admin,
            )
            .await,
    )
    .await;
    assert_eq!(sorted["rows"][0]["unit_id"], s.a.as_str());
}

#[tokio::test]
async fn exports_carry_a_header_block_and_never_a_formula() {
    let s = scenario().await;
    let period = "from=2026-01-01&to=2026-12-31";
    let csv = s
        .app
        .get(
            &format!("/api/v1/reports/units?root={}&{period}&format=csv", s.p),
            &s.admin,
        )
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.unwrap();
    assert!(text.contains("Được cử đi học"), "{text}");
    assert!(text.contains("'=1+1 Xã Đông"), "formula guarded: {text}");
    assert!(!text.contains(",=1+1"));
    assert!(text.contains("Tổng cộng,6,4,1,1,1,1,16.7"), "{text}");
    let xlsx = s
        .app
        .get(
            &format!("/api/v1/reports/units?root={}&{period}&format=xlsx", s.p),
            &s.admin,
        )
        .await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    let bytes = xlsx.bytes().await.unwrap().to_vec();
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let cell = |r: u32, c: u32| {
        sheet
            .get_value((r, c))
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    assert!(cell(0, 0).contains("BÁO CÁO"));
    assert!(cell(1, 0).contains("Tỉnh Thử Nghiệm"));
    assert!(cell(2, 0).contains("01/01/2026") && cell(2, 0).contains("31/12/2026"));
    assert!(cell(3, 0).starts_with("Ngày lập"));
    let formulas = book.worksheet_formula(&book.sheet_names()[0]).unwrap();
    assert!(
        formulas.cells().all(|(_, _, f)| f.is_empty()),
        "no formula anywhere"
    );
}

#[tokio::test]
async fn access_and_bad_input() {
    let s = scenario().await;
    // A unit manager of A: their subtree only.
    let r = s
        .app
        .post_json(
            "/api/v1/users",
            &s.admin,
            &json!({"email": "ql@example.vn", "full_name": "Quản Lý Xã", "roles": ["unit_manager"],
                    "unit_id": s.a, "password": crate::helpers::PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let manager = s.app.token("ql@example.vn").await;
    let period = "from=2026-01-01&to=2026-12-31";
    let r = s
        .app
        .get(
            &format!("/api/v1/reports/units?root={}&{period}", s.p),
            &manager,
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = s
        .app
        .get(
            &format!(
                "/api/v1/reports/units/people?unit={}&metric=assigned&{period}",
                s.b
            ),
            &manager,
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let own = body(
        s.app
            .get(&format!("/api/v1/reports/units?{period}"), &manager)
            .await,
    )
    .await;
    assert_eq!(own["root"]["id"], s.a.as_str());
    assert_eq!(counts(&own["totals"]), [3, 1, 1, 1, 1, 1]);
    // Learners and trainers see no reports.
    let learner = s.app.token("a1@example.vn").await;
    assert_eq!(
        s.app.get("/api/v1/reports/units", &learner).await.status(),
        StatusCode::FORBIDDEN
    );
    // Bad input.
    let r = s
        .app
        .get(
            "/api/v1/reports/units?from=2026-12-31&to=2026-01-01",
            &s.admin,
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body(r).await["error"], "invalid_period");
    let r = s
        .app
        .get(
            &format!("/api/v1/reports/units?root={}", Uuid::new_v4()),
            &s.admin,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        s.app
            .get("/api/v1/reports/units?from=31/12/2026", &s.admin)
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        s.app
            .get("/api/v1/reports/units?by=colour", &s.admin)
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    // The page: table, both charts, drill-down links.
    let client = s.app.logged_in_browser("admin@example.vn").await;
    let html = client
        .get(s.app.url(&format!("/reports/units?root={}&{period}", s.p)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("<svg").count(), 2, "two charts");
    assert!(
        html.contains("Xã An Bình") && html.contains("33,3%"),
        "{html}"
    );
    assert!(html.contains(&format!(
        "/reports/units/people?unit={}&amp;metric=not_participating",
        s.a
    )));
    assert!(html.contains("&lt;") || !html.contains("<script>"));
    let _ = &s.d;
}
