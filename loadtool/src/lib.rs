//! Exam day over HTTP: candidates check in (log in, spread over a window),
//! wait at a barrier, start together (or over a ramp), save an answer to
//! every question with a think time, sometimes change an answer or reload
//! the attempt, and submit. Then every acknowledged save and every score is
//! checked through the API. Talks to the server only over HTTP.
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use rand::{RngExt, SeedableRng};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use uuid::Uuid;

/// What to play.
#[derive(Clone, Debug)]
pub struct Config {
    /// One or more servers; candidate `i` uses `urls[i % len]`.
    pub urls: Vec<String>,
    pub session: Uuid,
    pub admin_email: String,
    /// Candidate `i` logs in as `{email_prefix}{i}@load.test`.
    pub email_prefix: String,
    pub password: String,
    pub count: usize,
    /// Logins are spread over this window (check-in).
    pub checkin: Duration,
    /// Parallel logins at most (password hashing is the costly request).
    pub login_concurrency: usize,
    /// Starts are released over this ramp after the barrier (0 = all at once).
    pub ramp: Duration,
    /// Think time before each answer, drawn uniformly from this range.
    pub think_ms: (u64, u64),
    /// Percent of answers first saved differently, then changed.
    pub change_percent: u32,
    /// Percent of saves followed by a reload of the attempt.
    pub reload_percent: u32,
    /// Percent of answers that are right.
    pub right_percent: u32,
    /// Requests in flight at most.
    pub concurrency: usize,
    /// `proportional` or `all_or_nothing` (the blueprint's scoring).
    pub scoring: String,
    /// The server's process id, to sample its memory (same machine).
    pub server_pids: Vec<u32>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct KindStats {
    pub count: usize,
    pub errors: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub candidates: usize,
    pub kinds: BTreeMap<String, KindStats>,
    /// Logins per second over the check-in.
    pub login_rate: f64,
    pub peak_starts_per_s: usize,
    pub peak_saves_per_s: usize,
    /// Saves per second from the first save to the last.
    pub mean_saves_per_s: f64,
    /// Saves per second while every candidate is answering: from the last
    /// start to the first submit (0 when that window is under a second).
    pub steady_saves_per_s: f64,
    pub exam_seconds: f64,
    /// Peak resident memory of the server process(es), MB.
    pub server_peak_rss_mb: Vec<f64>,
    /// Every check that failed; empty when all is accounted for.
    pub mismatches: Vec<String>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.kinds.values().map(|k| k.errors).sum()
    }
    pub fn ok(&self) -> bool {
        self.errors() == 0 && self.mismatches.is_empty()
    }
}

/// One request's outcome: kind, when it started (ms since the run began),
/// how long it took, whether it succeeded.
type Sample = (&'static str, f64, f64, bool);

struct Key {
    /// option id → right?
    right: HashMap<Uuid, bool>,
}

async fn login(
    client: &reqwest::Client,
    url: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let r = client
        .post(format!("{url}/api/v1/auth/token"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("login {email}: {}", r.status());
    }
    let v: Value = r.json().await?;
    v["access_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no token"))
}

async fn get_json(client: &reqwest::Client, url: String, token: &str) -> anyhow::Result<Value> {
    let r = client.get(&url).bearer_auth(token).send().await?;
    if !r.status().is_success() {
        bail!("GET {url}: {}", r.status());
    }
    Ok(r.json().await?)
}

/// Reads the key of every ready question through the admin API.
async fn read_key(client: &reqwest::Client, url: &str, token: &str) -> anyhow::Result<Key> {
    let mut ids = Vec::new();
    for page in 1.. {
        let v = get_json(
            client,
            format!("{url}/api/v1/questions?status=ready&per_page=500&page={page}"),
            token,
        )
        .await?;
        let items = v["items"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            break;
        }
        ids.extend(
            items
                .iter()
                .filter_map(|q| q["id"].as_str().map(str::to_string)),
        );
        if ids.len() as u64 >= v["total"].as_u64().unwrap_or(0) {
            break;
        }
    }
    let mut right = HashMap::new();
    let sem = Arc::new(Semaphore::new(16));
    let mut tasks = Vec::new();
    for id in ids {
        let (client, url, token, sem) = (
            client.clone(),
            url.to_string(),
            token.to_string(),
            sem.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _p = sem.acquire().await?;
            get_json(&client, format!("{url}/api/v1/questions/{id}"), &token).await
        }));
    }
    for t in tasks {
        let q = t.await??;
        for o in q["options"].as_array().cloned().unwrap_or_default() {
            if let Some(id) = o["id"].as_str().and_then(|s| Uuid::parse_str(s).ok()) {
                right.insert(id, o["correct"].as_bool().unwrap_or(false));
            }
        }
    }
    Ok(Key { right })
}

