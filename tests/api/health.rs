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
