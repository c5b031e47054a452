//! Signed access tokens (HS256 JWT). The key is generated on first start and
//! kept in the database, so every instance accepts every other's tokens.
use base64::Engine;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::store::settings;

const KEY_SETTING: &str = "token_signing_key";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub iat: i64,
    pub exp: i64,
    /// The user's session version when the token was made; a password
    /// change bumps it and so ends older sessions.
    pub sv: i32,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub ttl_seconds: i64,
}

impl TokenKeys {
    /// Loads the signing key from the database, creating it on first start.
    pub async fn load(db: &impl ConnectionTrait, ttl_seconds: i64) -> anyhow::Result<TokenKeys> {
        let b64 = settings::get_or_init(db, KEY_SETTING, || {
            let mut key = [0u8; 64];
            rand::fill(&mut key);
            base64::engine::general_purpose::STANDARD.encode(key)
        })
        .await?;
        let secret = base64::engine::general_purpose::STANDARD.decode(b64)?;
        Ok(TokenKeys {
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
            ttl_seconds,
        })
    }

    pub fn issue(&self, user_id: Uuid, session_version: i32) -> anyhow::Result<String> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user_id,
            iat: now,
            exp: now + self.ttl_seconds,
            sv: session_version,
        };
        Ok(encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The claims of a valid, unexpired token signed with our key; `None` otherwise
    /// (forged, another key, `alg: none`, expired, malformed).
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = 0;
        v.set_required_spec_claims(&["exp", "sub"]);
        decode::<Claims>(token, &self.decoding, &v)
            .ok()
            .map(|d| d.claims)
    }
}
