//! `ictskills backup FILE` and `ictskills restore FILE` for SQLite
//! installations. Everything an installation holds lives in its database
//! (accounts, the bank, attempts, the signing and token keys, uploaded files
//! as content-addressed blobs); the data folder adds only the mail outbox.
//!
//! A backup is one ZIP archive: `ictskills.db`, made with `VACUUM INTO` (an
//! online, transactionally consistent copy taken while the service runs;
//! writers are not stopped), the outbox files, and `manifest.json` (format,
//! time, database size and SHA-256, the audit chain's head). The archive is
//! written beside FILE and renamed into place only when complete.
//!
//! PostgreSQL installations are backed up with PostgreSQL's own tools
//! (`pg_dump --format=custom`, `pg_restore`); see the README.
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, Database};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::configuration::{DatabaseKind, Settings};

const FORMAT: &str = "ictskills-backup";
const DB_ENTRY: &str = "ictskills.db";

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub app_version: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub database: String,
    pub database_bytes: u64,
    pub database_sha256: String,
    pub outbox_files: Vec<String>,
    pub audit_head_seq: i64,
    pub audit_head_hash: String,
}

fn sqlite_path(settings: &Settings) -> anyhow::Result<PathBuf> {
    match settings.database_kind() {
        DatabaseKind::Sqlite(p) => Ok(p),
        DatabaseKind::Postgres => bail!(
            "this installation uses PostgreSQL: back it up with PostgreSQL's tools, e.g. \
             `pg_dump --format=custom --file ictskills.dump \"$DATABASE_URL\"`, and restore with \
             `pg_restore --clean --if-exists --dbname \"$DATABASE_URL\" ictskills.dump` (see the README)"
        ),
    }
}

fn sqlite_url(path: &Path, mode: &str) -> String {
    format!("sqlite://{}?mode={mode}", path.display())
}

fn sha256_file(path: &Path) -> anyhow::Result<(u64, String)> {
    let mut f = BufReader::new(File::open(path)?);
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        n += k as u64;
        h.update(&buf[..k]);
    }
    Ok((n, hex::encode(h.finalize())))
}

async fn integrity(path: &Path) -> anyhow::Result<(i64, String)> {
    let db = Database::connect(sqlite_url(path, "ro")).await?;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "PRAGMA integrity_check",
        ))
        .await?;
    let ok: String = row
        .map(|r| r.try_get_by_index::<String>(0))
        .transpose()?
        .unwrap_or_default();
    if ok != "ok" {
        bail!("the database copy fails SQLite's integrity check: {ok}");
    }
    let v = crate::services::audit::verify(&db).await?;
    let _ = db.close().await;
    Ok((v.head_seq, v.head_hash))
}

fn outbox_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd {
            let e = e?;
            if e.file_type()?.is_file() {
                out.push(e.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Writes a consistent copy of the running installation to `file`.
pub async fn backup(settings: &Settings, file: &Path) -> anyhow::Result<String> {
    let src = sqlite_path(settings)?;
    if !src.exists() {
        bail!("no database at {}: nothing to back up", src.display());
    }
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let stem = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "backup".into());
    let tmp_db = dir.join(format!(".{stem}.{}.db", uuid::Uuid::new_v4().simple()));
    let tmp_zip = dir.join(format!(".{stem}.{}.partial", uuid::Uuid::new_v4().simple()));
    let result = async {
        // The online copy: one read transaction, so one consistent moment.
        let db = Database::connect(sqlite_url(&src, "ro")).await?;
        let target = tmp_db.to_string_lossy().replace('\'', "''");
        db.execute_unprepared(&format!("VACUUM INTO '{target}'"))
            .await
            .context("the online copy (VACUUM INTO) failed")?;
        let _ = db.close().await;
        let (head_seq, head_hash) = integrity(&tmp_db).await?;
        let (bytes, sha) = sha256_file(&tmp_db)?;
        let outbox = outbox_files(&settings.outbox_dir())?;
        let manifest = Manifest {
            format: FORMAT.into(),
            version: 1,
            app_version: env!("CARGO_PKG_VERSION").into(),
            created_at: chrono::Utc::now(),
            database: DB_ENTRY.into(),
            database_bytes: bytes,
            database_sha256: sha,
            outbox_files: outbox
                .iter()
                .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
                .collect(),
            audit_head_seq: head_seq,
            audit_head_hash: head_hash,
        };
        let out = File::create(&tmp_zip)
            .with_context(|| format!("cannot write {}", tmp_zip.display()))?;
        let mut zip = zip::ZipWriter::new(BufWriter::new(out));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        zip.start_file("manifest.json", opts)?;
        zip.write_all(serde_json::to_string_pretty(&manifest)?.as_bytes())?;
        zip.start_file(DB_ENTRY, opts)?;
        std::io::copy(&mut BufReader::new(File::open(&tmp_db)?), &mut zip)?;
        for p in &outbox {
            if let Some(name) = p.file_name() {
                zip.start_file(format!("outbox/{}", name.to_string_lossy()), opts)?;
                std::io::copy(&mut BufReader::new(File::open(p)?), &mut zip)?;
            }
        }
        let mut w = zip.finish()?;
        w.flush()?;
        w.get_ref().sync_all()?;
        std::fs::rename(&tmp_zip, file)
            .with_context(|| format!("cannot write {}", file.display()))?;
        anyhow::Ok(format!(
            "backup written to {}: database {} bytes (sha256 {}), {} outbox files, audit head {}",
            file.display(),
            manifest.database_bytes,
            manifest.database_sha256,
            manifest.outbox_files.len(),
            manifest.audit_head_seq
        ))
    }
    .await;
    let _ = std::fs::remove_file(&tmp_db);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp_zip);
    }
    result
}

