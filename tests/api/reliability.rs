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
