use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, json as body, spawn_app};

const GIFT: &str = "// Exported from Moodle\n\
$CATEGORY: $course$/top/IU04/IU04.5\n\
\n\
// [id:T-001]\n\
// [tag:easy]\n\
::T-001::[html]Hàm nào tính tổng? {\n\
=SUM #Đúng\n\
~AVERAGE #Trung bình\n\
~COUNT\n\
####SUM cộng các giá trị.\n\
}\n\
\n\
// [id:T-002]\n\
// [tag:hard]\n\
::T-002::Chọn các hàm thống kê\\: {\n\
~%50%AVERAGE\n\
~%50%MAX\n\
~%-100%CONCAT\n\
}\n\
\n\
::T-003::Excel là phần mềm bảng tính. {T}\n\
\n\
::T-004::Viết một đoạn văn. {}\n";

async fn import(
    app: &TestApp,
    token: &str,
    format: &str,
    query: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let r = app
        .post_bytes(
            &format!("/api/v1/questions/import?format={format}{query}"),
            token,
            bytes,
        )
        .await;
    let status = r.status();
    (status, body(r).await)
}

#[tokio::test]
async fn the_shipped_bank_loads_ready_and_covers_every_module_and_difficulty() {
    let app = spawn_app().await;
    ictskills::seed::bank_on_first_start(&app.state.db)
        .await
        .unwrap();
    let admin = app.admin_token().await;
    let counts = body(
        app.get("/api/v1/questions/counts?status=ready", &admin)
            .await,
    )
    .await;
    let items = counts["items"].as_array().unwrap();
    let total: i64 = items.iter().map(|c| c["count"].as_i64().unwrap()).sum();
    assert!(total >= 360, "only {total} ready questions");
    for m in ["IU01", "IU02", "IU03", "IU04", "IU05", "IU06"] {
        for d in ["easy", "medium", "hard"] {
            let n: i64 = items
                .iter()
                .filter(|c| c["module"] == m && c["difficulty"] == d)
                .map(|c| c["count"].as_i64().unwrap())
                .sum();
            assert!(n > 0, "{m} has no {d} question");
        }
        let in_module: i64 = items
            .iter()
            .filter(|c| c["module"] == m)
            .map(|c| c["count"].as_i64().unwrap())
            .sum();
        assert!(in_module >= 60, "{m} has {in_module}");
    }
    assert!(
        items.iter().all(|c| !c["topic"].is_null()),
        "every shipped question has a topic"
    );
    // Loading again adds nothing.
    ictskills::seed::bank_on_first_start(&app.state.db)
        .await
        .unwrap();
    assert_eq!(app.count("questions").await, total);
}

