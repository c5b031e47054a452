//! Certificates: levels, revocation reasons, verification codes and serials,
//! the signed credential (an Open Badges 3.0 `OpenBadgeCredential` as a
//! VC-JWT with Ed25519) and the W3C Bitstring Status List.
use std::collections::HashSet;
use std::io::{Read, Write};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Entries in one status list: the specification's minimum, for privacy.
pub const STATUS_LIST_SIZE: u32 = 131_072;

/// The alphabet of verification codes (Crockford's base 32: no I, L, O, U).
pub const CODE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a verification code: 12 × 5 = 60 random bits.
pub const CODE_LEN: usize = 12;

/// The certificate level. The basic level is the only one issued today;
/// the column allows the advanced level later without a schema change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Basic,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Basic => "basic",
        }
    }
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "basic" => Some(Level::Basic),
            _ => None,
        }
    }
    pub fn name_vi(self) -> &'static str {
        match self {
            Level::Basic => "Cơ bản",
        }
    }
    pub fn name_en(self) -> &'static str {
        match self {
            Level::Basic => "Basic",
        }
    }
}

/// The reasons for revoking a certificate (TT 21/2019/TT-BGDĐT, Art. 25).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RevocationReason {
    Fraud,
    Ineligible,
    UnauthorisedSigner,
    Altered,
    Lent,
    IssuerError,
}

impl RevocationReason {
    pub const ALL: [RevocationReason; 6] = [
        RevocationReason::Fraud,
        RevocationReason::Ineligible,
        RevocationReason::UnauthorisedSigner,
        RevocationReason::Altered,
        RevocationReason::Lent,
        RevocationReason::IssuerError,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationReason::Fraud => "fraud",
            RevocationReason::Ineligible => "ineligible",
            RevocationReason::UnauthorisedSigner => "unauthorised_signer",
            RevocationReason::Altered => "altered",
            RevocationReason::Lent => "lent",
            RevocationReason::IssuerError => "issuer_error",
        }
    }
    pub fn parse(s: &str) -> Option<RevocationReason> {
        Self::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            RevocationReason::Fraud => "gian lận trong học tập, thi hoặc hồ sơ",
            RevocationReason::Ineligible => "cấp cho người không đủ điều kiện",
            RevocationReason::UnauthorisedSigner => "do người không có thẩm quyền ký",
            RevocationReason::Altered => "bị tẩy xóa, sửa chữa",
            RevocationReason::Lent => "để người khác sử dụng",
            RevocationReason::IssuerError => "do lỗi của cơ quan cấp",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            RevocationReason::Fraud => "fraud in study, exam or dossier",
            RevocationReason::Ineligible => "issued to an ineligible person",
            RevocationReason::UnauthorisedSigner => "signed by an unauthorised person",
            RevocationReason::Altered => "altered",
            RevocationReason::Lent => "lent to another person",
            RevocationReason::IssuerError => "the issuer's error",
        }
    }
}

/// The level a blueprint's modules earn: all six basic modules give the
/// basic certificate; anything less earns none.
pub fn level_for_modules<'a>(modules: impl IntoIterator<Item = &'a str>) -> Option<Level> {
    let have: HashSet<&str> = modules.into_iter().collect();
    ["IU01", "IU02", "IU03", "IU04", "IU05", "IU06"]
        .iter()
        .all(|m| have.contains(m))
        .then_some(Level::Basic)
}

/// Makes a verification code from random bytes (one byte per character).
pub fn code_from_random(bytes: &[u8; CODE_LEN]) -> String {
    bytes
        .iter()
        .map(|b| CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()] as char)
        .collect()
}

/// What a lookup string is: a verification code, a serial number, or neither.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    Code(String),
    Serial(String),
}