/// The score the server must give: 10 × Σ credit / questions, half up, 2 places.
pub fn expected_score(papers: &[(bool, Vec<Uuid>, Vec<Uuid>)], scoring: &str) -> f64 {
    // (multiple, right options, chosen)
    if papers.is_empty() {
        return 0.0;
    }
    let mut sum = 0.0;
    for (multiple, right, chosen) in papers {
        let mut r = right.clone();
        r.sort();
        let mut c = chosen.clone();
        c.sort();
        c.dedup();
        let credit = if *multiple && scoring == "proportional" {
            let good = c.iter().filter(|o| r.contains(o)).count() as f64;
            let bad = c.iter().filter(|o| !r.contains(o)).count() as f64;
            if r.is_empty() {
                0.0
            } else {
                ((good - bad) / r.len() as f64).max(0.0)
            }
        } else if r == c {
            1.0
        } else {
            0.0
        };
        sum += credit;
    }
    let raw = 10.0 * sum / papers.len() as f64;
    (raw * 100.0 + 1e-9).round() / 100.0
}

struct Outcome {
    index: usize,
    url: String,
    token: String,
    attempt: Option<Uuid>,
    /// position → last acknowledged option ids.
    acknowledged: BTreeMap<i64, Vec<Uuid>>,
    /// position → last option ids sent, acknowledged or not.
    sent: BTreeMap<i64, Vec<Uuid>>,
    deadline: Option<String>,
    /// The paper as started: position, multiple?, right options, options in order.
    layout: Vec<(i64, bool, Vec<Uuid>, Vec<Uuid>)>,
    /// The server stopped answering (connection lost) before the end.
    cut: bool,
    expected: Option<f64>,
    submitted: Option<f64>,
    samples: Vec<Sample>,
}

/// One candidate as played by [`play`]: what the server acknowledged, what
/// was sent, and the paper as the start returned it.
#[derive(Clone, Debug)]
pub struct Played {
    pub index: usize,
    pub url: String,
    pub token: String,
    pub attempt: Option<Uuid>,
    pub acknowledged: BTreeMap<i64, Vec<Uuid>>,
    pub sent: BTreeMap<i64, Vec<Uuid>>,
    pub deadline: Option<String>,
    pub layout: Vec<(i64, bool, Vec<Uuid>, Vec<Uuid>)>,
    pub cut: bool,
    pub submitted: Option<f64>,
}

/// What the exam phase leaves for the checks.
struct Phase {
    done: Vec<Outcome>,
    samples: Vec<Sample>,
    checkin_secs: f64,
    logins_ok: usize,
    exam_seconds: f64,
}

/// Plays the exam (check-in, starts, saves, submits) without the end checks,
/// counting acknowledged saves in `progress`; a candidate whose server stops
/// answering stops there. For crash tests: kill the server meanwhile and
/// compare what comes back with what was acknowledged.
pub async fn play(cfg: Config, progress: Arc<AtomicUsize>) -> anyhow::Result<Vec<Played>> {
    let client = client(&cfg)?;
    let url0 = cfg
        .urls
        .first()
        .context("no server URL")?
        .trim_end_matches('/')
        .to_string();
    let admin = login(&client, &url0, &cfg.admin_email, &cfg.password)
        .await
        .context("admin login")?;
    let key = Arc::new(read_key(&client, &url0, &admin).await?);
    let phase = exam_phase(&cfg, &client, key, progress).await?;
    Ok(phase
        .done
        .into_iter()
        .map(|o| Played {
            index: o.index,
            url: o.url,
            token: o.token,
            attempt: o.attempt,
            acknowledged: o.acknowledged,
            sent: o.sent,
            deadline: o.deadline,
            layout: o.layout,
            cut: o.cut,
            submitted: o.submitted,
        })
        .collect())
}

