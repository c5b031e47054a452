//! The outbox: a down SMTP server loses nothing; delivery resumes.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::helpers::spawn_app_with;

/// A minimal SMTP sink: accepts every message and keeps its data.
async fn smtp_sink(listener: TcpListener, received: Arc<Mutex<Vec<String>>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let received = received.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
            let mut in_data = false;
            let mut data = String::new();
            while let Ok(Some(line)) = lines.next_line().await {
                if in_data {
                    if line == "." {
                        in_data = false;
                        received.lock().unwrap().push(std::mem::take(&mut data));
                        write.write_all(b"250 queued\r\n").await.unwrap();
                    } else {
                        data.push_str(&line);
                        data.push('\n');
                    }
                    continue;
                }
                let upper = line.to_ascii_uppercase();
                let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                    b"250-sink\r\n250 8BITMIME\r\n"
                } else if upper.starts_with("DATA") {
                    in_data = true;
                    b"354 go on\r\n"
                } else if upper.starts_with("QUIT") {
                    write.write_all(b"221 bye\r\n").await.unwrap();
                    return;
                } else {
                    b"250 ok\r\n"
                };
                write.write_all(reply).await.unwrap();
            }
        });
    }
}

#[tokio::test]
async fn mail_waits_in_the_outbox_while_smtp_is_down_and_goes_out_when_it_is_back() {
    // A port nobody listens on yet.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let app = spawn_app_with(|s| {
        s.smtp.host = Some("127.0.0.1".into());
        s.smtp.port = port;
        s.smtp.security = "none".into();
    })
    .await;
    let admin = app.admin_token().await;
    let r = app
        .post_json(
            "/api/v1/users",
            &admin,
            &json!({"email": "moi@example.vn", "full_name": "Hồ Thị Mới", "roles": ["trainer"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let db = &app.state.db;
    let backend = db.get_database_backend();
    let status = || async {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                backend,
                "SELECT attempts, CASE WHEN sent_at IS NULL THEN 0 ELSE 1 END AS sent FROM outbox",
            ))
            .await
            .unwrap()
            .unwrap();
        (
            row.try_get::<i32>("", "attempts").unwrap(),
            row.try_get::<i32>("", "sent").unwrap(),
        )
    };
    let mut failed = false;
    for _ in 0..100 {
        let (attempts, sent) = status().await;
        assert_eq!(sent, 0);
        if attempts >= 1 {
            failed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(failed, "the worker should have tried and failed");

    let received = Arc::new(Mutex::new(Vec::new()));
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    tokio::spawn(smtp_sink(listener, received.clone()));
    // Make the retry due now instead of after the backoff.
    db.execute_unprepared("UPDATE outbox SET next_attempt_at = created_at")
        .await
        .unwrap();
    for _ in 0..100 {
        if status().await.1 == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status().await.1, 1, "delivered once SMTP is back");
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("moi@example.vn"));
}