/// Reads a code or serial as people type them: case and spaces do not
/// matter, nor the look-alikes Crockford's alphabet folds (O→0, I/L→1), nor
/// dashes inside a code. `None` for anything that cannot be either.
pub fn parse_lookup(raw: &str) -> Option<Lookup> {
    let s: String = raw.trim().to_uppercase();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if is_serial(&s) {
        return Some(Lookup::Serial(s));
    }
    let folded: String = s
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .map(|c| match c {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect();
    if folded.len() == CODE_LEN && folded.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        return Some(Lookup::Code(folded));
    }
    None
}

/// A serial number: `<centre code>-<year>-<6 digits>`.
pub fn serial(centre_code: &str, year: i32, number: i64) -> String {
    format!("{}-{year}-{number:06}", centre_code.trim().to_uppercase())
}

fn is_serial(s: &str) -> bool {
    let mut parts = s.rsplitn(3, '-');
    let (Some(num), Some(year), Some(centre)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    num.len() >= 6
        && num.bytes().all(|b| b.is_ascii_digit())
        && year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && !centre.is_empty()
        && centre
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The public JWK of an Ed25519 key.
pub fn public_jwk(kid: &str, public_key: &[u8]) -> Value {
    json!({
        "kty": "OKP",
        "crv": "Ed25519",
        "x": URL_SAFE_NO_PAD.encode(public_key),
        "kid": kid,
        "alg": "EdDSA",
        "use": "sig",
    })
}

/// A fresh Ed25519 key pair: (PKCS#8 DER private key, raw public key).
pub fn generate_keypair() -> Result<(Vec<u8>, Vec<u8>), String> {
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
    let doc = Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new())
        .map_err(|e| format!("key generation failed: {e}"))?;
    let pair = Ed25519KeyPair::from_pkcs8(doc.as_ref())
        .map_err(|e| format!("generated key unreadable: {e}"))?;
    Ok((doc.as_ref().to_vec(), pair.public_key().as_ref().to_vec()))
}

/// Signs `claims` as a compact JWS with EdDSA, naming the key in `kid`.
pub fn sign(kid: &str, private_pkcs8: &[u8], claims: &Value) -> Result<String, String> {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_string());
    header.typ = Some("JWT".into());
    encode(&header, claims, &EncodingKey::from_ed_der(private_pkcs8)).map_err(|e| e.to_string())
}

/// Why a credential does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("not a compact JWS")]
    Malformed,
    #[error("algorithm {0} is not accepted; only EdDSA")]
    Algorithm(String),
    #[error("no key named in the header")]
    NoKid,
    #[error("unknown key {0}")]
    UnknownKey(String),
    #[error("the signature does not match")]
    BadSignature,
    #[error("not valid yet")]
    NotYetValid,
}

/// Verifies a compact VC-JWT against a JWK set, as any third party would:
/// only `EdDSA`, only a key the set names, and the signature over the exact
/// bytes received. Returns the payload.
pub fn verify(token: &str, jwks: &[Value]) -> Result<Value, VerifyError> {
    let token = token.trim();
    let mut parts = token.split('.');
    let (Some(h), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(VerifyError::Malformed);
    };
    let header: Value = URL_SAFE_NO_PAD
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(VerifyError::Malformed)?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg != "EdDSA" {
        return Err(VerifyError::Algorithm(alg.to_string()));
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or(VerifyError::NoKid)?;
    let jwk_value = jwks
        .iter()
        .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid))
        .ok_or_else(|| VerifyError::UnknownKey(kid.to_string()))?;
    let jwk: Jwk = serde_json::from_value(jwk_value.clone())
        .map_err(|_| VerifyError::UnknownKey(kid.to_string()))?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| VerifyError::UnknownKey(kid.into()))?;
    let mut v = Validation::new(Algorithm::EdDSA);
    v.required_spec_claims = HashSet::new();
    v.validate_exp = false;
    v.validate_nbf = true;
    v.validate_aud = false;
    v.leeway = 60;
    match decode::<Value>(token, &key, &v) {
        Ok(data) => Ok(data.claims),
        Err(e) => Err(match e.kind() {
            jsonwebtoken::errors::ErrorKind::ImmatureSignature => VerifyError::NotYetValid,
            jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => {
                VerifyError::Algorithm(alg.to_string())
            }
            jsonwebtoken::errors::ErrorKind::InvalidSignature => VerifyError::BadSignature,
            _ => VerifyError::Malformed,
        }),
    }
}