fn client(cfg: &Config) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(cfg.concurrency.max(1))
        .timeout(Duration::from_secs(120))
        .build()?)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(0.0)
}

fn rss_mb(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Plays one exam day and checks it.
pub async fn run(cfg: Config) -> anyhow::Result<Report> {
    if cfg.urls.is_empty() {
        bail!("no server URL");
    }
    let client = client(&cfg)?;
    let url0 = cfg.urls[0].trim_end_matches('/').to_string();
    let admin = login(&client, &url0, &cfg.admin_email, &cfg.password)
        .await
        .context("admin login")?;
    let key = Arc::new(read_key(&client, &url0, &admin).await?);

    // Server memory, sampled through the run.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let peaks = Arc::new(std::sync::Mutex::new(vec![0.0f64; cfg.server_pids.len()]));
    let sampler = {
        let (stop, peaks, pids) = (stop.clone(), peaks.clone(), cfg.server_pids.clone());
        tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for (i, pid) in pids.iter().enumerate() {
                    if let (Some(mb), Ok(mut p)) = (rss_mb(*pid), peaks.lock())
                        && let Some(slot) = p.get_mut(i)
                    {
                        *slot = slot.max(mb);
                    }
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };

    let Phase {
        done,
        mut samples,
        checkin_secs,
        logins_ok,
        exam_seconds,
    } = exam_phase(&cfg, &client, key, Arc::new(AtomicUsize::new(0))).await?;

    // Checks, through the API.
    let mut mismatches = Vec::new();
    let check_sem = Arc::new(Semaphore::new(32));
    let mut checks = Vec::new();
    for o in &done {
        let Some(attempt) = o.attempt else {
            mismatches.push(format!("candidate {}: no attempt", o.index));
            continue;
        };
        let (client, sem, admin, url0) = (
            client.clone(),
            check_sem.clone(),
            admin.clone(),
            url0.clone(),
        );
        let (url, token, ack, expected, submitted, index) = (
            o.url.clone(),
            o.token.clone(),
            o.acknowledged.clone(),
            o.expected,
            o.submitted,
            o.index,
        );
        checks.push(tokio::spawn(async move {
            let _p = sem.acquire().await;
            let mut bad = Vec::new();
            match get_json(&client, format!("{url}/api/v1/attempts/{attempt}"), &token).await {
                Ok(v) => {
                    let stored: BTreeMap<i64, Vec<Uuid>> = v["answers"]
                        .as_object()
                        .map(|m| {
                            m.iter()
                                .filter_map(|(k, ids)| {
                                    let mut ids: Vec<Uuid> =
                                        serde_json::from_value(ids.clone()).ok()?;
                                    ids.sort();
                                    Some((k.parse().ok()?, ids))
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    let mut want = ack.clone();
                    want.retain(|_, v| !v.is_empty());
                    for v in want.values_mut() {
                        v.sort();
                    }
                    if stored != want {
                        bad.push(format!(
                            "candidate {index}: stored answers differ from the acknowledged saves"
                        ));
                    }
                    let score = v["result"]["score"].as_f64();
                    if v["state"] != "graded" {
                        bad.push(format!("candidate {index}: attempt not graded"));
                    }
                    match (score, expected, submitted) {
                        (Some(s), Some(e), Some(sub))
                            if (s - e).abs() < 0.005 && (sub - e).abs() < 0.005 => {}
                        other => bad.push(format!(
                            "candidate {index}: score {other:?} (stored, expected, submitted)"
                        )),
                    }
                }
                Err(e) => bad.push(format!("candidate {index}: {e}")),
            }
            match get_json(
                &client,
                format!("{url0}/api/v1/attempts/{attempt}/audit"),
                &admin,
            )
            .await
            {
                Ok(v) => {
                    let events = v["items"]
                        .as_array()
                        .or_else(|| v.as_array())
                        .cloned()
                        .unwrap_or_default();
                    let gradings = events
                        .iter()
                        .filter(|e| matches!(e["kind"].as_str(), Some("submit" | "auto_finish")))
                        .count();
                    if gradings != 1 {
                        bad.push(format!("candidate {index}: graded {gradings} times"));
                    }
                }
                Err(e) => bad.push(format!("candidate {index}: audit: {e}")),
            }
            bad
        }));
    }
    for c in checks {
        mismatches.extend(c.await?);
    }
    if logins_ok < cfg.count {
        mismatches.push(format!(
            "{} of {} logins failed",
            cfg.count - logins_ok,
            cfg.count
        ));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = sampler.await;

    for o in done {
        samples.extend(o.samples);
    }
    let mut report = Report {
        candidates: cfg.count,
        login_rate: logins_ok as f64 / checkin_secs.max(1e-9),
        exam_seconds,
        server_peak_rss_mb: peaks.lock().map(|p| p.clone()).unwrap_or_default(),
        mismatches,
        ..Default::default()
    };
    let mut by_kind: BTreeMap<&str, Vec<&Sample>> = BTreeMap::new();
    for s in &samples {
        by_kind.entry(s.0).or_default().push(s);
    }
    for (kind, list) in &by_kind {
        let mut lat: Vec<f64> = list.iter().filter(|s| s.3).map(|s| s.2).collect();
        lat.sort_by(f64::total_cmp);
        report.kinds.insert(
            kind.to_string(),
            KindStats {
                count: list.len(),
                errors: list.iter().filter(|s| !s.3).count(),
                p50_ms: percentile(&lat, 0.50),
                p95_ms: percentile(&lat, 0.95),
                p99_ms: percentile(&lat, 0.99),
                max_ms: lat.last().copied().unwrap_or(0.0),
            },
        );
    }
    let peak = |kind: &str| {
        let mut per_s: HashMap<u64, usize> = HashMap::new();
        for s in samples.iter().filter(|s| s.0 == kind && s.3) {
            *per_s.entry(((s.1 + s.2) / 1000.0) as u64).or_default() += 1;
        }
        per_s.values().copied().max().unwrap_or(0)
    };
    report.peak_starts_per_s = peak("start");
    report.peak_saves_per_s = peak("save");
    let saves: Vec<&Sample> = samples.iter().filter(|s| s.0 == "save" && s.3).collect();
    if let (Some(first), Some(last)) = (
        saves.iter().map(|s| s.1).reduce(f64::min),
        saves.iter().map(|s| s.1 + s.2).reduce(f64::max),
    ) {
        report.mean_saves_per_s = saves.len() as f64 / ((last - first) / 1000.0).max(1e-3);
    }
    let last_start = samples
        .iter()
        .filter(|s| s.0 == "start")
        .map(|s| s.1 + s.2)
        .reduce(f64::max);
    let first_submit = samples
        .iter()
        .filter(|s| s.0 == "submit")
        .map(|s| s.1)
        .reduce(f64::min);
    if let (Some(from), Some(to)) = (last_start, first_submit)
        && to - from >= 1000.0
    {
        let n = saves
            .iter()
            .filter(|s| (from..=to).contains(&(s.1 + s.2)))
            .count();
        report.steady_saves_per_s = n as f64 / ((to - from) / 1000.0);
    }
    Ok(report)
}

async fn exam_phase(
    cfg: &Config,
    client: &reqwest::Client,
    key: Arc<Key>,
    progress: Arc<AtomicUsize>,
) -> anyhow::Result<Phase> {
    let t0 = Instant::now();
    let ms = move |t: Instant| (t - t0).as_secs_f64() * 1000.0;
    // Check-in: logins spread over the window.
    let login_sem = Arc::new(Semaphore::new(cfg.login_concurrency.max(1)));
    let mut tasks = Vec::new();
    for i in 0..cfg.count {
        let (client, login_sem, cfg2) = (client.clone(), login_sem.clone(), cfg.clone());
        let url = cfg.urls[i % cfg.urls.len()]
            .trim_end_matches('/')
            .to_string();
        let at = cfg.checkin.mul_f64(i as f64 / cfg.count.max(1) as f64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(at.saturating_sub(t0.elapsed())).await;
            let _p = login_sem.acquire().await;
            let s = Instant::now();
            let email = format!("{}{i}@load.test", cfg2.email_prefix);
            let r = login(&client, &url, &email, &cfg2.password).await;
            let sample: Sample = (
                "login",
                ms(s),
                s.elapsed().as_secs_f64() * 1000.0,
                r.is_ok(),
            );
            (i, url, r.ok(), sample)
        }));
    }
    let mut outcomes = Vec::new();
    let mut samples: Vec<Sample> = Vec::new();
    for t in tasks {
        let (i, url, token, sample) = t.await?;
        samples.push(sample);
        outcomes.push((i, url, token));
    }
    let checkin_secs = t0.elapsed().as_secs_f64();
    let logins_ok = samples.iter().filter(|s| s.3).count();

    // Barrier passed: release the starts over the ramp.
    let release = Instant::now();
    let sem = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    let mut tasks = Vec::new();
    for (i, url, token) in outcomes {
        let Some(token) = token else { continue };
        let (client, sem, key, cfg2, progress) = (
            client.clone(),
            sem.clone(),
            key.clone(),
            cfg.clone(),
            progress.clone(),
        );
        let at = cfg.ramp.mul_f64(i as f64 / cfg.count.max(1) as f64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(at.saturating_sub(release.elapsed())).await;
            candidate(i, url, token, client, sem, key, cfg2, t0, progress).await
        }));
    }
    let mut done = Vec::new();
    for t in tasks {
        done.push(t.await?);
    }
    let exam_seconds = release.elapsed().as_secs_f64();
    Ok(Phase {
        done,
        samples,
        checkin_secs,
        logins_ok,
        exam_seconds,
    })
}

#[allow(clippy::too_many_arguments)]
async fn candidate(
    index: usize,
    url: String,
    token: String,
    client: reqwest::Client,
    sem: Arc<Semaphore>,
    key: Arc<Key>,
    cfg: Config,
    t0: Instant,
    progress: Arc<AtomicUsize>,
) -> Outcome {
    let ms = |t: Instant| (t - t0).as_secs_f64() * 1000.0;
    let mut out = Outcome {
        index,
        url: url.clone(),
        token: token.clone(),
        attempt: None,
        acknowledged: BTreeMap::new(),
        sent: BTreeMap::new(),
        deadline: None,
        layout: Vec::new(),
        cut: false,
        expected: None,
        submitted: None,
        samples: Vec::new(),
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(index as u64 ^ 0x1c75);
    // Start.
    let paper: Value = {
        let _p = sem.acquire().await;
        let s = Instant::now();
        let r = client
            .post(format!(
                "{url}/api/v1/exam-sessions/{}/attempts",
                cfg.session
            ))
            .bearer_auth(&token)
            .json(&json!({}))
            .send()
            .await;
        let body = match r {
            Ok(r) if r.status().is_success() => r.json::<Value>().await.ok(),
            _ => None,
        };
        out.samples.push((
            "start",
            ms(s),
            s.elapsed().as_secs_f64() * 1000.0,
            body.is_some(),
        ));
        match body {
            Some(b) => b,
            None => return out,
        }
    };
    let Some(attempt) = paper["id"].as_str().and_then(|s| Uuid::parse_str(s).ok()) else {
        return out;
    };
    out.attempt = Some(attempt);
    out.deadline = paper["deadline"].as_str().map(str::to_string);
    // Keep only what answering needs, not the rendered paper.
    let questions: Vec<(i64, bool, Vec<Uuid>)> = paper["questions"]
        .as_array()
        .map(|qs| {
            qs.iter()
                .map(|q| {
                    let options = q["options"]
                        .as_array()
                        .map(|os| {
                            os.iter()
                                .filter_map(|o| {
                                    o["id"].as_str().and_then(|s| Uuid::parse_str(s).ok())
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    (
                        q["position"].as_i64().unwrap_or(0),
                        q["multiple"].as_bool().unwrap_or(false),
                        options,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    drop(paper);
    let mut graded = Vec::new();
    for (position, multiple, options) in questions {
        let right: Vec<Uuid> = options
            .iter()
            .copied()
            .filter(|o| key.right.get(o).copied().unwrap_or(false))
            .collect();
        let wrong: Vec<Uuid> = options
            .iter()
            .copied()
            .filter(|o| !right.contains(o))
            .collect();
        out.layout
            .push((position, multiple, right.clone(), options.clone()));
        let final_choice = if rng.random_range(0..100) < cfg.right_percent {
            right.clone()
        } else {
            wrong.iter().take(1).copied().collect()
        };
        let mut choices = Vec::new();
        if rng.random_range(0..100) < cfg.change_percent {
            let first = if final_choice == right {
                wrong.iter().take(1).copied().collect()
            } else {
                right.clone()
            };
            choices.push(first);
        }
        choices.push(final_choice.clone());
        for choice in choices {
            let (lo, hi) = cfg.think_ms;
            let think = if hi > lo {
                rng.random_range(lo..=hi)
            } else {
                lo
            };
            tokio::time::sleep(Duration::from_millis(think)).await;
            let _p = sem.acquire().await;
            let s = Instant::now();
            out.sent.insert(position, choice.clone());
            let r = client
                .put(format!(
                    "{url}/api/v1/attempts/{attempt}/answers/{position}"
                ))
                .bearer_auth(&token)
                .json(&json!({ "option_ids": choice }))
                .send()
                .await;
            let ok = matches!(&r, Ok(r) if r.status().is_success());
            out.samples
                .push(("save", ms(s), s.elapsed().as_secs_f64() * 1000.0, ok));
            if ok {
                out.acknowledged.insert(position, choice.clone());
                progress.fetch_add(1, Ordering::Relaxed);
            }
            if r.is_err() {
                // The server is gone: nothing more to play.
                out.cut = true;
                return out;
            }
        }
        if rng.random_range(0..100) < cfg.reload_percent {
            let _p = sem.acquire().await;
            let s = Instant::now();
            let r = get_json(&client, format!("{url}/api/v1/attempts/{attempt}"), &token).await;
            out.samples.push((
                "reload",
                ms(s),
                s.elapsed().as_secs_f64() * 1000.0,
                r.is_ok(),
            ));
        }
        let chosen = out.acknowledged.get(&position).cloned().unwrap_or_default();
        graded.push((multiple, right, chosen));
    }
    out.expected = Some(expected_score(&graded, &cfg.scoring));
    let _p = sem.acquire().await;
    let s = Instant::now();
    let r = client
        .post(format!("{url}/api/v1/attempts/{attempt}/submit"))
        .bearer_auth(&token)
        .send()
        .await;
    let body = match r {
        Ok(r) if r.status().is_success() => r.json::<Value>().await.ok(),
        _ => None,
    };
    out.samples.push((
        "submit",
        ms(s),
        s.elapsed().as_secs_f64() * 1000.0,
        body.is_some(),
    ));
    out.submitted = body.and_then(|b| b["score"].as_f64());
    out
}

/// A human-readable summary.
pub fn summary(r: &Report) -> String {
    let mut s = format!(
        "{} candidates; exam phase {:.1} s; logins {:.1}/s; peak starts {}/s; peak saves {}/s; mean saves {:.0}/s; steady saves {:.0}/s\n",
        r.candidates,
        r.exam_seconds,
        r.login_rate,
        r.peak_starts_per_s,
        r.peak_saves_per_s,
        r.mean_saves_per_s,
        r.steady_saves_per_s
    );
    s.push_str("kind        count  errors     p50 ms     p95 ms     p99 ms     max ms\n");
    for (k, v) in &r.kinds {
        s.push_str(&format!(
            "{k:<10} {:>6} {:>7} {:>10.1} {:>10.1} {:>10.1} {:>10.1}\n",
            v.count, v.errors, v.p50_ms, v.p95_ms, v.p99_ms, v.max_ms
        ));
    }
    for (i, m) in r.server_peak_rss_mb.iter().enumerate() {
        s.push_str(&format!("server {} peak RSS {:.0} MB\n", i + 1, m));
    }
    if r.mismatches.is_empty() {
        s.push_str("checks: every acknowledged save is stored; every attempt graded once with the expected score\n");
    } else {
        s.push_str(&format!("CHECKS FAILED ({}):\n", r.mismatches.len()));
        for m in r.mismatches.iter().take(20) {
            s.push_str(&format!("  {m}\n"));
        }
    }
    s
}
