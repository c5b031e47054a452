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
    crate::seed::units_on_first_start(&state.db).await?;
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