/// Sets bit `index` (the left-most bit of the first byte is index 0).
pub fn set_bit(bits: &mut [u8], index: u32) {
    if let Some(b) = bits.get_mut((index / 8) as usize) {
        *b |= 0x80 >> (index % 8);
    }
}

pub fn get_bit(bits: &[u8], index: u32) -> bool {
    bits.get((index / 8) as usize)
        .is_some_and(|b| b & (0x80 >> (index % 8)) != 0)
}

/// The `encodedList` of a Bitstring Status List: the bitstring of
/// `STATUS_LIST_SIZE` entries with the given ones set, GZIP-compressed,
/// base64url without padding, with the multibase prefix `u`.
pub fn encode_status_list(set: impl IntoIterator<Item = u32>) -> Result<String, String> {
    let mut bits = vec![0u8; (STATUS_LIST_SIZE / 8) as usize];
    for i in set {
        set_bit(&mut bits, i);
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bits).map_err(|e| e.to_string())?;
    let zipped = gz.finish().map_err(|e| e.to_string())?;
    Ok(format!("u{}", URL_SAFE_NO_PAD.encode(zipped)))
}

/// Decodes an `encodedList` (with or without the multibase prefix), reading
/// at most a few times the list's size, so a hostile list cannot exhaust memory.
pub fn decode_status_list(encoded: &str) -> Result<Vec<u8>, String> {
    let body = encoded.strip_prefix('u').unwrap_or(encoded);
    let zipped = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|e| format!("not base64url: {e}"))?;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(zipped.as_slice())
        .take(u64::from(STATUS_LIST_SIZE) * 4)
        .read_to_end(&mut out)
        .map_err(|e| format!("not gzip: {e}"))?;
    Ok(out)
}

/// Which status list and which entry a register-wide status index falls in.
pub fn status_slot(global_index: i64) -> (i32, i32) {
    let size = i64::from(STATUS_LIST_SIZE);
    (
        (global_index / size + 1) as i32,
        (global_index % size) as i32,
    )
}

/// The facts a credential states.
#[derive(Clone, Debug)]
pub struct CredentialFacts<'a> {
    pub certificate_id: uuid::Uuid,
    pub holder_id: uuid::Uuid,
    pub holder_name: &'a str,
    pub holder_date_of_birth: Option<chrono::NaiveDate>,
    pub level: Level,
    pub serial: &'a str,
    pub register_number: i32,
    pub year: i32,
    pub score: f64,
    pub exam_date: chrono::NaiveDate,
    pub issued_at: chrono::DateTime<chrono::Utc>,
    pub issuer_did: &'a str,
    pub issuer_name: &'a str,
    pub base_url: &'a str,
    pub verify_url: &'a str,
    pub status_list: i32,
    pub status_index: i32,
}

