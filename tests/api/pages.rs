use reqwest::StatusCode;

use crate::helpers::{PASSWORD, csrf_in, spawn_app};

#[tokio::test]
async fn the_login_page_is_vietnamese_by_default_and_english_on_request() {
    let app = spawn_app().await;
    let html = app
        .browser
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Đăng nhập"));
    assert!(html.contains("lang=\"vi\""));
    let r = app
        .browser
        .get(app.url("/lang/en?next=/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = app
        .browser
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Log in"));
    assert!(html.contains("lang=\"en\""));
}

#[tokio::test]
async fn pages_need_a_login_and_an_admin_logs_in_through_the_form() {
    let app = spawn_app().await;
    app.create_user("admin@example.vn", &["admin"]).await;
    let r = app
        .browser
        .get(app.url("/admin/units"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login?next=")
    );
    let r = app.web_login("admin@example.vn", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_string())
        .find(|c| c.starts_with("ictskills_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let home = app.browser.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    let html = home.text().await.unwrap();
    assert!(html.contains("Nguyễn Văn An"));
    assert!(html.contains("/admin/units"));
    assert_eq!(
        app.browser
            .get(app.url("/admin/units"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.browser
            .get(app.url("/admin/users"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.browser
            .get(app.url("/admin/users/import"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.browser
            .get(app.url("/admin/users/new"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.browser
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_wrong_password_on_the_form_shows_an_error_with_401() {
    let app = spawn_app().await;
    app.create_user("an@example.vn", &["learner"]).await;
    let r = app.web_login("an@example.vn", "not the password").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Email hoặc mật khẩu không đúng.")
    );
}

#[tokio::test]
async fn a_form_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    app.create_user("an@example.vn", &["learner"]).await;
    let _ = app.csrf("/login").await;
    let r = app
        .browser
        .post(app.url("/login"))
        .form(&[
            ("email", "an@example.vn"),
            ("password", PASSWORD),
            ("csrf_token", "forged-token-forged-token-forged-token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Logged in, a state change without the token is refused too.
    assert_eq!(
        app.web_login("an@example.vn", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let r = app
        .browser
        .post(app.url("/account/password"))
        .form(&[
            ("current_password", PASSWORD),
            ("new_password", "whatever123456"),
            ("confirm_password", "whatever123456"),
            ("csrf_token", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.post_token("an@example.vn", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_api_with_a_session_cookie_needs_the_csrf_header_for_changes() {
    let app = spawn_app().await;
    app.create_user("admin@example.vn", &["admin"]).await;
    app.web_login("admin@example.vn", PASSWORD).await;
    // Reading with the cookie is fine.
    assert_eq!(
        app.browser
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let body = serde_json::json!({"name": "Xã Thử", "kind": "xã"});
    let r = app
        .browser
        .post(app.url("/api/v1/units"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let csrf = app.csrf("/").await;
    let r = app
        .browser
        .post(app.url("/api/v1/units"))
        .header("X-CSRF-Token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_learner_gets_a_403_page_on_admin_pages() {
    let app = spawn_app().await;
    app.create_user("an@example.vn", &["learner"]).await;
    app.web_login("an@example.vn", PASSWORD).await;
    let r = app
        .browser
        .get(app.url("/admin/units"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.text().await.unwrap().contains("Không có quyền"));
}

#[tokio::test]
async fn an_unknown_page_is_a_404_page() {
    let app = spawn_app().await;
    let r = app
        .browser
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("Không tìm thấy trang"));
}

#[tokio::test]
async fn the_first_admin_is_created_from_the_one_time_setup_link() {
    let app = spawn_app().await;
    let link =
        ictskills::services::accounts::setup_link_if_no_admin(&app.state.db, &app.state.settings)
            .await
            .unwrap()
            .expect("no admin yet, so a link");
    let path = link.trim_start_matches(&app.address).to_string();
    let csrf = app.csrf(&path).await;
    let form = [
        ("csrf_token", csrf.as_str()),
        ("email", "root@example.vn"),
        ("full_name", "Quản Trị Viên"),
        ("new_password", "a long admin password"),
        ("confirm_password", "a long admin password"),
    ];
    let r = app
        .browser
        .post(app.url(&path))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let token = {
        let r = app
            .post_token("root@example.vn", "a long admin password")
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        r.json::<serde_json::Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let me: serde_json::Value = app.get("/api/v1/me", &token).await.json().await.unwrap();
    assert_eq!(me["roles"], serde_json::json!(["admin"]));
    // The link worked once; and with an admin present no new link is made.
    let again = app.browser.get(app.url(&path)).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::GONE);
    let none =
        ictskills::services::accounts::setup_link_if_no_admin(&app.state.db, &app.state.settings)
            .await
            .unwrap();
    assert!(none.is_none());
}

#[tokio::test]
async fn the_roster_page_previews_then_imports() {
    let app = spawn_app().await;
    app.create_user("admin@example.vn", &["admin"]).await;
    ictskills::seed::units_on_first_start(&app.state.db)
        .await
        .unwrap();
    app.web_login("admin@example.vn", PASSWORD).await;
    let csrf = app.csrf("/admin/users/import").await;
    let template = app
        .browser
        .get(app.url("/admin/users/import/template.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(template.status(), StatusCode::OK);
    let bytes = template.bytes().await.unwrap().to_vec();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf.clone())
        .text("dry_run", "1")
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("mau.xlsx"),
        );
    let r = app
        .browser
        .post(app.url("/admin/users/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert_eq!(app.count("users").await, 1, "a preview writes nothing");
    let b64_marker = "name=\"content_b64\" value=\"";
    let start = html.find(b64_marker).expect("confirm form") + b64_marker.len();
    let content = &html[start..start + html[start..].find('"').unwrap()];
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf_in(&html).unwrap())
        .text("content_b64", content.to_string());
    let r = app
        .browser
        .post(app.url("/admin/users/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.count("users").await, 3);
}

#[tokio::test]
async fn an_admin_edits_a_user_on_the_web() {
    let app = spawn_app().await;
    app.create_user("admin@example.vn", &["admin"]).await;
    let id = app.create_user("an@example.vn", &["learner"]).await;
    app.web_login("admin@example.vn", PASSWORD).await;
    let path = format!("/admin/users/{id}");
    let csrf = app.csrf(&path).await;
    let form = [
        ("csrf_token", csrf.as_str()),
        ("full_name", "Nguyễn Văn Anh"),
        ("date_of_birth", "12/04/1985"),
        ("place_of_birth", "Hà Nội"),
        ("sex", "male"),
        ("unit", ""),
        ("job_title", "Địa chính - xây dựng"),
        ("role", "learner"),
        ("is_active", "1"),
    ];
    let r = app
        .browser
        .post(app.url(&path))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = app
        .browser
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Nguyễn Văn Anh"));
    assert!(html.contains("Địa chính - xây dựng"));
    assert!(html.replace("&#x2F;", "/").contains("12/04/1985"));
    // A bad date re-renders the form with a 422 and the message.
    let bad = [
        ("csrf_token", csrf.as_str()),
        ("full_name", "X Y"),
        ("date_of_birth", "31/02/1985"),
        ("role", "learner"),
        ("is_active", "1"),
    ];
    let r = app
        .browser
        .post(app.url(&path))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[test]
fn both_catalogues_have_the_same_keys_and_cover_every_template_key() {
    let load = |f: &str| -> std::collections::BTreeMap<String, String> {
        toml::from_str(
            &std::fs::read_to_string(format!("{}/locales/{f}", env!("CARGO_MANIFEST_DIR")))
                .unwrap(),
        )
        .unwrap()
    };
    let (vi, en) = (load("vi.toml"), load("en.toml"));
    let vk: Vec<_> = vi.keys().collect();
    let ek: Vec<_> = en.keys().collect();
    assert_eq!(vk, ek, "vi.toml and en.toml must list the same keys");
    let mut stack = vec![std::path::PathBuf::from(format!(
        "{}/templates",
        env!("CARGO_MANIFEST_DIR")
    ))];
    while let Some(p) = stack.pop() {
        for e in std::fs::read_dir(&p).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let mut rest = text.as_str();
            while let Some(i) = rest.find("t.") {
                let before = rest[..i].chars().last();
                rest = &rest[i + 2..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                    continue;
                }
                let key: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if !key.is_empty() {
                    assert!(
                        vi.contains_key(&key),
                        "{}: t.{key} is not in the catalogue",
                        path.display()
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_no_template_inlines_code() {
    let app = crate::helpers::spawn_app().await;
    for path in [
        "/login",
        "/health",
        "/api/v1/me",
        "/no-such-page",
        "/static/js/exam.js",
    ] {
        let r = app.api.get(app.url(path)).send().await.unwrap();
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self';"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        // Served over plain HTTP here: no HSTS.
        assert!(h.get("strict-transport-security").is_none(), "{path}");
    }
    // The CSP forbids inline scripts and styles: the templates have none.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut stack = vec![dir];
    let mut seen = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            seen += 1;
            assert!(
                !text.contains("<script>"),
                "inline script in {}",
                p.display()
            );
            assert!(
                !text.contains(" style=\""),
                "inline style in {}",
                p.display()
            );
            assert!(
                !text.contains(" onclick="),
                "inline handler in {}",
                p.display()
            );
        }
    }
    assert!(seen > 20);
}

#[tokio::test]
async fn hsts_is_sent_when_the_installation_is_served_over_https() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.server.base_url = Some("https://thi.example.vn".into());
    })
    .await;
    let r = app.api.get(app.url("/login")).send().await.unwrap();
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    // Cookies are Secure too: the CSRF cookie of the form, and the session.
    let csrf_cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("csrf="))
        .unwrap();
    assert!(csrf_cookie.contains("Secure"), "{csrf_cookie}");
    let html = r.text().await.unwrap();
    let token = crate::helpers::csrf_in(&html).unwrap();
    app.create_user("s@example.vn", &["learner"]).await;
    let r = app
        .api
        .post(app.url("/login"))
        .header("Cookie", format!("csrf={token}"))
        .form(&[
            ("email", "s@example.vn"),
            ("password", crate::helpers::PASSWORD),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| !c.starts_with("csrf=") && !c.starts_with("flash="))
        .unwrap_or_else(|| panic!("no session cookie: {:?}", r.headers()));
    assert!(
        session.contains("Secure") && session.contains("HttpOnly"),
        "{session}"
    );
}