#[tokio::test]
async fn a_moodle_gift_export_imports_with_the_right_counts_and_answers_and_reimports_unchanged() {
    let app = spawn_app().await;
    let trainer = app.token_for("gv@example.vn", &["trainer"]).await;
    let (status, dry) = import(&app, &trainer, "gift", "&dry_run=true", GIFT.into()).await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(dry["created"], 3);
    assert_eq!(
        dry["skipped"].as_array().unwrap().len(),
        1,
        "the essay is skipped"
    );
    assert_eq!(app.count("questions").await, 0);

    let (status, report) = import(&app, &trainer, "gift", "", GIFT.into()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["created"], 3);
    let list = body(
        app.get("/api/v1/questions?module=IU04&status=draft", &trainer)
            .await,
    )
    .await;
    assert_eq!(list["total"], 3);
    let multi = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["external_id"] == "T-002")
        .unwrap()
        .clone();
    assert_eq!(multi["type"], "multiple");
    assert_eq!(multi["difficulty"], "hard");
    assert_eq!(multi["topic"], "IU04.5");
    let full = body(
        app.get(
            &format!("/api/v1/questions/{}", multi["id"].as_str().unwrap()),
            &trainer,
        )
        .await,
    )
    .await;
    let right: Vec<&str> = full["options"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["correct"] == true)
        .map(|o| o["text"].as_str().unwrap())
        .collect();
    assert_eq!(right, vec!["AVERAGE", "MAX"]);
    let tf = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["external_id"] == "T-003")
        .unwrap();
    assert_eq!(tf["type"], "true_false");

    let (_, again) = import(&app, &trainer, "gift", "", GIFT.into()).await;
    assert_eq!(
        (
            again["created"].as_u64(),
            again["updated"].as_u64(),
            again["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(3))
    );
    assert_eq!(app.count("questions").await, 3);
    // A changed answer key is an update: a new version, same question.
    let changed = GIFT.replace("=SUM #Đúng\n~AVERAGE", "~SUM #Sai\n=AVERAGE");
    let (_, upd) = import(&app, &trainer, "gift", "", changed.into()).await;
    assert_eq!(upd["updated"], 1);
    assert_eq!(app.count("question_versions").await, 4);
}

async fn refused(app: &TestApp, token: &str, format: &str, bytes: Vec<u8>) -> Value {
    let before = app.count("questions").await;
    let (status, report) = import(app, token, format, "", bytes).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert_eq!(report["error"], "invalid_questions");
    assert!(!report["errors"].as_array().unwrap().is_empty());
    assert_eq!(app.count("questions").await, before, "nothing written");
    report
}

#[tokio::test]
async fn broken_gift_files_are_refused_whole_with_line_numbers() {
    let app = spawn_app().await;
    let t = app.token_for("gv@example.vn", &["trainer"]).await;
    let ok = "$CATEGORY: IU01/IU01.1\n::A::Câu A? {=Đúng ~Sai}\n\n";
    for (bad, line) in [
        ("::B::Câu B? {=Đúng ~Sai\n", 4),     // unclosed {
        ("::B::Câu B? {~Một ~Hai}\n", 4),     // no correct option
        ("::B::Câu B? {=Một =Hai ~Ba}\n", 4), // two correct on single choice
        ("::B::{=Một ~Hai}\n", 4),            // empty stem
        ("::B::Câu B? {~Một}\n", 4),          // an option list of one
    ] {
        let report = refused(&app, &t, "gift", format!("{ok}{bad}").into_bytes()).await;
        let lines: Vec<u64> = report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["line"].as_u64().unwrap())
            .collect();
        if !lines.contains(&line) {
            panic!("{bad:?}: expected an error on line {line}, got {report}");
        }
    }
    // Unknown module.
    refused(
        &app,
        &t,
        "gift",
        "$CATEGORY: IU99/IU99.1\n::A::Câu A? {=Đúng ~Sai}\n".into(),
    )
    .await;
    // Wrong encoding.
    refused(&app, &t, "gift", vec![0x3a, 0x3a, 0xff, 0xfe, 0x7b, 0x7d]).await;
    assert_eq!(app.count("questions").await, 0);
}

#[tokio::test]
async fn an_xml_bomb_is_refused_quickly() {
    let app = spawn_app().await;
    let t = app.token_for("gv@example.vn", &["trainer"]).await;
    let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<quiz><question type="multichoice"><name><text>&lol4;</text></name><questiontext format="html"><text>&lol4;</text></questiontext>
<answer fraction="100"><text>a</text></answer><answer fraction="0"><text>b</text></answer></question></quiz>"#;
    refused(&app, &t, "moodle-xml", bomb.into()).await;
}

#[tokio::test]
async fn moodle_xml_with_an_embedded_image_imports_and_the_image_is_served() {
    let app = spawn_app().await;
    let t = app.token_for("gv@example.vn", &["trainer"]).await;
    // A 1×1 PNG.
    let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<quiz>
<question type="category"><category><text>$course$/top/IU05/IU05.5</text></category></question>
<question type="multichoice">
  <name><text>Hình</text></name>
  <questiontext format="html"><text><![CDATA[<p>Biểu tượng này là gì? <img src="@@PLUGINFILE@@/icon.png"></p>]]></text>
    <file name="icon.png" path="/" encoding="base64">{png}</file></questiontext>
  <generalfeedback format="html"><text>Giải thích</text></generalfeedback>
  <idnumber>X-1</idnumber>
  <single>true</single>
  <answer fraction="100" format="html"><text>Chèn hình</text><feedback><text>Đúng</text></feedback></answer>
  <answer fraction="0" format="html"><text>Lưu tệp</text></answer>
  <tags><tag><text>medium</text></tag></tags>
</question>
<question type="essay"><name><text>E</text></name><questiontext format="html"><text>Viết</text></questiontext></question>
</quiz>"#
    );
    let (status, report) = import(&app, &t, "moodle-xml", "", xml.into_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 1);
    assert_eq!(report["skipped"].as_array().unwrap().len(), 1);
    let list = body(app.get("/api/v1/questions?module=IU05", &t).await).await;
    let q = &list["items"][0];
    assert_eq!(q["difficulty"], "medium");
    let stem = q["stem"].as_str().unwrap();
    let start = stem.find("/media/").expect("image link rewritten");
    let end = start + stem[start..].find('"').unwrap();
    let img = app
        .api
        .get(app.url(&stem[start..end]))
        .send()
        .await
        .unwrap();
    assert_eq!(img.status(), StatusCode::OK);
    assert_eq!(img.headers()["content-type"], "image/png");
    // The XML export carries the image back as base64.
    let xml = app
        .get("/api/v1/questions/export?format=moodle-xml&module=IU05", &t)
        .await
        .text()
        .await
        .unwrap();
    assert!(xml.contains("@@PLUGINFILE@@/icon.png"));
    assert!(xml.contains(png.trim_end_matches('=')));
}

