use std::process::Command;

use reqwest::StatusCode;

use crate::helpers::spawn_app;

/// The binary, pointed at the test app's data dir and database.
pub(crate) fn cli(app: &crate::helpers::TestApp) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ictskills"));
    c.arg("--data-dir")
        .arg(&app.data_dir)
        .arg("--config-dir")
        .arg(app.data_dir.join("none"));
    c.env_remove("DATABASE_URL");
    if let Some(url) = &app.database_url {
        c.env("DATABASE_URL", url);
    }
    c
}

#[tokio::test]
async fn create_user_makes_an_admin_who_can_log_in() {
    let app = spawn_app().await;
    let out = cli(&app)
        .args([
            "create-user",
            "--email",
            "boss@example.vn",
            "--full-name",
            "Lê Thị Sếp",
            "--role",
            "admin",
        ])
        .env("ICTSKILLS_PASSWORD", "a very good password")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        app.post_token("boss@example.vn", "a very good password")
            .await
            .status(),
        StatusCode::OK
    );
    // The same e-mail again fails with a clear message.
    let out = cli(&app)
        .args([
            "create-user",
            "--email",
            "boss@example.vn",
            "--full-name",
            "X",
            "--role",
            "admin",
            "--password",
            "another good one",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already used"));
}

#[tokio::test]
async fn import_errors_name_the_file_and_line_and_write_nothing() {
    let app = spawn_app().await;
    std::fs::create_dir_all(&app.data_dir).unwrap();
    let file = app.data_dir.join("units.csv");
    std::fs::write(
        &file,
        "code,name,kind,parent_code\n01,Hà Nội,tỉnh,\n00070,Phường Hoàn Kiếm,phường,99\n",
    )
    .unwrap();
    let out = cli(&app).arg("import-units").arg(&file).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:3:", file.display())), "{err}");
    assert_eq!(app.count("units").await, 0);

    std::fs::write(
        &file,
        "code,name,kind,parent_code\n01,Hà Nội,tỉnh,\n00070,Phường Hoàn Kiếm,phường,01\n",
    )
    .unwrap();
    let out = cli(&app).arg("import-units").arg(&file).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(app.count("units").await, 2);

    let roster = app.data_dir.join("roster.csv");
    std::fs::write(&roster, "họ và tên,ngày sinh,nơi sinh,giới tính,email,số điện thoại,đơn vị,chức danh,lãnh đạo\nĐỗ Văn Tư,1/2/1980,Huế,Nam,tu@example.vn,,00070,,\n").unwrap();
    let out = cli(&app).arg("import-users").arg(&roster).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created 1"));
}

#[tokio::test]
async fn migrate_runs_on_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_ictskills"));
    c.arg("--data-dir")
        .arg(dir.path())
        .arg("--config-dir")
        .arg(dir.path())
        .arg("migrate");
    c.env_remove("DATABASE_URL");
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("ictskills.db").exists());
}

#[tokio::test]
async fn serve_starts_loads_the_shipped_content_and_stops_cleanly_on_sigterm() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ictskills"))
        .arg("--data-dir")
        .arg(dir.path())
        .arg("--config-dir")
        .arg(dir.path())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut port = None;
    let mut setup_link = false;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while port.is_none() && std::time::Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(std::time::Duration::from_millis(200)) {
            setup_link |= line.contains("/setup/");
            if let Some(i) = line.find("(port ") {
                port = line[i + 6..]
                    .split(')')
                    .next()
                    .and_then(|p| p.parse::<u16>().ok());
            }
        }
    }
    let port = port.expect("the service says where it listens");
    assert!(setup_link, "a fresh install prints a one-time setup link");
    let health = reqwest::get(format!("http://127.0.0.1:{port}/health"))
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let mut exited = None;
    for _ in 0..100 {
        if let Some(s) = child.try_wait().unwrap() {
            exited = Some(s);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let exited = exited.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("serve did not stop within 10 s of SIGTERM")
    });
    assert!(exited.success(), "exit status {exited:?}");
    // The shipped content was loaded into the SQLite file.
    let db = sea_orm::Database::connect(format!(
        "sqlite://{}?mode=ro",
        dir.path().join("ictskills.db").display()
    ))
    .await
    .unwrap();
    use sea_orm::ConnectionTrait;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM questions WHERE status = 'ready'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert!(row.try_get::<i64>("", "n").unwrap() >= 360);
}
