use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, json as body, spawn_app};

fn learner(email: &str) -> serde_json::Value {
    json!({
        "email": email, "full_name": "Trần Thị Bình", "date_of_birth": "1990-02-28",
        "place_of_birth": "Nam Định", "sex": "female", "job_title": "Văn phòng - thống kê",
        "is_leader": false, "roles": ["learner"], "password": PASSWORD
    })
}

#[tokio::test]
async fn an_admin_creates_a_learner_who_can_then_log_in() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let r = app
        .post_json("/api/v1/users", &admin, &learner("binh@example.vn"))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let u = body(r).await;
    assert_eq!(u["email"], "binh@example.vn");
    assert_eq!(u["sex"], "female");
    assert_eq!(u["date_of_birth"], "1990-02-28");
    assert_eq!(u["roles"], json!(["learner"]));
    assert_eq!(
        app.post_token("binh@example.vn", PASSWORD).await.status(),
        StatusCode::OK
    );
    let got = body(
        app.get(
            &format!("/api/v1/users/{}", u["id"].as_str().unwrap()),
            &admin,
        )
        .await,
    )
    .await;
    assert_eq!(got["full_name"], "Trần Thị Bình");
}

#[tokio::test]
async fn a_learner_calling_an_admin_route_gets_403_and_nothing_is_created() {
    let app = spawn_app().await;
    let token = app.token_for("an@example.vn", &["learner"]).await;
    let before = app.count("users").await;
    let r = app
        .post_json("/api/v1/users", &token, &learner("x@example.vn"))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(body(r).await["error"], "forbidden");
    assert_eq!(app.count("users").await, before);
    assert_eq!(
        app.get("/api/v1/users", &token).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn without_a_token_the_api_answers_401() {
    let app = spawn_app().await;
    let r = app.api.get(app.url("/api/v1/users")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body(r).await["error"], "unauthorized");
}

#[tokio::test]
async fn a_duplicate_email_is_409_and_a_learner_without_birth_data_is_422() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    assert_eq!(
        app.post_json("/api/v1/users", &admin, &learner("binh@example.vn"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let r = app
        .post_json("/api/v1/users", &admin, &learner("BINH@example.vn"))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(body(r).await["error"], "email_taken");
    let r = app
        .post_json(
            "/api/v1/users",
            &admin,
            &json!({"email": "c@example.vn", "full_name": "Lê Văn C", "roles": ["learner"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body(r).await["field"], "date_of_birth");
    let r = app
        .post_json(
            "/api/v1/users",
            &admin,
            &json!({"email": "bad", "full_name": "Lê Văn C", "roles": ["trainer"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Staff accounts do not need birth data.
    let r = app
        .post_json(
            "/api/v1/users",
            &admin,
            &json!({"email": "gv@example.vn", "full_name": "Lê Văn C", "roles": ["trainer"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_user_created_without_a_password_is_invited_by_mail() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mut l = learner("moi@example.vn");
    l.as_object_mut().unwrap().remove("password");
    assert_eq!(
        app.post_json("/api/v1/users", &admin, &l).await.status(),
        StatusCode::CREATED
    );
    let mails = app.wait_for_mails(1).await;
    assert!(mails[0].contains("moi@example.vn"));
    assert!(
        crate::helpers::link_in(&mails[0], "/password/reset/").is_some(),
        "{}",
        mails[0]
    );
}

#[tokio::test]
async fn users_are_listed_by_unit_subtree_and_unit_managers_see_only_theirs() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let unit = |name: &str, parent: Option<&str>| {
        let mut b = json!({"name": name, "kind": "xã"});
        if let Some(p) = parent {
            b["parent_id"] = json!(p);
        }
        b
    };
    let p1 = body(
        app.post_json(
            "/api/v1/units",
            &admin,
            &json!({"name": "Tỉnh Một", "kind": "tỉnh"}),
        )
        .await,
    )
    .await;
    let p2 = body(
        app.post_json(
            "/api/v1/units",
            &admin,
            &json!({"name": "Tỉnh Hai", "kind": "tỉnh"}),
        )
        .await,
    )
    .await;
    let c1 = body(
        app.post_json("/api/v1/units", &admin, &unit("Xã Một", p1["id"].as_str()))
            .await,
    )
    .await;
    let id = |v: &serde_json::Value| uuid::Uuid::parse_str(v["id"].as_str().unwrap()).unwrap();
    app.create_user_in("a@example.vn", &["learner"], Some(id(&c1)))
        .await;
    app.create_user_in("b@example.vn", &["learner"], Some(id(&p2)))
        .await;
    app.create_user_in("m@example.vn", &["unit_manager"], Some(id(&p1)))
        .await;

    let list = body(
        app.get(
            &format!("/api/v1/users?unit={}", p1["id"].as_str().unwrap()),
            &admin,
        )
        .await,
    )
    .await;
    let emails: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert!(emails.contains(&"a@example.vn") && emails.contains(&"m@example.vn"));
    assert!(!emails.contains(&"b@example.vn"));
    assert_eq!(list["total"], 2);

    let manager = app.token("m@example.vn").await;
    let mine = body(app.get("/api/v1/users", &manager).await).await;
    assert_eq!(mine["total"], 2);
    let r = app
        .get(
            &format!("/api/v1/users?unit={}", p2["id"].as_str().unwrap()),
            &manager,
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Someone outside the manager's units does not exist for them.
    let b = body(app.get("/api/v1/users?q=b@example", &admin).await).await;
    let b_id = b["items"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.get(&format!("/api/v1/users/{b_id}"), &manager)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn paging_follows_the_conventions() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for i in 0..3 {
        app.create_user(&format!("p{i}@example.vn"), &["learner"])
            .await;
    }
    let page = body(app.get("/api/v1/users?per_page=2&page=2", &admin).await).await;
    assert_eq!(page["total"], 4);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let zero = app.get("/api/v1/users?page=0", &admin).await;
    assert_eq!(zero.status(), StatusCode::OK);
    let bad = app.get("/api/v1/users?page=abc", &admin).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body(bad).await["error"], "bad_request");
}

#[tokio::test]
async fn an_admin_edits_a_user_and_deactivating_ends_their_sessions() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let token = app.token_for("an@example.vn", &["learner"]).await;
    let me = body(app.get("/api/v1/me", &token).await).await;
    let path = format!("/api/v1/users/{}", me["id"].as_str().unwrap());
    let patch = |b: serde_json::Value| {
        app.api
            .patch(app.url(&path))
            .bearer_auth(&admin)
            .json(&b)
            .send()
    };
    let r = patch(json!({"job_title": "Tư pháp - hộ tịch", "is_leader": true, "roles": ["learner", "trainer"]})).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let u = body(r).await;
    assert_eq!(u["job_title"], "Tư pháp - hộ tịch");
    assert_eq!(u["is_leader"], true);
    assert_eq!(u["roles"].as_array().unwrap().len(), 2);
    let r = patch(json!({"sex": "unknown"})).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = patch(json!({"is_active": false})).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/me", &token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.post_token("an@example.vn", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // A learner may not edit anyone.
    let other = app.token_for("binh@example.vn", &["learner"]).await;
    let r = app
        .api
        .patch(app.url(&path))
        .bearer_auth(&other)
        .json(&json!({"is_active": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