/// The JWT claims of an `OpenBadgeCredential` (W3C VC 2.0 data model).
pub fn credential_claims(f: &CredentialFacts) -> Value {
    let id = format!("urn:uuid:{}", f.certificate_id);
    let status_url = format!("{}/api/v1/status-lists/{}", f.base_url, f.status_list);
    let mut identifiers = vec![json!({
        "type": "IdentityObject",
        "identityType": "name",
        "hashed": false,
        "identityHash": f.holder_name,
    })];
    if let Some(d) = f.holder_date_of_birth {
        identifiers.push(json!({
            "type": "IdentityObject",
            "identityType": "ext:dateOfBirth",
            "hashed": false,
            "identityHash": d.format("%Y-%m-%d").to_string(),
        }));
    }
    let vc = json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ],
        "id": id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Chứng chỉ ứng dụng công nghệ thông tin cơ bản",
        "issuer": {
            "id": f.issuer_did,
            "type": ["Profile"],
            "name": f.issuer_name,
            "url": f.base_url,
        },
        "validFrom": f.issued_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "credentialSubject": {
            "id": format!("urn:uuid:{}", f.holder_id),
            "type": ["AchievementSubject"],
            "identifier": identifiers,
            "achievement": {
                "id": format!("{}/achievements/{}", f.base_url, f.level.as_str()),
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": format!("Ứng dụng công nghệ thông tin - {}", f.level.name_vi()),
                "description": "Chuẩn kỹ năng sử dụng công nghệ thông tin cơ bản \
                                (Thông tư 03/2014/TT-BTTTT, mô-đun IU01–IU06).",
                "criteria": {
                    "narrative": "Đạt kỳ thi sát hạch gồm đủ sáu mô-đun IU01–IU06, \
                                  mỗi phần thi từ 5/10 điểm trở lên."
                },
            },
            "result": [{
                "type": ["Result"],
                "value": format!("{:.2}", f.score),
            }],
            "examDate": f.exam_date.format("%Y-%m-%d").to_string(),
            "serialNumber": f.serial,
            "registerNumber": format!("{}/{}", f.register_number, f.year),
        },
        "evidence": [{
            "id": f.verify_url,
            "type": ["Evidence"],
            "name": "Verification page",
        }],
        "credentialStatus": {
            "id": format!("{status_url}#{}", f.status_index),
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": f.status_index.to_string(),
            "statusListCredential": status_url,
        },
    });
    json!({
        "iss": f.issuer_did,
        "jti": id,
        "sub": format!("urn:uuid:{}", f.holder_id),
        "nbf": f.issued_at.timestamp(),
        "iat": f.issued_at.timestamp(),
        "vc": vc,
    })
}

