//! Passwords, tokens, who is calling, CSRF.
pub mod csrf;
pub mod extract;
pub mod login;
pub mod password;
pub mod token;

pub use extract::{AuthUser, MaybeUser};

/// 32 random bytes, URL-safe base64: for one-time links and CSRF tokens.
pub fn random_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