fn sidecars(db: &Path) -> [PathBuf; 3] {
    let s = db.to_string_lossy();
    [
        db.to_path_buf(),
        PathBuf::from(format!("{s}-wal")),
        PathBuf::from(format!("{s}-shm")),
    ]
}

/// Brings back an archive made by [`backup`] into the configured data folder.
pub async fn restore(settings: &Settings, file: &Path, force: bool) -> anyhow::Result<String> {
    let dest = sqlite_path(settings)?;
    let f = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(f))
        .with_context(|| format!("{} is not a backup archive", file.display()))?;
    let manifest: Manifest = {
        let m = zip
            .by_name("manifest.json")
            .with_context(|| format!("{}: no manifest.json: not a backup", file.display()))?;
        let mut s = String::new();
        m.take(1 << 20).read_to_string(&mut s)?;
        serde_json::from_str(&s)
            .with_context(|| format!("{}: manifest.json is not readable", file.display()))?
    };
    if manifest.format != FORMAT || manifest.version != 1 {
        bail!(
            "{}: not an ictskills backup (format {} version {})",
            file.display(),
            manifest.format,
            manifest.version
        );
    }
    if dest.exists() && !force {
        bail!(
            "{} already exists: stop the service and pass --force to replace it \
             (the current database is kept beside it)",
            dest.display()
        );
    }
    let dir = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    std::fs::create_dir_all(&dir)?;
    let tmp = dir.join(format!(".restoring.{}.db", uuid::Uuid::new_v4().simple()));
    let mut mail_tmp: Vec<PathBuf> = Vec::new();
    let result = async {
        {
            let mut entry = zip
                .by_name(DB_ENTRY)
                .with_context(|| format!("{}: the archive holds no database", file.display()))?;
            let mut out = BufWriter::new(File::create(&tmp)?);
            std::io::copy(&mut entry, &mut out)?;
            out.flush()?;
            out.get_ref().sync_all()?;
        }
        let (bytes, sha) = sha256_file(&tmp)?;
        if bytes != manifest.database_bytes || sha != manifest.database_sha256 {
            bail!(
                "{}: the database in the archive is damaged (its SHA-256 does not match the manifest)",
                file.display()
            );
        }
        let (head_seq, _) = integrity(&tmp).await?;
        // The mail first, beside the outbox: a failure here leaves the
        // installation as it was.
        let outbox = settings.outbox_dir();
        let mut mail = Vec::new();
        for i in 0..zip.len() {
            let mut e = zip.by_index(i)?;
            let Some(name) = e.name()?.strip_prefix("outbox/").map(str::to_string) else {
                continue;
            };
            if name.is_empty() || name.contains('/') || name.contains("..") {
                continue;
            }
            if outbox.join(&name).exists() {
                continue;
            }
            std::fs::create_dir_all(&outbox)?;
            let part = outbox.join(format!(".{name}.restoring"));
            mail_tmp.push(part.clone());
            let mut out = File::create(&part)?;
            std::io::copy(&mut e, &mut out)?;
            mail.push((part, outbox.join(&name)));
        }
        if dest.exists() {
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
            for p in sidecars(&dest) {
                if p.exists() {
                    let kept = PathBuf::from(format!(
                        "{}.before-restore-{stamp}",
                        p.to_string_lossy()
                    ));
                    std::fs::rename(&p, &kept)?;
                }
            }
        }
        std::fs::rename(&tmp, &dest)?;
        for (part, target) in &mail {
            std::fs::rename(part, target)?;
        }
        let restored_mail = mail.len();
        anyhow::Ok(format!(
            "restored {} from the backup of {}: database {} bytes, {} outbox files, audit head {}",
            dest.display(),
            manifest.created_at.to_rfc3339(),
            bytes,
            restored_mail,
            head_seq
        ))
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
        for p in &mail_tmp {
            let _ = std::fs::remove_file(p);
        }
    }
    result
}
