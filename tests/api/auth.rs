use base64::Engine;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, json as body, link_in, spawn_app};

#[tokio::test]
async fn token_is_issued_for_the_right_password_and_me_answers_with_roles() {
    let app = spawn_app().await;
    app.create_user("an@example.vn", &["learner", "trainer"])
        .await;
    let r = app.post_token("AN@example.vn ", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let t = body(r).await;
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 12 * 3600);
    let me = body(
        app.get("/api/v1/me", t["access_token"].as_str().unwrap())
            .await,
    )
    .await;
    assert_eq!(me["email"], "an@example.vn");
    assert_eq!(me["full_name"], "Nguyễn Văn An");
    let roles: Vec<&str> = me["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(roles.contains(&"learner") && roles.contains(&"trainer"));
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_401() {
    let app = spawn_app().await;
    app.create_user("an@example.vn", &["learner"]).await;
    let a = app.post_token("an@example.vn", "wrong password!").await;
    let b = app.post_token("nobody@example.vn", "wrong password!").await;
    assert_eq!(a.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(b.status(), StatusCode::UNAUTHORIZED);
    let (a, b) = (body(a).await, body(b).await);
    assert_eq!(a, b);
    assert_eq!(a["error"], "invalid_credentials");
    assert!(a["message"].as_str().unwrap().contains("mật khẩu"));
}

#[tokio::test]
async fn error_messages_follow_accept_language() {
    let app = spawn_app().await;
    let r = app
        .api
        .post(app.url("/api/v1/auth/token"))
        .header("Accept-Language", "en-US,en;q=0.9")
        .json(&json!({"email": "x@example.vn", "password": "nope nope nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(body(r).await["message"], "Wrong e-mail or password.");
}

#[tokio::test]
async fn repeated_failures_lock_the_account_with_429_even_for_the_right_password() {
    let app = spawn_app().await;
    app.create_user("an@example.vn", &["learner"]).await;
    for _ in 0..5 {
        assert_eq!(
            app.post_token("an@example.vn", "wrong password!")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let r = app.post_token("an@example.vn", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("retry-after").is_some());
    assert_eq!(body(r).await["error"], "too_many_attempts");
    // Another account from the same address still logs in: a room shares one address.
    app.create_user("binh@example.vn", &["learner"]).await;
    assert_eq!(
        app.post_token("binh@example.vn", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn many_failures_from_one_address_are_refused() {
    let app = spawn_app_with_address_limit(3).await;
    for i in 0..3 {
        let r = app
            .post_token(&format!("u{i}@example.vn"), "wrong password!")
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = app.post_token("u9@example.vn", "wrong password!").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn spawn_app_with_address_limit(n: i32) -> crate::helpers::TestApp {
    crate::helpers::spawn_app_with(|s| s.auth.address_failures = n).await
}

#[tokio::test]
async fn successful_logins_are_never_limited() {
    let app = crate::helpers::spawn_app_with(|s| s.auth.address_failures = 3).await;
    app.create_user("an@example.vn", &["learner"]).await;
    for _ in 0..10 {
        assert_eq!(
            app.post_token("an@example.vn", PASSWORD).await.status(),
            StatusCode::OK
        );
    }
}

fn b64(v: &serde_json::Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

#[tokio::test]
async fn forged_expired_and_unsigned_tokens_are_refused() {
    let app = spawn_app().await;
    let id = app.create_user("an@example.vn", &["admin"]).await;
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": id, "iat": now, "exp": now + 3600, "sv": 0});
    // Signed with another key.
    let other = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"not the installation's key at all, 32+ bytes"),
    )
    .unwrap();
    // alg: none.
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&claims)
    );
    // Our key but expired: issue with a negative lifetime.
    let keys = ictskills::auth::token::TokenKeys::load(&app.state.db, -120)
        .await
        .unwrap();
    let expired = keys.issue(id, 0).unwrap();
    for bad in [other.as_str(), none.as_str(), expired.as_str(), "garbage"] {
        let r = app.get("/api/v1/me", bad).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "token {bad}");
        assert_eq!(body(r).await["error"], "unauthorized");
    }
    // And the real one works.
    let good = keys_with_ttl(&app, 60).await.issue(id, 0).unwrap();
    assert_eq!(app.get("/api/v1/me", &good).await.status(), StatusCode::OK);
}

async fn keys_with_ttl(
    app: &crate::helpers::TestApp,
    ttl: i64,
) -> ictskills::auth::token::TokenKeys {
    ictskills::auth::token::TokenKeys::load(&app.state.db, ttl)
        .await
        .unwrap()
}

#[tokio::test]
async fn malformed_json_is_a_400_with_a_message() {
    let app = spawn_app().await;
    let r = app
        .api
        .post(app.url("/api/v1/auth/token"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let b = body(r).await;
    assert_eq!(b["error"], "bad_request");
    assert!(!b["message"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn changing_the_password_ends_older_tokens() {
    let app = spawn_app().await;
    let token = app.token_for("an@example.vn", &["learner"]).await;
    let r = app
        .post_json(
            "/api/v1/me/password",
            &token,
            &json!({"current_password": PASSWORD, "new_password": "a brand new secret"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/me", &token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.post_token("an@example.vn", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.post_token("an@example.vn", "a brand new secret")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_short_new_password_is_refused_with_422() {
    let app = spawn_app().await;
    let token = app.token_for("an@example.vn", &["learner"]).await;
    let r = app
        .post_json(
            "/api/v1/me/password",
            &token,
            &json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.post_token("an@example.vn", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn password_reset_link_is_mailed_works_once_and_unknown_emails_look_the_same() {
    let app = spawn_app().await;
    app.create_user("an@example.vn", &["learner"]).await;
    let unknown = app
        .api
        .post(app.url("/api/v1/auth/password-reset"))
        .json(&json!({"email": "ghost@example.vn"}))
        .send()
        .await
        .unwrap();
    let known = app
        .api
        .post(app.url("/api/v1/auth/password-reset"))
        .json(&json!({"email": "an@example.vn"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::ACCEPTED);
    assert_eq!(known.status(), StatusCode::ACCEPTED);
    let mails = app.wait_for_mails(1).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("an@example.vn"));
    let link = link_in(&mails[0], "/password/reset/").expect("reset link in the mail");
    let token = link.rsplit('/').next().unwrap().to_string();
    let confirm = |pw: &str| {
        app.api
            .post(app.url("/api/v1/auth/password-reset/confirm"))
            .json(&json!({"token": token, "password": pw}))
            .send()
    };
    assert_eq!(
        confirm("my new password 1").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        app.post_token("an@example.vn", "my new password 1")
            .await
            .status(),
        StatusCode::OK
    );
    // Used once: a second use fails.
    assert_eq!(
        confirm("another password 2").await.unwrap().status(),
        StatusCode::GONE
    );
}
