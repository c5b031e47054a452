//! `ictskills-load`: plays exam day against running servers. Seed first with
//! `ictskills load-test-seed --count N`, then pass its session id and prefix.
use std::time::Duration;

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "ictskills-load",
    about = "Plays exam day against ictskills servers over HTTP"
)]
struct Args {
    /// Server URL (repeat for several instances; candidates are spread over them).
    #[arg(long = "url", required = true)]
    urls: Vec<String>,
    /// The session printed by `ictskills load-test-seed`.
    #[arg(long)]
    session: uuid::Uuid,
    /// The email prefix printed by `ictskills load-test-seed`.
    #[arg(long)]
    prefix: String,
    /// Candidates (at most the number seeded).
    #[arg(long)]
    count: usize,
    #[arg(long, default_value = "load-admin@load.test")]
    admin: String,
    #[arg(long, env = "ICTSKILLS_PASSWORD", default_value = "load-test-password")]
    password: String,
    /// Check-in window for the logins, seconds.
    #[arg(long, default_value_t = 60.0)]
    checkin: f64,
    #[arg(long, default_value_t = 4)]
    login_concurrency: usize,
    /// Ramp over which starts are released after the barrier, seconds.
    #[arg(long, default_value_t = 60.0)]
    ramp: f64,
    /// Think time range before each answer, milliseconds, e.g. 2000-20000.
    #[arg(long, default_value = "2000-20000")]
    think: String,
    #[arg(long, default_value_t = 10)]
    change_percent: u32,
    #[arg(long, default_value_t = 5)]
    reload_percent: u32,
    #[arg(long, default_value_t = 70)]
    right_percent: u32,
    /// Requests in flight at most.
    #[arg(long, default_value_t = 1024)]
    concurrency: usize,
    /// The blueprint's scoring of multiple-answer questions (the shipped
    /// "Basic theory exam" uses all_or_nothing).
    #[arg(long, default_value = "all_or_nothing")]
    scoring: String,
    /// Server process ids to sample memory from (same machine).
    #[arg(long = "server-pid")]
    server_pids: Vec<u32>,
    /// Print the report as JSON too.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let (lo, hi) = a
        .think
        .split_once('-')
        .and_then(|(l, h)| Some((l.trim().parse().ok()?, h.trim().parse().ok()?)))
        .ok_or_else(|| anyhow::anyhow!("--think must look like 2000-20000"))?;
    let report = ictskills_load::run(ictskills_load::Config {
        urls: a.urls,
        session: a.session,
        admin_email: a.admin,
        email_prefix: a.prefix,
        password: a.password,
        count: a.count,
        checkin: Duration::from_secs_f64(a.checkin.max(0.0)),
        login_concurrency: a.login_concurrency,
        ramp: Duration::from_secs_f64(a.ramp.max(0.0)),
        think_ms: (lo, hi),
        change_percent: a.change_percent,
        reload_percent: a.reload_percent,
        right_percent: a.right_percent,
        concurrency: a.concurrency,
        scoring: a.scoring,
        server_pids: a.server_pids,
    })
    .await?;
    print!("{}", ictskills_load::summary(&report));
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    if !report.ok() {
        std::process::exit(1);
    }
    Ok(())
}
