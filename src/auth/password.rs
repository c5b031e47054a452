//! Argon2id hashing, off the async threads.
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::error::AppError;

pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2 hash: {e}"))
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)
}

/// True when `password` matches `hash`. With no hash (an unknown account or
/// one without a password yet) a dummy hash is checked, so both take as long.
pub async fn verify(password: String, hash: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
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
    .map_err(AppError::internal)
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