#[tokio::test]
async fn aiken_takes_its_module_from_the_request() {
    let app = spawn_app().await;
    let t = app.token_for("gv@example.vn", &["trainer"]).await;
    let aiken = "Phím tắt nào sao chép?\nA. Ctrl+C\nB. Ctrl+V\nC. Ctrl+X\nANSWER: A\n\nPhím nào xóa ký tự bên trái con trỏ?\nA) Delete\nB) Backspace\nANSWER: B\n";
    refused(&app, &t, "aiken", aiken.into()).await;
    let (status, report) = import(
        &app,
        &t,
        "aiken",
        "&module=IU02&difficulty=easy",
        aiken.into(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 2);
    let list = body(
        app.get("/api/v1/questions?module=IU02&difficulty=easy", &t)
            .await,
    )
    .await;
    assert_eq!(list["total"], 2);
}

#[tokio::test]
async fn exports_round_trip_in_every_format_and_xlsx_cells_are_never_formulas() {
    let app = spawn_app().await;
    ictskills::seed::bank_on_first_start(&app.state.db)
        .await
        .unwrap();
    let admin = app.admin_token().await;
    let total = app.count("questions").await as u64;
    for format in ["gift", "moodle-xml"] {
        let r = app
            .get(&format!("/api/v1/questions/export?format={format}"), &admin)
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let bytes = r.bytes().await.unwrap().to_vec();
        let (status, report) = import(&app, &admin, format, "&dry_run=true", bytes).await;
        assert_eq!(status, StatusCode::OK, "{format}: {report}");
        assert_eq!(
            report["unchanged"].as_u64(),
            Some(total),
            "{format}: {report}"
        );
    }
    // A formula-like stem must come out of the spreadsheet as text.
    let created = app
        .post_json(
            "/api/v1/questions",
            &admin,
            &json!({"module": "IU04", "topic": "IU04.5", "difficulty": "easy", "type": "single",
                    "stem": "=HYPERLINK(\"http://evil.example\",\"bấm\")", "options": [{"text": "=1+1", "correct": true}, {"text": "Hai"}]}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let xlsx = app
        .get("/api/v1/questions/export?format=xlsx&module=IU04", &admin)
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let table = ictskills::formats::table::read_table(&xlsx).unwrap();
    assert!(
        table
            .rows
            .iter()
            .any(|r| r.cells.iter().any(|c| c.starts_with("=HYPERLINK"))),
        "kept as text"
    );
    assert_eq!(formula_count(&xlsx), 0, "no formula cells in the export");
    let (status, report) = import(&app, &admin, "xlsx", "&dry_run=true", xlsx).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 0, "{report}");
}

fn formula_count(bytes: &[u8]) -> usize {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = wb.sheet_names()[0].clone();
    let formulas = wb.worksheet_formula(&sheet).unwrap();
    formulas
        .used_cells()
        .filter(|(_, _, f)| !f.is_empty())
        .count()
}

#[tokio::test]
async fn a_50_mb_upload_is_refused_with_413() {
    let app = spawn_app().await;
    let t = app.token_for("gv@example.vn", &["trainer"]).await;
    let r = app
        .post_bytes(
            "/api/v1/questions/import?format=gift",
            &t,
            vec![b'a'; 50 * 1024 * 1024],
        )
        .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body(r).await["error"], "too_large");
}

#[tokio::test]
async fn review_needs_another_trainer_or_an_admin_and_edits_make_versions() {
    let app = spawn_app().await;
    let a = app.token_for("a@example.vn", &["trainer"]).await;
    let b = app.token_for("b@example.vn", &["trainer"]).await;
    let admin = app.admin_token().await;
    let input = json!({"module": "IU01", "topic": "IU01.4", "difficulty": "medium", "type": "single",
        "stem": "Mật khẩu nào mạnh nhất?", "options": [{"text": "123456"}, {"text": "Mùa-Thu_2026!xanh", "correct": true}, {"text": "matkhau"}],
        "general_feedback": "Dài, trộn nhiều loại ký tự."});
    let r = app.post_json("/api/v1/questions", &a, &input).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let q = body(r).await;
    assert_eq!(q["status"], "draft");
    let id = q["id"].as_str().unwrap().to_string();
    let approve = |t: &str| {
        app.api
            .post(app.url(&format!("/api/v1/questions/{id}/approve")))
            .bearer_auth(t)
            .send()
    };
    assert_eq!(approve(&a).await.unwrap().status(), StatusCode::FORBIDDEN);
    let ok = approve(&b).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(body(ok).await["status"], "ready");
    assert_eq!(approve(&b).await.unwrap().status(), StatusCode::CONFLICT);

    // An edit is a new draft version; version 1 stays the one exams draw.
    let mut edited = input.clone();
    edited["stem"] = json!("Mật khẩu nào mạnh nhất trong các mật khẩu sau?");
    let r = app
        .api
        .put(app.url(&format!("/api/v1/questions/{id}")))
        .bearer_auth(&a)
        .json(&edited)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v2 = body(r).await;
    assert_eq!(
        (
            v2["version"].as_i64(),
            v2["ready_version"].as_i64(),
            v2["status"].as_str()
        ),
        (Some(2), Some(1), Some("draft"))
    );
    let versions = body(
        app.get(&format!("/api/v1/questions/{id}/versions"), &a)
            .await,
    )
    .await;
    assert_eq!(versions["total"], 2);
    // An admin approves anything, their own included.
    assert_eq!(approve(&admin).await.unwrap().status(), StatusCode::OK);

    // Bad input.
    let mut bad = input.clone();
    bad["options"] = json!([{"text": "A", "correct": true}, {"text": "B", "correct": true}]);
    assert_eq!(
        app.post_json("/api/v1/questions", &a, &bad).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let mut bad = input.clone();
    bad["module"] = json!("IU99");
    assert_eq!(
        app.post_json("/api/v1/questions", &a, &bad).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Bulk retire.
    let r = app
        .post_json("/api/v1/questions/retire", &a, &json!({"ids": [id]}))
        .await;
    assert_eq!(body(r).await["retired"], 1);
    let q = body(app.get(&format!("/api/v1/questions/{id}"), &a).await).await;
    assert_eq!(q["status"], "retired");
}

#[tokio::test]
async fn learners_never_see_the_bank() {
    let app = spawn_app().await;
    let t = app.token_for("hv@example.vn", &["learner"]).await;
    for path in [
        "/api/v1/questions",
        "/api/v1/questions/counts",
        "/api/v1/questions/export?format=gift",
    ] {
        assert_eq!(
            app.get(path, &t).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(
        app.post_bytes("/api/v1/questions/import?format=gift", &t, GIFT.into())
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn statistics_come_from_attempt_items() {
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let app = spawn_app().await;
    let t = app.token_for("gv@example.vn", &["trainer"]).await;
    import(&app, &t, "gift", "", GIFT.into()).await;
    let list = body(app.get("/api/v1/questions?module=IU04", &t).await).await;
    let ids: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap().to_string())
        .collect();
    let db = &app.state.db;
    // Four attempts of two questions: q0 right exactly in the strong attempts.
    let credits = [(1.0, 1.0), (1.0, 1.0), (0.0, 0.0), (0.0, 1.0)];
    for (c0, c1) in credits {
        let attempt = uuid::Uuid::new_v4();
        for (pos, (qid, c)) in [(&ids[0], c0), (&ids[1], c1)].into_iter().enumerate() {
            let qid = uuid::Uuid::parse_str(qid).unwrap();
            let record = ictskills::store::questions::get(db, qid)
                .await
                .unwrap()
                .unwrap();
            let item = ictskills::entities::attempt_item::ActiveModel {
                id: Set(uuid::Uuid::new_v4()),
                attempt_id: Set(attempt),
                question_id: Set(qid),
                question_version_id: Set(record.version.id),
                position: Set(pos as i32 + 1),
                option_order: Set("[]".into()),
                selected: Set(Some("[]".into())),
                credit: Set(Some(c)),
                graded_at: Set(None),
                saved_at: Set(None),
            };
            ictskills::entities::attempt_item::Entity::insert(item)
                .exec_without_returning(db)
                .await
                .unwrap();
        }
    }
    let list = body(app.get("/api/v1/questions?module=IU04", &t).await).await;
    let q0 = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == ids[0].as_str())
        .unwrap();
    assert_eq!(q0["drawn"], 4);
    assert_eq!(q0["facility"], 0.5);
    assert!(q0["discrimination"].as_f64().unwrap() > 0.5);
    let q2 = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == ids[2].as_str())
        .unwrap();
    assert_eq!(q2["drawn"], 0);
    assert!(q2["facility"].is_null());
}

#[tokio::test]
async fn trainers_write_review_and_import_on_the_web() {
    let app = spawn_app().await;
    app.create_user("a@example.vn", &["trainer"]).await;
    app.web_login("a@example.vn", crate::helpers::PASSWORD)
        .await;
    assert_eq!(
        app.browser
            .get(app.url("/questions"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let csrf = app.csrf("/questions/new").await;
    let form = [
        ("csrf_token", csrf.as_str()),
        ("module", "IU06"),
        ("topic", "IU06.6"),
        ("difficulty", "easy"),
        ("type", "single"),
        ("stem", "Thư yêu cầu **mật khẩu** gấp là dấu hiệu gì?"),
        ("opt1", "Lừa đảo"),
        ("ok1", "1"),
        ("opt2", "Thư công vụ"),
        ("fb1", ""),
        ("fb2", ""),
        ("general_feedback", ""),
        ("tags", "an toàn"),
    ];
    let preview = app
        .browser
        .post(app.url("/questions/preview"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(preview.status(), StatusCode::OK);
    let html = preview.text().await.unwrap();
    assert!(html.contains("<strong>mật khẩu</strong>"));
    assert!(!html.contains("Thư công vụ\" checked"));
    let r = app
        .browser
        .post(app.url("/questions/new"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let page = app.browser.get(app.url(&location)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Bản nháp"));
    assert!(
        !html.contains("action=\"/questions/") || !html.contains("/approve\""),
        "no approve button on one's own draft"
    );
}

#[test]
fn the_shipped_bank_is_structurally_sound() {
    use ictskills::domain::question::QuestionType;
    use std::collections::{HashMap, HashSet};
    let topics: HashSet<&str> = ictskills::domain::taxonomy::TOPICS
        .iter()
        .map(|t| t.0)
        .collect();
    let mut stems: HashMap<String, String> = HashMap::new();
    let mut ids = HashSet::new();
    for (name, bytes) in ictskills::seed::BANK {
        let parsed = ictskills::formats::gift::parse(bytes, &Default::default());
        assert!(parsed.errors.is_empty(), "{name}: {:?}", parsed.errors);
        assert!(parsed.skipped.is_empty(), "{name}: {:?}", parsed.skipped);
        assert!(parsed.questions.len() >= 60, "{name}");
        for (line, q) in &parsed.questions {
            let at = format!("{name}:{line}");
            let right = q.options.iter().filter(|o| o.correct).count();
            match q.qtype {
                QuestionType::Single => assert_eq!(right, 1, "{at}"),
                QuestionType::Multiple => assert!(right >= 2 && right < q.options.len(), "{at}"),
                QuestionType::TrueFalse => assert_eq!((right, q.options.len()), (1, 2), "{at}"),
            }
            assert!(q.difficulty.is_some(), "{at}: difficulty");
            let topic = q
                .topic
                .as_ref()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default();
            assert!(
                topics.contains(topic.as_str()),
                "{at}: unknown topic {topic}"
            );
            assert!(
                !q.general_feedback.trim().is_empty(),
                "{at}: no explanation"
            );
            let id = q.external_id.clone().unwrap_or_default();
            assert!(ids.insert(id.clone()), "{at}: id {id} repeats");
            let key: String = q
                .stem
                .to_lowercase()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            if let Some(first) = stems.insert(key, at.clone()) {
                panic!("{at}: same stem as {first}");
            }
        }
    }
}

#[tokio::test]
async fn trainers_upload_images_but_not_other_files() {
    let app = spawn_app().await;
    let t = app.token_for("gv@example.vn", &["trainer"]).await;
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    let r = app
        .post_bytes("/api/v1/media?name=h%C3%ACnh%201.png", &t, png.clone())
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let url = body(r).await["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("/media/"));
    let got = app.api.get(app.url(&url)).send().await.unwrap();
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(got.bytes().await.unwrap().to_vec(), png);
    let r = app
        .post_bytes(
            "/api/v1/media?name=x.html",
            &t,
            b"<script>alert(1)</script>".to_vec(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let learner = app.token_for("hv@example.vn", &["learner"]).await;
    assert_eq!(
        app.post_bytes("/api/v1/media?name=a.png", &learner, png)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}
