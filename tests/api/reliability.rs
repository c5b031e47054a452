//! Issue 10's cross-cutting properties: the tamper-evident record, backup
//! and restore, and what survives a kill.
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use serde_json::json;

use crate::certificates::pass;
use crate::cli::cli;
use crate::exams::exam;
use crate::helpers::json as body;

async fn exec(app: &crate::helpers::TestApp, sql: &str) {
    app.state.db.execute_unprepared(sql).await.unwrap();
}

#[tokio::test]
async fn the_audit_chain_names_the_first_entry_edited_behind_its_back() {
    use ictskills::entities::audit_log;
    use ictskills::services::audit;
    let e = exam(json!({}), json!({})).await;
    let attempt = pass(&e).await;
    let mine = body(e.app.get("/api/v1/me/certificates", &e.learner).await).await;
    let code = mine["items"][0]["code"].as_str().unwrap().to_string();
    let r = e
        .app
        .post_json(
            "/api/v1/certificates/revoke",
            &e.admin,
            &json!({"codes": [code], "reason": "issuer_error", "note": "Nhập nhầm"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    audit::seal_all(&e.app.state.db).await.unwrap();
    let entries = audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Seq)
        .all(&e.app.state.db)
        .await
        .unwrap();
    let kinds: Vec<&str> = entries.iter().map(|x| x.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "attempt.graded",
            "certificate.issued",
            "certificate.revoked"
        ],
        "{entries:?}"
    );
    assert_eq!(entries[0].subject_id, attempt);
    let graded: serde_json::Value = serde_json::from_str(&entries[0].data).unwrap();
    assert_eq!(graded["passed"], true);
    assert!(entries[2].actor_id.is_some());
    let ok = audit::verify(&e.app.state.db).await.unwrap();
    assert_eq!((ok.verified, ok.pending, ok.broken), (3, 0, None));

    // The command line agrees.
    let out = cli(&e.app).args(["audit", "verify"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("3 entries verified"), "{stdout}");
    assert!(stdout.contains(&ok.head_hash), "{stdout}");

    // Someone raises the score in the database directly.
    let original = entries[0].data.clone();
    exec(
        &e.app,
        &format!(
            "UPDATE audit_log SET data = '{}' WHERE seq = 1",
            original.replace("true", "false")
        ),
    )
    .await;
    let out = cli(&e.app).args(["audit", "verify"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("BROKEN at entry 1"), "{stderr}");
    assert!(stderr.contains("attempt.graded"), "{stderr}");
    assert!(stderr.contains("changed after it was recorded"), "{stderr}");

    // Put back, it verifies again; delete the middle entry and the gap shows.
    exec(
        &e.app,
        &format!(
            "UPDATE audit_log SET data = '{}' WHERE seq = 1",
            original.replace('\'', "''")
        ),
    )
    .await;
    assert!(
        audit::verify(&e.app.state.db)
            .await
            .unwrap()
            .broken
            .is_none()
    );
    exec(&e.app, "DELETE FROM audit_log WHERE seq = 2").await;
    let v = audit::verify(&e.app.state.db).await.unwrap();
    let b = v.broken.unwrap();
    assert_eq!((b.seq, v.verified), (2, 1));
    assert!(b.reason.contains("missing"), "{}", b.reason);

    // Re-hashing an edited entry is not enough: its successor's link breaks.
    exec(&e.app, "DELETE FROM audit_log").await;
    let r = e
        .app
        .post_json(
            &format!("/api/v1/certificates/{code}/reinstate"),
            &e.admin,
            &json!({"reason": "Quyết định thu hồi bị hủy bỏ"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    ictskills::services::audit::record(
        &e.app.state.db,
        None,
        "test.second",
        "test",
        "x",
        json!({}),
    )
    .await
    .unwrap();
    audit::seal_all(&e.app.state.db).await.unwrap();
    let first = audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Seq)
        .one(&e.app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut forged = first.clone();
    forged.data = r#"{"note":"forged"}"#.into();
    let rehash = audit::entry_hash(1, audit::GENESIS, &forged);
    exec(
        &e.app,
        &format!(
            "UPDATE audit_log SET data = '{}', hash = '{rehash}' WHERE seq = 1",
            forged.data
        ),
    )
    .await;
    let b = audit::verify(&e.app.state.db)
        .await
        .unwrap()
        .broken
        .unwrap();
    assert_eq!(b.seq, 2);
    assert!(b.reason.contains("link"), "{}", b.reason);
}

#[tokio::test]
async fn a_backup_taken_mid_exam_restores_everything_up_to_that_moment() {
    let e = exam(json!({}), json!({})).await;
    let file = e.app.data_dir.join("../backups/mid-exam.zip");
    if e.app.database_url.is_some() {
        // PostgreSQL installations use pg_dump; the command says so.
        let out = cli(&e.app)
            .args(["backup", file.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(stderr.contains("pg_dump"), "{stderr}");
        return;
    }
    assert_eq!(e.register().await.status(), StatusCode::CREATED);
    let paper = body(e.start(json!({})).await).await;
    let id = paper["id"].as_str().unwrap().to_string();
    let questions = paper["questions"].as_array().unwrap().clone();
    let first = |q: &serde_json::Value| json!([q["options"][0]["id"]]);
    for q in &questions[..5] {
        let r = e
            .save(&e.learner, &id, q["position"].as_i64().unwrap(), first(q))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let jwks = body(
        e.app
            .api
            .get(e.app.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;

    // Taken while the service runs and keeps writing.
    let writer = {
        let (app_url, token, id, qs) = (
            e.app.address.clone(),
            e.learner.clone(),
            id.clone(),
            questions[5..10].to_vec(),
        );
        tokio::spawn(async move {
            let c = reqwest::Client::new();
            for q in qs {
                let p = q["position"].as_i64().unwrap();
                c.put(format!("{app_url}/api/v1/attempts/{id}/answers/{p}"))
                    .bearer_auth(&token)
                    .json(&json!({"option_ids": [q["options"][1]["id"]]}))
                    .send()
                    .await
                    .unwrap();
            }
        })
    };
    // Mail waiting in the outbox folder goes along.
    let outbox = e.app.data_dir.join("outbox");
    std::fs::create_dir_all(&outbox).unwrap();
    std::fs::write(outbox.join("waiting.eml"), "Subject: x\r\n\r\nchờ gửi").unwrap();
    let out = cli(&e.app)
        .args(["backup", file.to_str().unwrap()])
        .output()
        .unwrap();
    writer.await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(file.exists());
    // What was saved after the copy is not in it; what came before is.
    let after = body(
        e.app
            .get(&format!("/api/v1/attempts/{id}"), &e.learner)
            .await,
    )
    .await;
    assert_eq!(after["answers"].as_object().unwrap().len(), 10);

    let restored_dir = tempfile::tempdir().unwrap();
    let data = restored_dir.path().join("data");
    let restore = |force: bool| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_ictskills"));
        c.args(["--data-dir", data.to_str().unwrap(), "--config-dir"])
            .arg(restored_dir.path().join("none"))
            .args(["restore", file.to_str().unwrap()]);
        if force {
            c.arg("--force");
        }
        c.env_remove("DATABASE_URL").output().unwrap()
    };
    let out = restore(false);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(data.join("outbox/waiting.eml")).unwrap(),
        "Subject: x\r\n\r\nchờ gửi".as_bytes()
    );
    // Not over an existing installation without --force.
    let out = restore(false);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    // A damaged archive is refused and the installation is left alone.
    let broken = restored_dir.path().join("broken.zip");
    std::fs::write(&broken, b"PK\x03\x04 not really").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ictskills"))
        .args(["--data-dir", data.to_str().unwrap(), "restore", "--force"])
        .arg(&broken)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.zip"));

    let data2 = data.clone();
    let back = crate::helpers::spawn_app_with(move |s| s.data_dir = data2).await;
    let learner = back.token("ts@example.vn").await;
    let v = body(back.get(&format!("/api/v1/attempts/{id}"), &learner).await).await;
    assert_eq!(v["state"], "in_progress");
    assert_eq!(v["deadline"], paper["deadline"]);
    let answers = v["answers"].as_object().unwrap();
    for q in &questions[..5] {
        let p = q["position"].to_string();
        assert_eq!(answers[&p], first(q), "position {p}");
    }
    // The concurrent writer's saves are either in (before the copy) or not,
    // never half: every stored answer is one that was sent.
    for q in &questions[5..10] {
        let p = q["position"].to_string();
        if let Some(a) = answers.get(&p) {
            assert_eq!(a, &json!([q["options"][1]["id"]]));
        }
    }
    assert_eq!(
        v["questions"], paper["questions"],
        "the same paper comes back"
    );
    // The keys came along: credentials issued before still verify.
    let jwks_back = body(
        back.api
            .get(back.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(jwks_back, jwks);
    // The restored copy can go on: the candidate saves and submits.
    let r = back
        .api
        .post(back.url(&format!("/api/v1/attempts/{id}/submit")))
        .bearer_auth(&learner)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// A TCP relay to PostgreSQL that can be cut and restored.
struct Relay {
    port: u16,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    conns: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Relay {
    async fn start(upstream: String) -> Relay {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let conns = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (up2, conns2) = (up.clone(), conns.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound); // unreachable: the connection closes at once
                    continue;
                }
                let upstream = upstream.clone();
                let h = tokio::spawn(async move {
                    if let Ok(mut out) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                conns2.lock().unwrap().push(h.abort_handle());
            }
        });
        Relay { port, up, conns }
    }

    fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

async fn sqlite_locker(app: &crate::helpers::TestApp) -> sea_orm::DatabaseConnection {
    let mut o = sea_orm::ConnectOptions::new(format!(
        "sqlite://{}?mode=rw",
        app.data_dir.join("ictskills.db").display()
    ));
    o.max_connections(1).min_connections(1);
    sea_orm::Database::connect(o).await.unwrap()
}

async fn new_unit(app: &crate::helpers::TestApp, token: &str, code: &str) -> reqwest::Response {
    app.api
        .post(app.url("/api/v1/units"))
        .bearer_auth(token)
        .json(&json!({"name": format!("Tỉnh {code}"), "kind": "province", "code": code}))
        .timeout(std::time::Duration::from_secs(30))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn with_the_database_unreachable_requests_get_503_and_the_service_recovers() {
    use std::time::{Duration, Instant};
    let pg = crate::helpers::pg_database().await;
    let relay = match &pg {
        Some(p) => {
            let relay = Relay::start("127.0.0.1:5432".into()).await;
            let _ = &p.url;
            Some(relay)
        }
        None => None,
    };
    let relayed = match (&pg, &relay) {
        (Some(p), Some(r)) => Some(
            p.url
                .replace("127.0.0.1:5432", &format!("127.0.0.1:{}", r.port)),
        ),
        _ => None,
    };
    let app = crate::helpers::spawn_app_with(move |s| {
        s.database.acquire_timeout_ms = 1500;
        s.database.sqlite_busy_timeout_ms = 300;
        if let Some(url) = relayed {
            s.database.url = Some(ictskills::configuration::Secret::new(url));
        }
    })
    .await;
    let admin = app.admin_token().await;
    assert_eq!(
        new_unit(&app, &admin, "T01").await.status(),
        StatusCode::CREATED
    );

    // Down: the database is cut off (PostgreSQL) or held by another
    // process's write lock (SQLite).
    let locker = match &relay {
        Some(r) => {
            r.cut();
            None
        }
        None => {
            let l = sqlite_locker(&app).await;
            l.execute_unprepared("BEGIN EXCLUSIVE").await.unwrap();
            Some(l)
        }
    };
    let r = new_unit(&app, &admin, "T02").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
    let b = body(r).await;
    assert_eq!(b["error"], "database_unavailable", "{b}");
    assert!(
        b["message"].as_str().unwrap().contains("Cơ sở dữ liệu"),
        "{b}"
    );
    if relay.is_some() {
        let r = app.api.get(app.url("/health")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    } else {
        // SQLite readers go on while a writer holds the lock.
        let r = app.get("/api/v1/units", &admin).await;
        assert_eq!(r.status(), StatusCode::OK);
    }

    // Back: the same process serves again, without a restart.
    match (&relay, &locker) {
        (Some(r), _) => r.restore(),
        (None, Some(l)) => l.execute_unprepared("ROLLBACK").await.map(|_| ()).unwrap(),
        _ => unreachable!(),
    }
    let t = Instant::now();
    loop {
        let status = new_unit(&app, &admin, "T02").await.status();
        if status == StatusCode::CREATED {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "still {status} after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let units = body(app.get("/api/v1/units", &admin).await).await;
    assert_eq!(units["total"], 2, "{units}");
    drop(app);
    drop(pg);
}

#[tokio::test]
async fn a_request_over_its_time_limit_is_abandoned_with_503_and_rolled_back() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.server.request_timeout_ms = 700;
    })
    .await;
    let admin = app.admin_token().await;
    // Hold the units table so that the insert waits.
    let pg = app.database_url.is_some();
    let locker = if pg {
        let mut o = sea_orm::ConnectOptions::new(app.database_url.clone().unwrap());
        o.max_connections(1).min_connections(1);
        let l = sea_orm::Database::connect(o).await.unwrap();
        l.execute_unprepared("BEGIN").await.unwrap();
        l.execute_unprepared("LOCK TABLE units IN ACCESS EXCLUSIVE MODE")
            .await
            .unwrap();
        l
    } else {
        let l = sqlite_locker(&app).await;
        l.execute_unprepared("BEGIN EXCLUSIVE").await.unwrap();
        l
    };
    let r = new_unit(&app, &admin, "T05").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
    assert!(r.headers().contains_key("content-security-policy"));
    let b = body(r).await;
    assert_eq!(b["error"], "request_timeout", "{b}");
    locker.execute_unprepared("ROLLBACK").await.unwrap();
    // Nothing of the abandoned request was written; the next one goes through.
    let units = body(app.get("/api/v1/units", &admin).await).await;
    assert_eq!(units["total"], 0, "{units}");
    assert_eq!(
        new_unit(&app, &admin, "T05").await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn password_resets_imports_and_bodies_are_limited() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.limits.resets_per_minute = 3;
        s.limits.reset_mails_per_hour = 1;
        s.limits.imports_per_minute = 2;
    })
    .await;
    let admin = app.admin_token().await;
    app.create_user("quen@example.vn", &["learner"]).await;
    let reset = || async {
        app.api
            .post(app.url("/api/v1/auth/password-reset"))
            .json(&json!({"email": "quen@example.vn"}))
            .send()
            .await
            .unwrap()
    };
    // The same answer while allowed, whether mailed or not …
    assert_eq!(reset().await.status(), StatusCode::ACCEPTED);
    assert_eq!(reset().await.status(), StatusCode::ACCEPTED);
    let r = app
        .api
        .post(app.url("/api/v1/auth/password-reset/confirm"))
        .json(&json!({"token": "nope", "password": "a long new password"}))
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // … then 429 from this address.
    let r = reset().await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "60");
    assert_eq!(body(r).await["error"], "rate_limited");
    // One account gets one link an hour however often it is asked for.
    let mails = app.wait_for_mails(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(app.wait_for_mails(1).await.len(), mails.len());
    assert_eq!(mails.len(), 1);

    // Imports: two a minute here.
    let csv = "code,name,kind,parent_code\nT01,Tỉnh Một,province,\n";
    for _ in 0..2 {
        let r = app
            .post_bytes("/api/v1/units/import", &admin, csv.as_bytes().to_vec())
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = app
        .post_bytes("/api/v1/units/import", &admin, csv.as_bytes().to_vec())
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);

    // Bodies: JSON over 2 MB gets 413 in the caller's language.
    let big = json!({"name": "x".repeat(3 * 1024 * 1024), "kind": "province"});
    let r = app.post_json("/api/v1/units", &admin, &big).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body(r).await["error"], "too_large");
}