/// The claims of a `BitstringStatusListCredential`.
pub fn status_list_claims(
    issuer_did: &str,
    base_url: &str,
    list: i32,
    encoded: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Value {
    let id = format!("{base_url}/api/v1/status-lists/{list}");
    json!({
        "iss": issuer_did,
        "jti": id,
        "nbf": now.timestamp(),
        "iat": now.timestamp(),
        "vc": {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": id,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": issuer_did,
            "validFrom": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "credentialSubject": {
                "id": format!("{id}#list"),
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": encoded,
            },
        },
    })
}

/// `did:web` for a public URL: the host (a port's colon percent-encoded),
/// then path segments joined with colons.
pub fn did_web(base_url: &str) -> String {
    let Ok(u) = url::Url::parse(base_url) else {
        return "did:web:localhost".into();
    };
    let mut did = format!("did:web:{}", u.host_str().unwrap_or("localhost"));
    if let Some(p) = u.port() {
        did.push_str(&format!("%3A{p}"));
    }
    for seg in u.path().split('/').filter(|s| !s.is_empty()) {
        did.push(':');
        did.push_str(seg);
    }
    did
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_serials_parse() {
        let c = code_from_random(&[0, 1, 2, 3, 31, 32, 33, 200, 255, 7, 8, 9]);
        assert_eq!(c.len(), CODE_LEN);
        assert_eq!(parse_lookup(&c), Some(Lookup::Code(c.clone())));
        assert_eq!(
            parse_lookup(&c.to_lowercase()),
            Some(Lookup::Code(c.clone()))
        );
        assert_eq!(
            parse_lookup("abcd-efgh-jkmo"),
            Some(Lookup::Code("ABCDEFGHJKM0".into()))
        );
        assert_eq!(serial("tt01", 2026, 7), "TT01-2026-000007");
        assert_eq!(
            parse_lookup(" TT01-2026-000007 "),
            Some(Lookup::Serial("TT01-2026-000007".into()))
        );
        assert_eq!(parse_lookup("x"), None);
        assert_eq!(
            parse_lookup("ABCDEFGHJKMU"),
            None,
            "U is not in the alphabet"
        );
        assert_eq!(parse_lookup("<script>"), None);
        assert_eq!(parse_lookup(""), None);
    }

    #[test]
    fn only_all_six_modules_earn_the_basic_level() {
        let six = ["IU01", "IU02", "IU03", "IU04", "IU05", "IU06"];
        assert_eq!(level_for_modules(six), Some(Level::Basic));
        assert_eq!(level_for_modules(six[..5].iter().copied()), None);
        let more = ["IU06", "IU05", "IU04", "IU03", "IU02", "IU01", "IU07"];
        assert_eq!(level_for_modules(more), Some(Level::Basic));
    }

    #[test]
    fn reasons_round_trip() {
        for r in RevocationReason::ALL {
            assert_eq!(RevocationReason::parse(r.as_str()), Some(r));
        }
        assert_eq!(RevocationReason::parse("because"), None);
    }

    #[test]
    fn status_list_round_trips_and_has_the_minimum_size() {
        let enc = encode_status_list([0, 7, 8, 131_071]).unwrap();
        assert!(enc.starts_with('u'));
        let bits = decode_status_list(&enc).unwrap();
        assert_eq!(bits.len() * 8, STATUS_LIST_SIZE as usize);
        for i in [0, 7, 8, 131_071] {
            assert!(get_bit(&bits, i), "bit {i}");
        }
        assert!(!get_bit(&bits, 1));
        assert_eq!(bits[0], 0b1000_0001);
        assert_eq!(bits[1], 0b1000_0000);
        assert_eq!(status_slot(0), (1, 0));
        assert_eq!(status_slot(131_072), (2, 0));
        assert_eq!(status_slot(131_073), (2, 1));
    }

    #[test]
    fn did_web_encodes_port_and_path() {
        assert_eq!(
            did_web("https://cert.example.vn"),
            "did:web:cert.example.vn"
        );
        assert_eq!(
            did_web("http://127.0.0.1:8080/ict"),
            "did:web:127.0.0.1%3A8080:ict"
        );
    }

    fn facts() -> Value {
        credential_claims(&CredentialFacts {
            certificate_id: uuid::Uuid::nil(),
            holder_id: uuid::Uuid::nil(),
            holder_name: "Nguyễn Thị Hường",
            holder_date_of_birth: chrono::NaiveDate::from_ymd_opt(1990, 2, 3),
            level: Level::Basic,
            serial: "TT-2026-000001",
            register_number: 1,
            year: 2026,
            score: 8.5,
            exam_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            issued_at: chrono::Utc::now(),
            issuer_did: "did:web:example.vn",
            issuer_name: "Trung tâm",
            base_url: "https://example.vn",
            verify_url: "https://example.vn/verify/X",
            status_list: 1,
            status_index: 5,
        })
    }

    #[test]
    fn signed_credentials_verify_and_tampering_fails() {
        let (private, public) = generate_keypair().unwrap();
        let jwks = vec![public_jwk("k1", &public)];
        let claims = facts();
        let token = sign("k1", &private, &claims).unwrap();
        let back = verify(&token, &jwks).unwrap();
        assert_eq!(back, claims);
        assert_eq!(
            back["vc"]["credentialStatus"]["statusListIndex"],
            json!("5")
        );

        // One character of the payload changed.
        let parts: Vec<&str> = token.split('.').collect();
        let mut payload = parts[1].to_string();
        let c = payload.pop().unwrap();
        payload.push(if c == 'A' { 'B' } else { 'A' });
        let tampered = format!("{}.{}.{}", parts[0], payload, parts[2]);
        assert!(verify(&tampered, &jwks).is_err());

        // Another key, same kid.
        let (other, _) = generate_keypair().unwrap();
        let forged = sign("k1", &other, &claims).unwrap();
        assert_eq!(verify(&forged, &jwks), Err(VerifyError::BadSignature));

        // A kid the set does not know.
        let unknown = sign("k2", &private, &claims).unwrap();
        assert!(matches!(
            verify(&unknown, &jwks),
            Err(VerifyError::UnknownKey(_))
        ));

        // alg none, and HS256 keyed with the public key.
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"k1"}"#),
            parts[1]
        );
        assert!(matches!(
            verify(&none, &jwks),
            Err(VerifyError::Algorithm(_))
        ));
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some("k1".into());
        let hs = encode(&h, &claims, &EncodingKey::from_secret(&public)).unwrap();
        assert!(matches!(verify(&hs, &jwks), Err(VerifyError::Algorithm(_))));
        assert_eq!(verify("a.b", &jwks), Err(VerifyError::Malformed));
    }
}
