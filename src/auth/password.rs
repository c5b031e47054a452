//! Argon2id hashing, off the async threads.
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::error::AppError;

/// Argon2 needs 19 MiB per hash. Hashing on a fixed set of threads (one per
/// core) bounds both the CPU logins take and the memory the allocator keeps
/// per thread; tokio's blocking pool would spread hashes over hundreds of
/// threads, each keeping its own arena.
type Job = Box<dyn FnOnce() + Send>;

static HASHERS: std::sync::LazyLock<std::sync::mpsc::Sender<Job>> =
    std::sync::LazyLock::new(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        let n = std::thread::available_parallelism().map_or(2, |n| n.get());
        for i in 0..n {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        tx
    });

/// Runs `f` on the hashing threads.
async fn on_hashers<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    HASHERS
        .send(Box::new(move || {
            let _ = tx.send(f());
        }))
        .map_err(|_| AppError::internal(anyhow::anyhow!("password hashing threads stopped")))?;
    rx.await.map_err(AppError::internal)
}

pub async fn hash(password: String) -> Result<String, AppError> {
    on_hashers(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2 hash: {e}"))
    })
    .await?
    .map_err(AppError::internal)
}

/// True when `password` matches `hash`. With no hash (an unknown account or
/// one without a password yet) a dummy hash is checked, so both take as long.
pub async fn verify(password: String, hash: Option<String>) -> Result<bool, AppError> {
    on_hashers(move || {
        let argon = Argon2::default();
        match hash {
            Some(h) => argon
                .verify_password(password.as_bytes(), h.as_str())
                .is_ok(),
            None => {
                let _ = argon.verify_password(password.as_bytes(), dummy_hash());
                false
            }
        }
    })
    .await
}

/// The hash of a random string nobody knows, made once with the default
/// parameters, so that checking it costs what checking a real hash costs.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        Argon2::default()
            .hash_password(super::random_token().as_bytes())
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}
