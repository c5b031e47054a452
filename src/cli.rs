//! The operator's command line: `serve` (default), `migrate`,
//! `create-user`, `import-units`, `import-users`.
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::configuration::Settings;
use crate::domain::unit_path::UnitIndex;
use crate::i18n::Lang;
use crate::services::accounts::{self, UserInput};
use crate::startup::Application;
use crate::store::units;

#[derive(Parser, Debug)]
#[command(
    name = "ictskills",
    version,
    about = "Basic ICT skills training, exams and certificates"
)]
pub struct Cli {
    /// Holds the SQLite file and the `.eml` outbox when no SMTP is set.
    #[arg(long, global = true, env = "ICTSKILLS_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Folder with default.toml / local.toml.
    #[arg(long, global = true, default_value = "config")]
    pub config_dir: PathBuf,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web service (the default): migrates and loads shipped content first.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 or 0.0.0.0:8080.
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Create a user (for example the first admin).
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        full_name: String,
        /// learner, trainer, marker, unit_manager or admin (repeat for several).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Without it: ICTSKILLS_PASSWORD, else a prompt.
        #[arg(long)]
        password: Option<String>,
        #[arg(long)]
        date_of_birth: Option<String>,
        #[arg(long)]
        place_of_birth: Option<String>,
        #[arg(long)]
        sex: Option<String>,
        /// A unit code or path, e.g. 00070 or "Hà Nội / Phường Hoàn Kiếm".
        #[arg(long)]
        unit: Option<String>,
    },
    /// Import units from CSV `code,name,kind,parent_code` (idempotent by code).
    ImportUnits {
        file: PathBuf,
        #[arg(long)]
        dry_run: bool,
    },
    /// Import a roster of officials (CSV or XLSX); invitations are e-mailed.
    ImportUsers {
        file: PathBuf,
        #[arg(long)]
        dry_run: bool,
    },
    /// Import question files (GIFT, Moodle XML, Aiken, XLSX, CSV), all or nothing.
    ImportQuestions {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// gift, moodle-xml, aiken, xlsx or csv (default: from each file's extension).
        #[arg(long)]
        format: Option<String>,
        /// For files that do not say (Aiken): IU01…IU15.
        #[arg(long)]
        module: Option<String>,
        #[arg(long)]
        difficulty: Option<String>,
        /// Load as reviewed (`ready`) instead of drafts: for banks you have checked.
        #[arg(long)]
        ready: bool,
        #[arg(long)]
        dry_run: bool,
    },
    /// Load or update a course from a folder (course.toml + one folder per module).
    ImportCourse { dir: PathBuf },
    /// Retire the credential signing key and make a new one; retired keys
    /// stay published so that certificates they signed still verify.
    RotateSigningKey,
    /// For load runs only: create N candidates (one shared password, hashed
    /// once), an admin `load-admin@load.test`, and an open session of the
    /// default basic exam with everyone registered; prints JSON for `ictskills-load`.
    LoadTestSeed {
        #[arg(long)]
        count: usize,
        /// Without it: ICTSKILLS_PASSWORD, else "load-test-password".
        #[arg(long)]
        password: Option<String>,
        /// How long the session stays open.
        #[arg(long, default_value_t = 180)]
        minutes: i64,
        /// The basic exam with this time limit instead of its own (≥ 60).
        #[arg(long)]
        time_limit_seconds: Option<i32>,
    },
    /// Copy a running SQLite installation (database with its keys and uploaded
    /// files, plus the data folder's mail outbox) into one archive FILE.
    Backup { file: PathBuf },
    /// Bring back an archive made by `backup` into the data folder (the
    /// service must be stopped). Refuses to overwrite without --force.
    Restore {
        file: PathBuf,
        #[arg(long)]
        force: bool,
    },
    /// The tamper-evident audit log.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Export the bank to standard output or --output FILE.
    ExportQuestions {
        /// gift, moodle-xml or xlsx.
        #[arg(long)]
        format: String,
        #[arg(long)]
        module: Option<String>,
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditAction {
    /// Recompute the hash chain; exit status 1 at the first broken link.
    Verify,
}

pub fn load_settings(cli: &Cli) -> anyhow::Result<Settings> {
    let mut settings = Settings::load(&cli.config_dir)?;
    if let Some(d) = &cli.data_dir {
        settings.data_dir = d.clone();
    }
    Ok(settings)
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = load_settings(&cli)?;
    match cli.command {
        None | Some(Command::Serve { .. }) => {
            if let Some(Command::Serve { bind: Some(b) }) = &cli.command {
                settings.server.bind = b.clone();
            }
            crate::telemetry::init("info,sqlx=warn,sea_orm=warn");
            serve(settings).await
        }
        Some(Command::Migrate) => {
            crate::telemetry::init("warn");
            let db = crate::db::connect(&settings).await?;
            crate::db::migrate(&db).await?;
            println!("migrations applied");
            Ok(())
        }
        Some(Command::CreateUser {
            email,
            full_name,
            roles,
            password,
            date_of_birth,
            place_of_birth,
            sex,
            unit,
        }) => {
            crate::telemetry::init("warn");
            let db = crate::db::connect(&settings).await?;
            crate::db::migrate(&db).await?;
            let password = match password.or_else(|| std::env::var("ICTSKILLS_PASSWORD").ok()) {
                Some(p) => p,
                None if std::io::stdin().is_terminal() => rpassword::prompt_password("Password: ")?,
                None => {
                    anyhow::bail!("give --password, set ICTSKILLS_PASSWORD, or run in a terminal")
                }
            };
            let unit_id = match unit {
                Some(u) => {
                    let index = UnitIndex::new(units::all_refs(&db).await?);
                    Some(
                        index
                            .resolve(&u)
                            .map_err(|e| anyhow::anyhow!(e.message(Lang::En)))?,
                    )
                }
                None => None,
            };
            let input = UserInput {
                email,
                full_name,
                date_of_birth,
                place_of_birth,
                sex,
                unit_id,
                roles,
                password: Some(password),
                ..Default::default()
            };
            let user = accounts::create_user(&db, &settings, input)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created {} ({})", user.user.email, user.user.id);
            Ok(())
        }
        Some(Command::ImportUnits { file, dry_run }) => {
            crate::telemetry::init("warn");
            let bytes = read_file(&file)?;
            let db = crate::db::connect(&settings).await?;
            crate::db::migrate(&db).await?;
            let report = crate::services::units::import(&db, &bytes, dry_run, Lang::En)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            print_errors(
                &file,
                report.errors.iter().map(|e| (e.line, e.message.as_str())),
            )?;
            println!(
                "{}created {}, updated {}, unchanged {}",
                if dry_run { "dry run: " } else { "" },
                report.counts.created,
                report.counts.updated,
                report.counts.unchanged
            );
            Ok(())
        }
        Some(Command::ImportQuestions {
            files,
            format,
            module,
            difficulty,
            ready,
            dry_run,
        }) => {
            crate::telemetry::init("warn");
            import_questions(
                &settings,
                &files,
                format.as_deref(),
                module.as_deref(),
                difficulty.as_deref(),
                ready,
                dry_run,
            )
            .await
        }
        Some(Command::ImportCourse { dir }) => {
            crate::telemetry::init("warn");
            let files = read_dir_texts(&dir)?;
            let db = crate::db::connect(&settings).await?;
            crate::db::migrate(&db).await?;
            match crate::services::courses::import(&db, &files)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                Ok(c) => {
                    println!(
                        "{}: lessons created {}, updated {}, unchanged {}",
                        dir.display(),
                        c.created,
                        c.updated,
                        c.unchanged
                    );
                    Ok(())
                }
                Err(errors) => {
                    for e in &errors {
                        eprintln!("{}:{}: {}", dir.join(&e.file).display(), e.line, e.message);
                    }
                    anyhow::bail!(
                        "{}: {} error(s); nothing was written",
                        dir.display(),
                        errors.len()
                    )
                }
            }
        }
        Some(Command::LoadTestSeed {
            count,
            password,
            minutes,
            time_limit_seconds,
        }) => {
            crate::telemetry::init("warn");
            let password = password
                .or_else(|| std::env::var("ICTSKILLS_PASSWORD").ok())
                .unwrap_or_else(|| "load-test-password".into());
            let db = crate::db::connect(&settings).await?;
            crate::db::migrate(&db).await?;
            crate::seed::on_first_start(&db).await?;
            let seeded = crate::services::loadtest::seed(
                &db,
                &settings,
                count,
                &password,
                minutes,
                time_limit_seconds,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", serde_json::to_string(&seeded)?);
            Ok(())
        }
        Some(Command::Audit {
            action: AuditAction::Verify,
        }) => {
            crate::telemetry::init("warn");
            let db = crate::db::connect(&settings).await?;
            crate::db::migrate(&db).await?;
            let v = crate::services::audit::verify(&db).await?;
            match &v.broken {
                None => {
                    println!(
                        "audit log intact: {} entries verified; head {} {}; {} not sealed yet",
                        v.verified, v.head_seq, v.head_hash, v.pending
                    );
                    Ok(())
                }
                Some(b) => {
                    eprintln!(
                        "audit log BROKEN at entry {}{}{}: {}",
                        b.seq,
                        b.id.map(|i| format!(" (id {i}")).unwrap_or_default(),
                        match (&b.kind, b.at) {
                            (Some(k), Some(at)) => format!(", {k} at {}", at.to_rfc3339()),
                            _ => String::new(),
                        } + if b.id.is_some() { ")" } else { "" },
                        b.reason
                    );
                    eprintln!(
                        "the {} entries before it verify; last good hash {}",
                        v.verified, v.head_hash
                    );
                    anyhow::bail!("the audit log does not verify")
                }
            }
        }
        Some(Command::Backup { file }) => {
            crate::telemetry::init("warn");
            let r = crate::backup::backup(&settings, &file).await?;
            println!("{r}");
            Ok(())
        }
        Some(Command::Restore { file, force }) => {
            crate::telemetry::init("warn");
            let r = crate::backup::restore(&settings, &file, force).await?;
            println!("{r}");
            Ok(())
        }
        Some(Command::RotateSigningKey) => {
            crate::telemetry::init("warn");
            let db = crate::db::connect(&settings).await?;
            crate::db::migrate(&db).await?;
            let k = crate::services::certificates::rotate_key(&db)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("new signing key: {}", k.kid);
            Ok(())
        }
        Some(Command::ExportQuestions {
            format,
            module,
            output,
        }) => {
            crate::telemetry::init("warn");
            use crate::services::questions::{self, ExportFormat};
            let fmt = ExportFormat::parse(&format).ok_or_else(|| {
                anyhow::anyhow!("--format {format}: expected gift, moodle-xml or xlsx")
            })?;
            let module = match module {
                Some(m) => Some(
                    crate::domain::question::ModuleCode::parse(&m)
                        .ok_or_else(|| anyhow::anyhow!("--module {m}: expected IU01…IU15"))?
                        .as_str()
                        .to_string(),
                ),
                None => None,
            };
            let db = crate::db::connect(&settings).await?;
            crate::db::migrate(&db).await?;
            let filter = crate::store::questions::QuestionFilter {
                module,
                ..Default::default()
            };
            let bytes = questions::export(&db, fmt, &filter)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            match output {
                Some(path) => std::fs::write(&path, bytes)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
            Ok(())
        }
        Some(Command::ImportUsers { file, dry_run }) => {
            crate::telemetry::init("warn");
            let bytes = read_file(&file)?;
            let db = crate::db::connect(&settings).await?;
            crate::db::migrate(&db).await?;
            let report = crate::services::roster::import(&db, &settings, &bytes, dry_run, Lang::En)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            print_errors(
                &file,
                report.errors.iter().map(|e| (e.line, e.message.as_str())),
            )?;
            println!(
                "{}created {}, updated {}, unchanged {}",
                if dry_run { "dry run: " } else { "" },
                report.created,
                report.updated,
                report.unchanged
            );
            if !dry_run && report.created > 0 {
                println!(
                    "invitations queued; the running service delivers them (or writes them to {})",
                    settings.outbox_dir().display()
                );
            }
            Ok(())
        }
    }
}

async fn import_questions(
    settings: &Settings,
    files: &[PathBuf],
    format: Option<&str>,
    module: Option<&str>,
    difficulty: Option<&str>,
    ready: bool,
    dry_run: bool,
) -> anyhow::Result<()> {
    use crate::domain::question::{Difficulty, ImportDefaults, ModuleCode};
    use crate::services::questions::{self, ImportFormat, Origin};
    let defaults = ImportDefaults {
        module: match module {
            Some(m) => Some(
                ModuleCode::parse(m)
                    .ok_or_else(|| anyhow::anyhow!("--module {m}: expected IU01…IU15"))?,
            ),
            None => None,
        },
        topic: None,
        difficulty: match difficulty {
            Some(d) => Some(Difficulty::parse(d).ok_or_else(|| {
                anyhow::anyhow!("--difficulty {d}: expected easy, medium or hard")
            })?),
            None => None,
        },
    };
    // Read and check every file before writing any.
    let mut loaded = Vec::new();
    for file in files {
        let fmt = match format {
            Some(f) => ImportFormat::parse(f).ok_or_else(|| {
                anyhow::anyhow!("--format {f}: expected gift, moodle-xml, aiken, xlsx or csv")
            })?,
            None => ImportFormat::from_path(file).ok_or_else(|| {
                anyhow::anyhow!(
                    "{}: cannot tell the format from the extension; give --format",
                    file.display()
                )
            })?,
        };
        loaded.push((file, fmt, read_file(file)?));
    }
    let db = crate::db::connect(settings).await?;
    crate::db::migrate(&db).await?;
    crate::seed::taxonomy(&db).await?;
    let origin = if ready {
        Origin::Shipped
    } else {
        Origin::Operator
    };
    let mut failed = false;
    for (file, fmt, bytes) in &loaded {
        let report = questions::import(&db, *fmt, bytes, &defaults, true, origin)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        for s in &report.skipped {
            eprintln!("{}:{}: {}", file.display(), s.line, s.reason);
        }
        for e in &report.errors {
            eprintln!("{}:{}: {}", file.display(), e.line, e.message);
            failed = true;
        }
    }
    if failed {
        anyhow::bail!("errors found; nothing was written");
    }
    for (file, fmt, bytes) in &loaded {
        let report = questions::import(&db, *fmt, bytes, &defaults, dry_run, origin)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!(
            "{}: {}created {}, updated {}, unchanged {}, skipped {}{}",
            file.display(),
            if dry_run { "dry run: " } else { "" },
            report.created,
            report.updated,
            report.unchanged,
            report.skipped.len(),
            if report.new_topics.is_empty() {
                String::new()
            } else {
                format!(", new topics {}", report.new_topics.join(" "))
            }
        );
    }
    Ok(())
}

/// Every file under `dir`, as (path relative to `dir` with `/`, text).
fn read_dir_texts(dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| anyhow::anyhow!("{}: {e}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir)?.to_string_lossy().replace('\\', "/");
                let bytes = read_file(&path)?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| anyhow::anyhow!("{}:1: not UTF-8", path.display()))?;
                out.push((rel, text));
            }
        }
    }
    Ok(out)
}

fn read_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Prints `FILE:LINE: message` for each error and fails when there is one.
fn print_errors<'a>(
    file: &Path,
    errors: impl Iterator<Item = (usize, &'a str)>,
) -> anyhow::Result<()> {
    let mut n = 0;
    for (line, message) in errors {
        eprintln!("{}:{line}: {message}", file.display());
        n += 1;
    }
    if n > 0 {
        anyhow::bail!("{}: {n} error(s); nothing was written", file.display());
    }
    Ok(())
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings.clone()).await?;
    let state = app.state();
    crate::seed::on_first_start(&state.db).await?;
    if settings.site.setup_link_on_start
        && let Some(link) = accounts::setup_link_if_no_admin(&state.db, &settings)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        println!();
        println!("No admin account exists yet. Open this one-time link to create one:");
        println!("  {link}");
        println!("(or run: ictskills create-user --role admin --email … --full-name …)");
        println!();
    }
    tracing::info!(
        "listening on http://{} (port {}); database: {:?}",
        settings.server.bind,
        app.port(),
        settings.database_kind()
    );
    app.run_until_stopped().await?;
    Ok(())
}
