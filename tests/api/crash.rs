//! Crash safety with the real binary: SIGKILL in the middle of an exam day
//! and of imports, then a restart. Nothing acknowledged is lost, papers and
//! deadlines come back unchanged, attempts that ran out while the server was
//! down are finished on the answers saved in time, imports are all or none.
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{PASSWORD, PgDatabase, pg_database};

/// A data folder and, under TEST_DATABASE_URL, a PostgreSQL database of its own.
struct Installation {
    dir: tempfile::TempDir,
    pg: Option<PgDatabase>,
}

impl Installation {
    async fn new() -> Installation {
        Installation {
            dir: tempfile::tempdir().unwrap(),
            pg: pg_database().await,
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ictskills"));
        c.arg("--data-dir")
            .arg(self.data_dir())
            .arg("--config-dir")
            .arg(self.dir.path().join("no-config"))
            .env_remove("DATABASE_URL")
            .env("ICTSKILLS_PASSWORD", PASSWORD)
            .env("ICTSKILLS__EXAMS__GRACE_SECONDS", "1")
            .env("ICTSKILLS__SITE__SETUP_LINK_ON_START", "false")
            .env("ICTSKILLS__REMINDERS__ENABLED", "false");
        if let Some(pg) = &self.pg {
            c.env("DATABASE_URL", &pg.url);
        }
        c
    }

    fn seed(&self, count: usize, time_limit: Option<i32>) -> ictskills::services::loadtest::Seeded {
        let mut c = self.command();
        c.args(["load-test-seed", "--count", &count.to_string()]);
        if let Some(t) = time_limit {
            c.args(["--time-limit-seconds", &t.to_string()]);
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Starts `serve` on a free port and waits until it answers. The caller
    /// owns the child and kills (and waits for) it.
    #[allow(clippy::zombie_processes)]
    async fn serve(&self) -> (Child, String) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log =
            std::fs::File::create(self.dir.path().join(format!("server-{port}.log"))).unwrap();
        let child = self
            .command()
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let t = Instant::now();
        loop {
            if let Ok(r) = client.get(format!("{url}/health")).send().await
                && r.status().is_success()
            {
                return (child, url);
            }
            if t.elapsed() > Duration::from_secs(120) {
                kill(child);
                panic!("the server did not come up");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn kill(mut child: Child) {
    child.kill().unwrap(); // SIGKILL on Unix: no shutdown, no flush
    child.wait().unwrap();
}

fn config(url: &str, s: &ictskills::services::loadtest::Seeded) -> ictskills_load::Config {
    ictskills_load::Config {
        urls: vec![url.to_string()],
        session: s.session_id,
        admin_email: s.admin_email.clone(),
        email_prefix: s.email_prefix.clone(),
        password: PASSWORD.into(),
        count: s.count,
        checkin: Duration::from_secs(1),
        login_concurrency: 4,
        ramp: Duration::from_millis(500),
        think_ms: (150, 450),
        change_percent: 20,
        reload_percent: 5,
        right_percent: 70,
        concurrency: 32,
        scoring: "all_or_nothing".into(),
        server_pids: Vec::new(),
    }
}

fn ids(v: &Value) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = serde_json::from_value(v.clone()).unwrap_or_default();
    ids.sort();
    ids
}

fn sorted(v: &[Uuid]) -> Vec<Uuid> {
    let mut v = v.to_vec();
    v.sort();
    v
}

/// Checks one candidate after the restart; returns the stored attempt.
async fn check_candidate(url: &str, p: &ictskills_load::Played, who: &str) -> Value {
    let attempt = p.attempt.unwrap();
    let v: Value = reqwest::Client::new()
        .get(format!("{url}/api/v1/attempts/{attempt}"))
        .bearer_auth(&p.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The same paper, in the same order, and the same deadline.
    let layout: Vec<(i64, Vec<Uuid>)> = v["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            let opts = q["options"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| Uuid::parse_str(o["id"].as_str().unwrap()).unwrap())
                .collect();
            (q["position"].as_i64().unwrap(), opts)
        })
        .collect();
    let before: Vec<(i64, Vec<Uuid>)> = p
        .layout
        .iter()
        .map(|(pos, _, _, opts)| (*pos, opts.clone()))
        .collect();
    assert!(layout.len() >= before.len(), "{who}: paper shrank");
    assert_eq!(&layout[..before.len()], &before[..], "{who}: paper changed");
    let deadline = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    assert_eq!(
        deadline(v["deadline"].as_str().unwrap()),
        deadline(p.deadline.as_deref().unwrap()),
        "{who}: deadline changed"
    );
    // Every acknowledged save is stored (or the next one, sent when the
    // server died, whose answer was lost with it); nothing else is.
    let stored = v["answers"].as_object().unwrap();
    for (pos, got) in stored {
        let pos: i64 = pos.parse().unwrap();
        let got = ids(got);
        let acked = p.acknowledged.get(&pos).map(|a| sorted(a));
        let sent = p.sent.get(&pos).map(|a| sorted(a));
        assert!(
            acked.as_ref() == Some(&got) || sent.as_ref() == Some(&got),
            "{who}: position {pos} holds {got:?}; acknowledged {acked:?}, last sent {sent:?}"
        );
    }
    for (pos, acked) in &p.acknowledged {
        if !acked.is_empty() {
            assert!(
                stored.contains_key(&pos.to_string()),
                "{who}: the acknowledged save of position {pos} is lost"
            );
        }
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_mid_exam_loses_no_acknowledged_save() {
    let inst = Installation::new().await;
    // Two rooms: one with the basic exam's long time, one whose minute runs
    // out while the server is down.
    let long = inst.seed(12, None);
    let short = inst.seed(12, Some(60));
    let (server, url) = inst.serve().await;

    let (p_long, p_short) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let play_long = tokio::spawn(ictskills_load::play(config(&url, &long), p_long.clone()));
    let play_short = tokio::spawn(ictskills_load::play(config(&url, &short), p_short.clone()));
    // Kill once both rooms are well under way.
    let t = Instant::now();
    while p_long.load(Ordering::Relaxed) < 36 || p_short.load(Ordering::Relaxed) < 36 {
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "the exam did not get going"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    kill(server);
    let killed_at = chrono::Utc::now();
    let long_played = play_long.await.unwrap().unwrap();
    let short_played = play_short.await.unwrap().unwrap();
    for p in long_played.iter().chain(&short_played) {
        assert!(
            p.submitted.is_none(),
            "candidate {} finished before the kill",
            p.index
        );
    }
    // A start in flight at the kill may have been lost with its answer;
    // those candidates have nothing acknowledged to check.
    let started = |v: &[ictskills_load::Played]| -> Vec<ictskills_load::Played> {
        v.iter().filter(|p| p.attempt.is_some()).cloned().collect()
    };
    let (long_played, short_played) = (started(&long_played), started(&short_played));
    assert!(long_played.len() >= 8 && short_played.len() >= 8);

    // Down until every short attempt's deadline has passed.
    let last_deadline = short_played
        .iter()
        .filter_map(|p| p.deadline.as_deref())
        .map(|d| chrono::DateTime::parse_from_rfc3339(d).unwrap().to_utc())
        .max()
        .unwrap();
    assert!(
        last_deadline > killed_at,
        "the short attempts ended before the kill"
    );
    let wait = (last_deadline - chrono::Utc::now()).num_milliseconds() + 1500;
    tokio::time::sleep(Duration::from_millis(wait.max(0) as u64)).await;
    let (server, url) = inst.serve().await;

    // The long room resumes.
    for p in &long_played {
        let v = check_candidate(&url, p, &format!("long {}", p.index)).await;
        assert_eq!(v["state"], "in_progress");
    }
    // The short room was finished by the server, on what was saved in time.
    let t = Instant::now();
    for p in &short_played {
        let who = format!("short {}", p.index);
        let v = loop {
            let v = check_candidate(&url, p, &who).await;
            if v["state"] == "graded" || t.elapsed() > Duration::from_secs(60) {
                break v;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        assert_eq!(v["state"], "graded", "{who}");
        let stored = v["answers"].as_object().unwrap();
        let papers: Vec<(bool, Vec<Uuid>, Vec<Uuid>)> = p
            .layout
            .iter()
            .map(|(pos, multiple, right, _)| {
                let chosen = stored.get(&pos.to_string()).map(ids).unwrap_or_default();
                (*multiple, right.clone(), chosen)
            })
            .collect();
        let total = v["questions"].as_array().unwrap().len();
        let mut full = papers.clone();
        full.resize(total, (false, vec![Uuid::nil()], Vec::new()));
        let expected = ictskills_load::expected_score(&full, "all_or_nothing");
        let score = v["result"]["score"].as_f64().unwrap();
        assert!(
            (score - expected).abs() < 0.005,
            "{who}: score {score}, expected {expected}"
        );
    }
    // And the resumed room can finish.
    let client = reqwest::Client::new();
    for p in long_played.iter().take(3) {
        let attempt = p.attempt.unwrap();
        let r = client
            .post(format!("{url}/api/v1/attempts/{attempt}/submit"))
            .bearer_auth(&p.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::OK);
    }
    kill(server);
    // The record of what happened is intact.
    let out = inst.command().args(["audit", "verify"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn gift_bank(n: usize) -> String {
    let mut s = String::from("$CATEGORY: IU01/IU01.1\n\n");
    for i in 0..n {
        s.push_str(&format!(
            "::Câu thử {i}::Câu hỏi kiểm thử số {i} về phần cứng máy tính?{{=Đúng {i} ~Sai A{i} ~Sai B{i} ~Sai C{i}}}\n\n"
        ));
    }
    s
}

const SYLLABLES: [&str; 40] = [
    "An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hòa", "Hùng", "Khánh", "Lan",
    "Linh", "Long", "Mai", "Minh", "Nam", "Nga", "Ngọc", "Nhung", "Phong", "Phúc", "Quang",
    "Quyên", "Sơn", "Tâm", "Thảo", "Thắng", "Thủy", "Tiến", "Trang", "Trung", "Tuấn", "Tú", "Uyên",
    "Vân", "Việt", "Vinh", "Xuân", "Yến",
];

fn roster(n: usize) -> String {
    let mut s = String::from("email,full_name,date_of_birth,place_of_birth,sex,unit\n");
    for i in 0..n {
        s.push_str(&format!(
            "nhap{i}@example.vn,Nguyễn Văn {} {},1990-01-{:02},Hà Nội,male,T01\n",
            SYLLABLES[i % SYLLABLES.len()],
            SYLLABLES[i / SYLLABLES.len() % SYLLABLES.len()],
            1 + i % 28
        ));
    }
    s
}

async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql.to_string(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// Runs an import and kills it after `after`; returns whether it finished first.
fn killed_import(inst: &Installation, args: &[&str], file: &Path, after: Duration) -> bool {
    let mut child = inst
        .command()
        .args(args)
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while t.elapsed() < after {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let done = child.try_wait().unwrap().is_some();
    kill(child);
    done
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_import_leaves_all_of_it_or_none() {
    let inst = Installation::new().await;
    // Migrated, with the shipped content, before the imports start.
    inst.seed(1, None);
    let db = sea_orm::Database::connect(match &inst.pg {
        Some(pg) => pg.url.clone(),
        None => format!(
            "sqlite://{}?mode=rw",
            inst.data_dir().join("ictskills.db").display()
        ),
    })
    .await
    .unwrap();
    let bank = inst.dir.path().join("bank.gift");
    let n_questions = 1500;
    std::fs::write(&bank, gift_bank(n_questions)).unwrap();
    let people = inst.dir.path().join("roster.csv");
    let n_people = 1500;
    std::fs::write(&people, roster(n_people)).unwrap();
    let units = inst.dir.path().join("units.csv");
    std::fs::write(
        &units,
        "code,name,kind,parent_code\nT01,Tỉnh Thử,province,\n",
    )
    .unwrap();
    let out = inst
        .command()
        .arg("import-units")
        .arg(&units)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let q0 = count(&db, "SELECT COUNT(*) FROM questions").await;
    let u0 = count(&db, "SELECT COUNT(*) FROM users").await;

    // Kill each import at growing delays until one gets to finish; every
    // kill before that must leave nothing behind.
    let imports: [(&[&str], &PathBuf, &str, i64, i64); 2] = [
        (
            &["import-questions", "--module", "IU01"],
            &bank,
            "SELECT COUNT(*) FROM questions",
            q0,
            n_questions as i64,
        ),
        (
            &["import-users"],
            &people,
            "SELECT COUNT(*) FROM users",
            u0,
            n_people as i64,
        ),
    ];
    for (args, file, sql, before, n) in imports {
        let mut killed_mid = 0;
        for ms in [100u64, 250, 500, 1000, 2000, 4000, 8000] {
            let finished = killed_import(&inst, args, file, Duration::from_millis(ms));
            let now = count(&db, sql).await;
            assert!(
                now == before || now == before + n,
                "{args:?} killed at {ms} ms: {now} rows (before {before})"
            );
            if now == before + n {
                break;
            }
            killed_mid += usize::from(!finished);
        }
        assert!(
            killed_mid > 0,
            "{args:?} was never killed before it finished"
        );
    }
    // Run to the end, both are complete (and nothing is doubled).
    for (args, file) in [
        (&["import-questions", "--module", "IU01"][..], &bank),
        (&["import-users"][..], &people),
    ] {
        let out = inst.command().args(args).arg(file).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM questions").await,
        q0 + n_questions as i64
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM users").await,
        u0 + n_people as i64
    );
}
