use std::path::PathBuf;
use std::time::Duration;

use actix_web::web::Data;
use ictskills::configuration::{Secret, Settings};
use ictskills::services::accounts::{self, UserInput};
use ictskills::startup::{AppState, Application};
use reqwest::{Client, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub address: String,
    /// A client that keeps cookies, like a browser.
    pub browser: Client,
    /// A client without cookies, like an API script.
    pub api: Client,
    pub state: Data<AppState>,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    _dir: tempfile::TempDir,
    /// Dropped with the app: the per-test PostgreSQL database goes too.
    _pg: Option<PgDatabase>,
}

/// A PostgreSQL database that lives as long as the test.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

/// A fresh PostgreSQL database when TEST_DATABASE_URL is set.
pub async fn pg_database() -> Option<PgDatabase> {
    let admin_url = std::env::var("TEST_DATABASE_URL").ok()?;
    if admin_url.trim().is_empty() {
        return None;
    }
    let name = format!("ictskills_test_{}", Uuid::new_v4().simple());
    let admin = Database::connect(&admin_url)
        .await
        .expect("TEST_DATABASE_URL must answer");
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap();
    let _ = admin.close().await;
    let url = with_database(&admin_url, &name);
    Some(PgDatabase {
        admin_url,
        name,
        url,
    })
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(db) = Database::connect(&admin_url).await {
                    let _ = db
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                }
            });
        })
        .join();
    }
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{name}?{q}"),
        None => format!("{host_part}/{name}"),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        ictskills::telemetry::init("info,sqlx=warn");
    }
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::load(&dir.path().join("no-config")).unwrap();
    settings.data_dir = dir.path().join("data");
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.base_url = None;
    settings.mail.poll_interval_ms = 100;
    settings.site.setup_link_on_start = false;
    settings.reminders.enabled = false;
    settings.smtp.host = None;
    settings.database.max_connections = 5;
    let pg = pg_database().await;
    settings.database.url = pg.as_ref().map(|p| Secret::new(p.url.clone()));
    tweak(&mut settings);
    let database_url = settings
        .database
        .url
        .as_ref()
        .map(|u| u.expose().to_string());
    let data_dir = settings.data_dir.clone();
    let app = Application::build(settings)
        .await
        .expect("application builds");
    let port = app.port();
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        browser: Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        api: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        state,
        data_dir,
        database_url,
        _dir: dir,
        _pg: pg,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Creates a user directly (as an admin would) and returns its id.
    pub async fn create_user(&self, email: &str, roles: &[&str]) -> Uuid {
        self.create_user_in(email, roles, None).await
    }

    pub async fn create_user_in(&self, email: &str, roles: &[&str], unit: Option<Uuid>) -> Uuid {
        let input = UserInput {
            email: email.into(),
            full_name: "Nguyễn Văn An".into(),
            date_of_birth: Some("1985-04-12".into()),
            place_of_birth: Some("Hà Nội".into()),
            sex: Some("male".into()),
            unit_id: unit,
            roles: roles.iter().map(|r| r.to_string()).collect(),
            password: Some(PASSWORD.into()),
            ..Default::default()
        };
        accounts::create_user(&self.state.db, &self.state.settings, input)
            .await
            .unwrap()
            .user
            .id
    }

    pub async fn post_token(&self, email: &str, password: &str) -> Response {
        self.api
            .post(self.url("/api/v1/auth/token"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// An access token for a new user with `roles`.
    pub async fn token_for(&self, email: &str, roles: &[&str]) -> String {
        self.create_user(email, roles).await;
        self.token(email).await
    }

    pub async fn token(&self, email: &str) -> String {
        let r = self.post_token(email, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::OK, "login of {email}");
        let body: Value = r.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    pub async fn admin_token(&self) -> String {
        self.token_for("admin@example.vn", &["admin"]).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.api
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> Response {
        self.api
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_bytes(&self, path: &str, token: &str, bytes: Vec<u8>) -> Response {
        self.api
            .post(self.url(path))
            .bearer_auth(token)
            .body(bytes)
            .send()
            .await
            .unwrap()
    }

    /// Another browser (its own cookies), logged in as `email` through the form.
    pub async fn logged_in_browser(&self, email: &str) -> Client {
        let browser = Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let page = browser
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = csrf_in(&page).unwrap();
        let r = browser
            .post(self.url("/login"))
            .form(&[
                ("email", email),
                ("password", PASSWORD),
                ("csrf_token", csrf.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login of {email}");
        browser
    }

    /// Loads a page in the browser client and returns the CSRF token of its forms.
    pub async fn csrf(&self, path: &str) -> String {
        let html = self
            .browser
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        csrf_in(&html).unwrap_or_else(|| panic!("no CSRF field on {path}"))
    }

    /// Logs the browser client in through the login form.
    pub async fn web_login(&self, email: &str, password: &str) -> Response {
        let csrf = self.csrf("/login").await;
        self.browser
            .post(self.url("/login"))
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf_token", &csrf),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap()
    }

    /// The `.eml` files the mail worker wrote, waiting up to 5 s for `n`.
    pub async fn wait_for_mails(&self, n: usize) -> Vec<String> {
        let dir = self.data_dir.join("outbox");
        for _ in 0..100 {
            let mails = read_mails(&dir);
            if mails.len() >= n {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "expected {n} e-mails in {}, found {}",
            dir.display(),
            read_mails(&dir).len()
        );
    }

    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .state
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.state.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }
}

fn read_mails(dir: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    out.sort();
    out
}

pub fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// The text body of a raw message, decoded from base64 when so encoded.
pub fn mail_body(raw: &str) -> String {
    use base64::Engine;
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .or_else(|| raw.split_once("\n\n"))
        .unwrap_or((raw, ""));
    if head
        .to_ascii_lowercase()
        .contains("content-transfer-encoding: base64")
    {
        let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .unwrap();
        String::from_utf8(bytes).unwrap()
    } else {
        body.replace("=\r\n", "")
            .replace("=\n", "")
            .replace("=3D", "=")
    }
}

/// The first link to `path_prefix` in an e-mail.
pub fn link_in(mail: &str, path_prefix: &str) -> Option<String> {
    let text = mail_body(mail);
    let start = text.find("http://")?;
    let rest = &text[start..];
    let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
    let link = &rest[..end];
    link.contains(path_prefix).then(|| link.to_string())
}

pub async fn json(r: Response) -> Value {
    r.json().await.unwrap()
}

/// A graded attempt (passed or not) in a session of the basic blueprint.
pub async fn graded_attempt(app: &TestApp, session: Uuid, user: &str, passed: bool) -> Uuid {
    use ictskills::entities::attempt;
    use sea_orm::{ActiveModelTrait, Set};
    let now = chrono::Utc::now();
    attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session),
        user_id: Set(Uuid::parse_str(user).unwrap()),
        number: Set(1),
        state: Set("graded".into()),
        seed: Set(1),
        started_at: Set(now - chrono::Duration::minutes(40)),
        deadline: Set(now - chrono::Duration::minutes(10)),
        finished_at: Set(Some(now - chrono::Duration::minutes(12))),
        score: Set(Some(if passed { 8.0 } else { 3.0 })),
        correct: Set(Some(if passed { 24 } else { 9 })),
        total: Set(30),
        passed: Set(Some(passed)),
        ip: Set(None),
        user_agent: Set(None),
    }
    .insert(&app.state.db)
    .await
    .unwrap()
    .id
}

pub async fn basic_session(app: &TestApp) -> Uuid {
    use ictskills::entities::exam_session;
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let bp = ictskills::entities::blueprint::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.name == "Basic theory exam")
        .unwrap();
    let now = chrono::Utc::now();
    exam_session::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set("Ca báo cáo".into()),
        blueprint_id: Set(bp.id),
        course_id: Set(None),
        opens_at: Set(now - chrono::Duration::hours(1)),
        closes_at: Set(now + chrono::Duration::hours(1)),
        access_code: Set(None),
        ip_allow: Set("[]".into()),
        attempts_allowed: Set(1),
        review: Set(r#"{"show":"score","from":"finish"}"#.into()),
        issue_mode: Set("on_grading".into()),
        registration: Set("open".into()),
        created_by: Set(None),
        created_at: Set(now),
        approved_at: Set(None),
        approved_by: Set(None),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap()
    .id
}
