use reqwest::StatusCode;

use crate::helpers::{TestApp, json as body, link_in, spawn_app};

const UNITS: &str = "code,name,kind,parent_code\n\
01,Thành phố Hà Nội,thành phố trung ương,\n\
00070,Phường Hoàn Kiếm,phường,01\n\
00073,Phường Cửa Nam,phường,01\n";

const HEADER: &str =
    "họ và tên,ngày sinh,nơi sinh,giới tính,email,số điện thoại,đơn vị,chức danh,lãnh đạo\n";

fn roster(rows: &[&str]) -> Vec<u8> {
    let mut s = HEADER.to_string();
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s.into_bytes()
}

const ROW_A: &str = "Nguyễn Thị Hoa,12/03/1988,Hà Nội,Nữ,hoa@example.vn,0912345678,Hà Nội / Phường Hoàn Kiếm,Văn phòng - thống kê,";
const ROW_B: &str = "Phạm Văn Minh,01/11/1975,Nam Định,Nam,minh@example.vn,,00073,Chủ tịch UBND,x";

async fn setup() -> (TestApp, String) {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let r = app
        .post_bytes("/api/v1/units/import", &admin, UNITS.into())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    (app, admin)
}

#[tokio::test]
async fn a_roster_imports_invites_and_the_invited_official_sets_a_password() {
    let (app, admin) = setup().await;
    let r = app
        .post_bytes("/api/v1/users/import", &admin, roster(&[ROW_A, ROW_B]))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let report = body(r).await;
    assert_eq!(report["created"], 2);
    assert_eq!(
        report["rows"][0]["unit"],
        "Thành phố Hà Nội / Phường Hoàn Kiếm"
    );
    let list = body(app.get("/api/v1/users?q=minh", &admin).await).await;
    let minh = &list["items"][0];
    assert_eq!(minh["is_leader"], true);
    assert_eq!(minh["date_of_birth"], "1975-11-01");
    assert_eq!(minh["sex"], "male");
    assert_eq!(minh["job_title"], "Chủ tịch UBND");

    let mails = app.wait_for_mails(2).await;
    let hoa = mails.iter().find(|m| m.contains("hoa@example.vn")).unwrap();
    let link = link_in(hoa, "/password/reset/").expect("invitation link");
    let path = link.trim_start_matches(&app.address).to_string();
    let csrf = app.csrf(&path).await;
    let set = app
        .browser
        .post(app.url(&path))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("new_password", "mật khẩu của Hoa"),
            ("confirm_password", "mật khẩu của Hoa"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.post_token("hoa@example.vn", "mật khẩu của Hoa")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn re_importing_the_same_roster_changes_nothing() {
    let (app, admin) = setup().await;
    let file = roster(&[ROW_A, ROW_B]);
    assert_eq!(
        app.post_bytes("/api/v1/users/import", &admin, file.clone())
            .await
            .status(),
        StatusCode::OK
    );
    let users = app.count("users").await;
    let tokens = app.count("one_time_tokens").await;
    let again = body(app.post_bytes("/api/v1/users/import", &admin, file).await).await;
    assert_eq!(
        (
            again["created"].as_u64(),
            again["updated"].as_u64(),
            again["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(2))
    );
    assert_eq!(app.count("users").await, users);
    assert_eq!(
        app.count("one_time_tokens").await,
        tokens,
        "no second invitation"
    );
}

#[tokio::test]
async fn a_dry_run_reports_without_writing() {
    let (app, admin) = setup().await;
    let before = app.count("users").await;
    let r = body(
        app.post_bytes(
            "/api/v1/users/import?dry_run=true",
            &admin,
            roster(&[ROW_A]),
        )
        .await,
    )
    .await;
    assert_eq!(r["created"], 1);
    assert_eq!(r["dry_run"], true);
    assert_eq!(app.count("users").await, before);
    assert_eq!(app.count("outbox").await, 0);
}

async fn refused(app: &TestApp, admin: &str, file: Vec<u8>) -> serde_json::Value {
    let before = (app.count("users").await, app.count("outbox").await);
    let r = app.post_bytes("/api/v1/users/import", admin, file).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let report = body(r).await;
    assert_eq!(report["error"], "invalid_roster");
    assert!(!report["errors"].as_array().unwrap().is_empty());
    assert_eq!(
        (app.count("users").await, app.count("outbox").await),
        before,
        "nothing written"
    );
    report
}

#[tokio::test]
async fn a_bad_date_is_reported_with_its_line_and_nothing_is_written() {
    let (app, admin) = setup().await;
    let bad = ROW_B.replace("01/11/1975", "31/02/1975");
    let report = refused(&app, &admin, roster(&[ROW_A, &bad])).await;
    assert_eq!(report["errors"][0]["line"], 3);
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("31/02/1975")
    );
}

#[tokio::test]
async fn an_unknown_unit_is_reported() {
    let (app, admin) = setup().await;
    let bad = ROW_A.replace("Hà Nội / Phường Hoàn Kiếm", "Hà Nội / Phường Không Có");
    let report = refused(&app, &admin, roster(&[&bad, ROW_B])).await;
    assert_eq!(report["errors"][0]["line"], 2);
}

#[tokio::test]
async fn a_duplicate_email_in_the_file_is_reported() {
    let (app, admin) = setup().await;
    let dup = ROW_B.replace("minh@example.vn", "hoa@example.vn");
    let report = refused(&app, &admin, roster(&[ROW_A, &dup])).await;
    assert_eq!(report["errors"][0]["line"], 3);
}

#[tokio::test]
async fn an_empty_file_and_a_file_that_is_not_a_spreadsheet_are_refused() {
    let (app, admin) = setup().await;
    refused(&app, &admin, Vec::new()).await;
    refused(&app, &admin, vec![0xff, 0xfe, 0x00, 0x12, 0x80, 0x81, 0x99]).await;
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend_from_slice(&[0u8; 40]);
    refused(&app, &admin, zip).await;
}

#[tokio::test]
async fn the_xlsx_template_round_trips() {
    let (app, admin) = setup().await;
    let r = app
        .get("/api/v1/users/import/template?format=xlsx", &admin)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap().to_vec();
    assert!(bytes.starts_with(b"PK"));
    let report = app
        .post_bytes("/api/v1/users/import?dry_run=true", &admin, bytes.clone())
        .await;
    let status = report.status();
    let report = body(report).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 2);
    let csv = app
        .get("/api/v1/users/import/template?format=csv", &admin)
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let report = body(
        app.post_bytes("/api/v1/users/import?dry_run=true", &admin, csv)
            .await,
    )
    .await;
    assert_eq!(report["created"], 2);
}

#[tokio::test]
async fn a_roster_can_be_sent_as_multipart() {
    let (app, admin) = setup().await;
    let part = reqwest::multipart::Part::bytes(roster(&[ROW_A])).file_name("danh-sach.csv");
    let form = reqwest::multipart::Form::new().part("file", part);
    let r = app
        .api
        .post(app.url("/api/v1/users/import"))
        .bearer_auth(&admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(body(r).await["created"], 1);
}
