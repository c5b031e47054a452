use reqwest::StatusCode;

use crate::helpers::{json, spawn_app};

#[tokio::test]
async fn health_checks_the_database() {
    let app = spawn_app().await;
    let r = app.api.get(app.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let b = json(r).await;
    assert_eq!(b["database"], "ok");
}

#[tokio::test]
async fn openapi_documents_every_api_route_of_the_foundation() {
    let app = spawn_app().await;
    let r = app
        .api
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let doc = json(r).await;
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/auth/token", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/users", "get"),
        ("/api/v1/users/import", "post"),
        ("/api/v1/users/{id}", "get"),
        ("/api/v1/units", "post"),
        ("/api/v1/units", "get"),
        ("/api/v1/units/import", "post"),
        ("/api/v1/questions/import", "post"),
        ("/api/v1/questions", "get"),
        ("/api/v1/questions/{id}", "get"),
        ("/api/v1/questions/export", "get"),
        ("/api/v1/questions/{id}/approve", "post"),
        ("/api/v1/courses", "get"),
        ("/api/v1/lessons/{id}", "get"),
        ("/api/v1/lessons/{id}/open", "post"),
        ("/api/v1/lessons/{id}/complete", "post"),
        ("/api/v1/classes", "post"),
        ("/api/v1/classes/{id}/enrolments", "post"),
        ("/api/v1/classes/{id}/attendance", "post"),
        ("/api/v1/classes/{id}/exceptions", "post"),
        ("/api/v1/classes/{id}/progress", "get"),
        ("/api/v1/me/progress", "get"),
        ("/api/v1/exam-sessions/{id}/approve", "post"),
        ("/api/v1/certificates/{code}", "get"),
        ("/api/v1/certificates/{code}/credential", "get"),
        ("/api/v1/certificates/{code}/pdf", "get"),
        ("/api/v1/status-lists/{id}", "get"),
        ("/api/v1/me/certificates", "get"),
        ("/api/v1/certificates/revoke", "post"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    assert!(paths.keys().all(|p| p.starts_with("/api/v1/")));
}

#[tokio::test]
async fn the_docs_page_is_served_from_the_binary() {
    let app = spawn_app().await;
    let r = app.api.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("swagger"));
    assert!(!html.contains("cdn."), "docs must not load from a CDN");
}

#[tokio::test]
async fn unknown_api_paths_answer_json_404() {
    let app = spawn_app().await;
    let r = app
        .api
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(json(r).await["error"], "not_found");
}

#[tokio::test]
async fn the_openapi_document_tells_the_shared_error_answers() {
    let app = spawn_app().await;
    let doc = json(
        app.api
            .get(app.url("/api/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    assert!(schemas.contains_key("ErrorBody"));
    // Two services each have a `BoardRow`: the document must keep both.
    assert!(schemas["BoardRow"]["properties"].get("user_id").is_some());
    assert!(
        schemas["MarkingBoardRow"]["properties"]
            .get("submission_id")
            .is_some()
    );
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            let has = |code: &str| responses.contains_key(code);
            if op.get("security").is_some() {
                assert!(has("401"), "{method} {path} does not document 401");
            }
            if path.contains('{') {
                assert!(has("404"), "{method} {path} does not document 404");
            }
            if op
                .get("requestBody")
                .is_some_and(|b| b["content"].get("application/json").is_some())
            {
                assert!(has("400"), "{method} {path} does not document 400");
            }
        }
    }
}

#[tokio::test]
async fn inputs_found_by_the_api_fuzzer_get_4xx_not_5xx() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // A page number whose offset overflows 64 bits used to panic the worker.
    for path in [
        "/api/v1/units?page=9223372036854775808",
        "/api/v1/users?page=9223372036854775808&per_page=500",
        "/api/v1/questions?page=18446744073709551615",
        "/api/v1/certificates?page=9223372036854775808",
    ] {
        let r = app.get(path, &admin).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let b = json(r).await;
        assert_eq!(b["items"].as_array().map(Vec::len), Some(0), "{path}");
    }
    // PostgreSQL cannot store NUL: 400 with the error shape there, never 500.
    for (path, body) in [
        (
            "/api/v1/units",
            serde_json::json!({"name": "a\u{0}b", "kind": "province"}),
        ),
        (
            "/api/v1/auth/token",
            serde_json::json!({"email": "x\u{0}@example.vn", "password": "0123456789"}),
        ),
    ] {
        let r = app.post_json(path, &admin, &body).await;
        assert!(
            r.status().is_client_error() || r.status().is_success(),
            "{path}: {}",
            r.status()
        );
        if r.status() == StatusCode::BAD_REQUEST {
            let b = json(r).await;
            assert_eq!(b["error"], "bad_request");
            assert!(b["message"].as_str().is_some_and(|m| m.contains("NUL")));
        }
    }
    let r = app.get("/api/v1/users?q=a%00b", &admin).await;
    assert!(r.status() == StatusCode::OK || r.status() == StatusCode::BAD_REQUEST);
}
