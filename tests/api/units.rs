use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{json as body, spawn_app};

#[tokio::test]
async fn units_form_a_tree_and_a_closed_unit_keeps_its_people() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let r = app
        .post_json(
            "/api/v1/units",
            &admin,
            &json!({"name": "Tỉnh Xa", "kind": "tỉnh", "code": "99"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let p = body(r).await;
    let pid = p["id"].as_str().unwrap();
    let d = body(
        app.post_json(
            "/api/v1/units",
            &admin,
            &json!({"name": "Huyện Gần", "kind": "huyện", "parent_id": pid}),
        )
        .await,
    )
    .await;
    let c = body(
        app.post_json(
            "/api/v1/units",
            &admin,
            &json!({"name": "Xã Giữa", "kind": "xã", "parent_id": d["id"]}),
        )
        .await,
    )
    .await;
    let roots = body(app.get("/api/v1/units", &admin).await).await;
    assert!(
        roots["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == p["id"])
    );
    let kids = body(
        app.get(
            &format!("/api/v1/units?parent={}", d["id"].as_str().unwrap()),
            &admin,
        )
        .await,
    )
    .await;
    assert_eq!(kids["total"], 1);
    assert_eq!(kids["items"][0]["name"], "Xã Giữa");
    let cid = uuid::Uuid::parse_str(c["id"].as_str().unwrap()).unwrap();
    app.create_user_in("a@example.vn", &["learner"], Some(cid))
        .await;
    let closed = app
        .post_json(
            &format!("/api/v1/units/{}/close", c["id"].as_str().unwrap()),
            &admin,
            &json!({"closed_on": "2025-07-01"}),
        )
        .await;
    assert_eq!(closed.status(), StatusCode::OK);
    assert_eq!(body(closed).await["closed_on"], "2025-07-01");
    let people = body(
        app.get(&format!("/api/v1/users?unit={}", pid), &admin)
            .await,
    )
    .await;
    assert_eq!(people["total"], 1);
    // Codes are unique.
    let r = app
        .post_json(
            "/api/v1/units",
            &admin,
            &json!({"name": "Khác", "kind": "tỉnh", "code": "99"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

const CSV: &str = "code,name,kind,parent_code\n\
00070,Phường Hoàn Kiếm,phường,01\n\
01,Thành phố Hà Nội,thành phố trung ương,\n\
00073,Phường Cửa Nam,phường,01\n";

#[tokio::test]
async fn unit_import_is_idempotent_and_dry_run_writes_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let dry = app
        .post_bytes("/api/v1/units/import?dry_run=true", &admin, CSV.into())
        .await;
    assert_eq!(dry.status(), StatusCode::OK);
    let dry = body(dry).await;
    assert_eq!(dry["created"], 3);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(app.count("units").await, 0);

    let first = body(
        app.post_bytes("/api/v1/units/import", &admin, CSV.into())
            .await,
    )
    .await;
    assert_eq!(first["created"], 3);
    let again = body(
        app.post_bytes("/api/v1/units/import", &admin, CSV.into())
            .await,
    )
    .await;
    assert_eq!(
        (again["created"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(app.count("units").await, 3);
    let renamed = CSV.replace("Phường Cửa Nam", "Phường Cửa Nam Mới");
    let upd = body(
        app.post_bytes("/api/v1/units/import", &admin, renamed.into())
            .await,
    )
    .await;
    assert_eq!(upd["updated"], 1);
}

#[tokio::test]
async fn a_unit_file_with_an_unknown_parent_is_refused_whole() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let bad = format!("{CSV}00099,Xã Lạc,xã,77\n");
    let r = app
        .post_bytes("/api/v1/units/import", &admin, bad.into())
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let report = body(r).await;
    assert_eq!(report["errors"][0]["line"], 5);
    assert_eq!(report["error"], "invalid_units");
    assert_eq!(app.count("units").await, 0);
}

#[tokio::test]
async fn a_unit_file_that_puts_a_unit_below_itself_is_refused_whole() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // Within the file: A under B, B under A.
    let bad = "code,name,kind,parent_code\n\
               A1,Tỉnh A,tỉnh,B1\n\
               B1,Tỉnh B,tỉnh,A1\n\
               D1,Tỉnh D,tỉnh,\n";
    let r = app
        .post_bytes("/api/v1/units/import", &admin, bad.into())
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let report = body(r).await;
    let lines: Vec<i64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3], "{report}");
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("A1"),
        "{report}"
    );
    assert_eq!(app.count("units").await, 0);
    // Against units already stored: moving a parent below its child.
    let ok = "code,name,kind,parent_code\nP1,Tỉnh P,tỉnh,\nQ1,Xã Q,xã,P1\n";
    let r = app
        .post_bytes("/api/v1/units/import", &admin, ok.into())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let flip = "code,name,kind,parent_code\nP1,Tỉnh P,tỉnh,Q1\n";
    let r = app
        .post_bytes("/api/v1/units/import", &admin, flip.into())
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body(r).await["errors"][0]["line"], 2);
}

#[tokio::test]
async fn the_shipped_2025_unit_list_loads_on_first_start() {
    let app = spawn_app().await;
    ictskills::seed::units_on_first_start(&app.state.db)
        .await
        .unwrap();
    assert_eq!(app.count("units").await, 34 + 3321);
    // A second start changes nothing.
    ictskills::seed::units_on_first_start(&app.state.db)
        .await
        .unwrap();
    assert_eq!(app.count("units").await, 34 + 3321);
    let admin = app.admin_token().await;
    let roots = body(app.get("/api/v1/units?per_page=500", &admin).await).await;
    assert_eq!(roots["total"], 34);
}

#[tokio::test]
async fn learners_cannot_create_or_import_units() {
    let app = spawn_app().await;
    let t = app.token_for("an@example.vn", &["learner"]).await;
    assert_eq!(
        app.post_json("/api/v1/units", &t, &json!({"name": "X", "kind": "xã"}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post_bytes("/api/v1/units/import", &t, CSV.into())
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.count("units").await, 0);
}

#[tokio::test]
async fn a_unit_is_renamed_and_cannot_move_below_itself() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let p = body(
        app.post_json(
            "/api/v1/units",
            &admin,
            &json!({"name": "Tỉnh A", "kind": "tỉnh"}),
        )
        .await,
    )
    .await;
    let c = body(
        app.post_json(
            "/api/v1/units",
            &admin,
            &json!({"name": "Xã B", "kind": "xã", "parent_id": p["id"]}),
        )
        .await,
    )
    .await;
    let url = app.url(&format!("/api/v1/units/{}", p["id"].as_str().unwrap()));
    let r = app
        .api
        .patch(&url)
        .bearer_auth(&admin)
        .json(&json!({"name": "Tỉnh A Mới", "code": "98"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(body(r).await["name"], "Tỉnh A Mới");
    let r = app
        .api
        .patch(&url)
        .bearer_auth(&admin)
        .json(&json!({"parent_id": c["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .api
        .patch(&url)
        .bearer_auth(&admin)
        .json(&json!({"parent_id": p["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
