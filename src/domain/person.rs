//! Personal data as typed by people (forms, rosters), parsed into types that
//! cannot hold invalid values.
use std::fmt;

use chrono::{Datelike, NaiveDate};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::i18n::Lang;

/// Why a piece of personal data was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonError {
    #[error("invalid e-mail address {0:?}")]
    Email(String),
    #[error("the full name is empty")]
    NameEmpty,
    #[error("the full name is longer than {max} characters")]
    NameTooLong { max: usize },
    #[error("the full name contains {ch:?}")]
    NameChar { ch: char },
    #[error("invalid sex {0:?}")]
    Sex(String),
    #[error("unrecognised date format {0:?}")]
    DateFormat(String),
    #[error("impossible date {0:?}")]
    Date(String),
    #[error("the date of birth {0} is not in the past")]
    BirthInFuture(NaiveDate),
    #[error("younger than {min} years")]
    TooYoung { min: u32 },
    #[error("older than {max} years")]
    TooOld { max: u32 },
    #[error("the password is shorter than {min} characters")]
    PasswordTooShort { min: usize },
    #[error("the password is longer than {max} characters")]
    PasswordTooLong { max: usize },
    #[error("invalid phone number {0:?}")]
    Phone(String),
    #[error("invalid national id {0:?}")]
    NationalId(String),
}

impl PersonError {
    /// A sentence for the person who typed the value.
    pub fn message(&self, lang: Lang) -> String {
        let vi = matches!(lang, Lang::Vi);
        match self {
            Self::Email(v) if vi => format!("Địa chỉ email “{v}” không hợp lệ."),
            Self::Email(v) => format!("The e-mail address “{v}” is not valid."),
            Self::NameEmpty => lang
                .pick("Chưa nhập họ và tên.", "The full name is empty.")
                .into(),
            Self::NameTooLong { max } if vi => format!("Họ và tên dài quá {max} ký tự."),
            Self::NameTooLong { max } => format!("The full name is longer than {max} characters."),
            Self::NameChar { ch } if vi => format!("Họ và tên có ký tự không hợp lệ “{ch}”."),
            Self::NameChar { ch } => format!("The full name contains an invalid character “{ch}”."),
            Self::Sex(v) if vi => format!("Giới tính “{v}” không hợp lệ (dùng Nam, Nữ hoặc Khác)."),
            Self::Sex(v) => format!("The sex “{v}” is not valid (use male, female or other)."),
            Self::DateFormat(v) if vi => {
                format!("Ngày “{v}” không đúng định dạng (dùng dd/mm/yyyy hoặc yyyy-mm-dd).")
            }
            Self::DateFormat(v) => {
                format!("The date “{v}” is not in a known format (use dd/mm/yyyy or yyyy-mm-dd).")
            }
            Self::Date(v) if vi => format!("Ngày “{v}” không hợp lệ."),
            Self::Date(v) => format!("The date “{v}” does not exist."),
            Self::BirthInFuture(d) if vi => {
                format!("Ngày sinh {} chưa tới.", d.format("%d/%m/%Y"))
            }
            Self::BirthInFuture(d) => format!("The date of birth {d} is not in the past."),
            Self::TooYoung { min } if vi => format!("Người này chưa đủ {min} tuổi."),
            Self::TooYoung { min } => format!("The person is younger than {min}."),
            Self::TooOld { max } if vi => {
                format!("Người này hơn {max} tuổi; hãy kiểm tra năm sinh.")
            }
            Self::TooOld { max } => format!("The person is older than {max}; check the year."),
            Self::PasswordTooShort { min } if vi => {
                format!("Mật khẩu phải có ít nhất {min} ký tự.")
            }
            Self::PasswordTooShort { min } => {
                format!("The password needs at least {min} characters.")
            }
            Self::PasswordTooLong { max } if vi => format!("Mật khẩu dài quá {max} ký tự."),
            Self::PasswordTooLong { max } => {
                format!("The password is longer than {max} characters.")
            }
            Self::Phone(v) if vi => format!("Số điện thoại “{v}” không hợp lệ."),
            Self::Phone(v) => format!("The phone number “{v}” is not valid."),
            Self::NationalId(v) if vi => {
                format!("Số định danh “{v}” không hợp lệ (12 chữ số, hoặc 9 chữ số CMND cũ).")
            }
            Self::NationalId(v) => {
                format!("The national id “{v}” is not valid (12 digits, or 9 for an old id card).")
            }
        }
    }
}

/// A lower-case e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Trims and lower-cases; requires one `@`, a non-empty local part and a
    /// domain with a dot, no spaces, at most 254 characters.
    pub fn parse(s: &str) -> Result<Self, PersonError> {
        let v = s.trim().to_lowercase();
        let bad = || PersonError::Email(s.trim().to_string());
        let (local, domain) = v.split_once('@').ok_or_else(bad)?;
        let forbidden =
            |c: char| c.is_whitespace() || c.is_control() || "@,;:<>()[]\\\"".contains(c);
        let ok = v.chars().count() <= 254
            && !local.is_empty()
            && local.len() <= 64
            && !local.chars().any(forbidden)
            && domain.contains('.')
            && domain
                .split('.')
                .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'))
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if ok { Ok(Self(v)) } else { Err(bad()) }
    }

    /// The address, lower-case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's full name, NFC-normalized, single-spaced.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FullName(String);

impl FullName {
    /// Longest accepted name, in characters.
    pub const MAX_CHARS: usize = 150;

    /// Trims, collapses inner whitespace and NFC-normalizes; accepts letters
    /// (Vietnamese included), spaces, `'`, `-` and `.`.
    pub fn parse(s: &str) -> Result<Self, PersonError> {
        let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
        // A typographic apostrophe is what phones and Word insert for `'`.
        let v: String = joined
            .nfc()
            .map(|c| if c == '’' { '\'' } else { c })
            .collect();
        if v.is_empty() {
            return Err(PersonError::NameEmpty);
        }
        if v.chars().count() > Self::MAX_CHARS {
            return Err(PersonError::NameTooLong {
                max: Self::MAX_CHARS,
            });
        }
        let allowed = |c: char| c.is_alphabetic() || is_combining_mark(c) || " '-.".contains(c);
        if let Some(ch) = v.chars().find(|&c| !allowed(c)) {
            return Err(PersonError::NameChar { ch });
        }
        if !v.chars().any(char::is_alphabetic) {
            return Err(PersonError::NameEmpty);
        }
        Ok(Self(v))
    }

    /// The name as it is stored and printed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FullName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Sex as recorded on certificates (`male`, `female` or `other` in the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
    Other,
}

impl Sex {
    /// Accepts `male`/`female`/`other` and `Nam`/`Nữ`/`Khác`, ignoring case
    /// and diacritics (so `nu`, `nư`, `khac` work too).
    pub fn parse(s: &str) -> Result<Self, PersonError> {
        match fold(s.trim()).as_str() {
            "male" | "m" | "nam" => Ok(Self::Male),
            "female" | "f" | "nu" => Ok(Self::Female),
            "other" | "khac" => Ok(Self::Other),
            _ => Err(PersonError::Sex(s.trim().to_string())),
        }
    }

    /// The API spelling: `male`, `female` or `other`.
    pub fn as_api_str(self) -> &'static str {
        match self {
            Self::Male => "male",
            Self::Female => "female",
            Self::Other => "other",
        }
    }

    /// The label shown to people.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Self::Male => lang.pick("Nam", "Male"),
            Self::Female => lang.pick("Nữ", "Female"),
            Self::Other => lang.pick("Khác", "Other"),
        }
    }
}

/// Lower-cases and removes diacritics (`đ` → `d`).
fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'đ' { 'd' } else { c })
        .collect()
}

/// Parses `YYYY-MM-DD`, `dd/mm/yyyy`, `d/m/yyyy`, `dd-mm-yyyy` or
/// `dd.mm.yyyy` (a four-digit year first is read as year-month-day with any
/// of those separators). Impossible dates such as 31/02 are refused.
pub fn parse_date(s: &str) -> Result<NaiveDate, PersonError> {
    let v = s.trim();
    let bad = || PersonError::DateFormat(v.to_string());
    let sep = v.chars().find(|c| "/-.".contains(*c)).ok_or_else(bad)?;
    let parts: Vec<&str> = v.split(sep).collect();
    let digits =
        |p: &str, lens: &[usize]| lens.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    let (y, m, d) = match parts.as_slice() {
        [y, m, d] if digits(y, &[4]) && digits(m, &[1, 2]) && digits(d, &[1, 2]) => (y, m, d),
        [d, m, y] if digits(y, &[4]) && digits(m, &[1, 2]) && digits(d, &[1, 2]) => (y, m, d),
        _ => return Err(bad()),
    };
    let (y, m, d) = (y.parse().ok(), m.parse().ok(), d.parse().ok());
    match (y, m, d) {
        (Some(y), Some(m), Some(d)) => {
            NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| PersonError::Date(v.to_string()))
        }
        _ => Err(bad()),
    }
}

/// Youngest age accepted for a date of birth.
pub const MIN_AGE: u32 = 15;
/// Oldest age accepted for a date of birth.
pub const MAX_AGE: u32 = 100;

/// Parses a date of birth: a date before `today` of someone aged
/// [`MIN_AGE`]–[`MAX_AGE`] full years.
pub fn parse_birth_date(s: &str, today: NaiveDate) -> Result<NaiveDate, PersonError> {
    let d = parse_date(s)?;
    if d >= today {
        return Err(PersonError::BirthInFuture(d));
    }
    let before_birthday = (today.month(), today.day()) < (d.month(), d.day());
    let age = today.year() - d.year() - i32::from(before_birthday);
    if age < MIN_AGE as i32 {
        return Err(PersonError::TooYoung { min: MIN_AGE });
    }
    if age > MAX_AGE as i32 {
        return Err(PersonError::TooOld { max: MAX_AGE });
    }
    Ok(d)
}

/// A password as typed; `Debug` does not show it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Fewest characters accepted (api.md: at least 10).
    pub const MIN_CHARS: usize = 10;
    /// Most characters accepted.
    pub const MAX_CHARS: usize = 200;

    /// Counts characters, not bytes; nothing is trimmed.
    pub fn parse(s: &str) -> Result<Self, PersonError> {
        let n = s.chars().count();
        if n < Self::MIN_CHARS {
            return Err(PersonError::PasswordTooShort {
                min: Self::MIN_CHARS,
            });
        }
        if n > Self::MAX_CHARS {
            return Err(PersonError::PasswordTooLong {
                max: Self::MAX_CHARS,
            });
        }
        Ok(Self(s.to_string()))
    }

    /// The secret itself, for hashing only.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A phone number: digits with an optional leading `+`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Strips spaces, dots, dashes and parentheses; requires 9–15 digits.
    pub fn parse(s: &str) -> Result<Self, PersonError> {
        let v = s.trim();
        let bad = || PersonError::Phone(v.to_string());
        let (plus, rest) = match v.strip_prefix('+') {
            Some(rest) => ("+", rest),
            None => ("", v),
        };
        let mut digits = String::new();
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '.' | '-' | '(' | ')' => {}
                _ => return Err(bad()),
            }
        }
        if !(9..=15).contains(&digits.len()) {
            return Err(bad());
        }
        Ok(Self(format!("{plus}{digits}")))
    }

    /// The number, e.g. `0912345678` or `+84912345678`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A personal identification number: 12 digits (căn cước) or 9 (old CMND).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NationalId(String);

impl NationalId {
    /// Ignores spaces; requires exactly 12 or 9 ASCII digits.
    pub fn parse(s: &str) -> Result<Self, PersonError> {
        let v: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let ok = (v.len() == 12 || v.len() == 9) && v.bytes().all(|b| b.is_ascii_digit());
        if ok {
            Ok(Self(v))
        } else {
            Err(PersonError::NationalId(s.trim().to_string()))
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for a 12-digit căn cước number, false for a 9-digit CMND.
    pub fn is_citizen_id(&self) -> bool {
        self.0.len() == 12
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn email_is_trimmed_and_lowercased() {
        let e = Email::parse("  Nguyen.Van.An@Example.GOV.vn ").unwrap();
        assert_eq!(e.as_str(), "nguyen.van.an@example.gov.vn");
    }

    #[test]
    fn email_rejects_malformed_addresses() {
        for bad in [
            "",
            "an",
            "@x.vn",
            "an@",
            "an@localhost",
            "a b@x.vn",
            "a@b@x.vn",
            "a@x..vn",
            "a@.x.vn",
            "a@x.vn.",
            "a@x.vn; b@y.vn",
            "a@x,vn",
            "a@-x.vn",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let long = format!("{}@x.vn", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
        let max = format!("{}@{}.vn", "a".repeat(64), "b".repeat(186));
        assert_eq!(max.len(), 254);
        assert!(Email::parse(&max).is_ok());
    }

    #[test]
    fn full_name_is_collapsed_and_nfc_normalized() {
        // "Nguyễn" written with combining marks (NFD).
        let nfd: String = "  Nguyễn   Thị\tÁnh  ".nfd().collect();
        let n = FullName::parse(&nfd).unwrap();
        assert_eq!(n.as_str(), "Nguyễn Thị Ánh");
        assert!(n.as_str().chars().eq("Nguyễn Thị Ánh".nfc()));
        assert_eq!(
            FullName::parse("O’Brien Jr.").unwrap().as_str(),
            "O'Brien Jr."
        );
        assert!(FullName::parse("Đặng Thị Mỹ-Lệ").is_ok());
    }

    #[test]
    fn full_name_refuses_empty_long_and_odd_characters() {
        assert_eq!(FullName::parse("   "), Err(PersonError::NameEmpty));
        assert_eq!(FullName::parse("-- ."), Err(PersonError::NameEmpty));
        assert!(FullName::parse(&"A".repeat(150)).is_ok());
        assert_eq!(
            FullName::parse(&"Ă".repeat(151)),
            Err(PersonError::NameTooLong { max: 150 })
        );
        assert_eq!(
            FullName::parse("Nguyễn Văn 2"),
            Err(PersonError::NameChar { ch: '2' })
        );
        assert!(FullName::parse("=cmd()").is_err());
    }

    #[test]
    fn sex_accepts_english_and_vietnamese_spellings() {
        for (s, want) in [
            ("male", Sex::Male),
            ("Nam", Sex::Male),
            ("NAM", Sex::Male),
            ("female", Sex::Female),
            ("Nữ", Sex::Female),
            ("nu", Sex::Female),
            ("nư", Sex::Female),
            ("NỮ", Sex::Female),
            ("other", Sex::Other),
            ("Khác", Sex::Other),
            ("khac", Sex::Other),
        ] {
            assert_eq!(Sex::parse(s).unwrap(), want, "{s}");
        }
        let nfd: String = "Nữ".nfd().collect();
        assert_eq!(Sex::parse(&nfd).unwrap(), Sex::Female);
        assert!(Sex::parse("x").is_err());
        assert_eq!(Sex::Female.as_api_str(), "female");
        assert_eq!(Sex::Female.label(Lang::Vi), "Nữ");
        assert_eq!(Sex::Other.label(Lang::En), "Other");
    }

    #[test]
    fn dates_are_read_in_the_usual_formats() {
        let want = date(1990, 3, 5);
        for s in [
            "1990-03-05",
            "05/03/1990",
            "5/3/1990",
            "05-03-1990",
            "05.03.1990",
            " 5/03/1990 ",
        ] {
            assert_eq!(parse_date(s).unwrap(), want, "{s}");
        }
    }

    #[test]
    fn impossible_or_malformed_dates_are_refused() {
        assert_eq!(
            parse_date("31/02/1990"),
            Err(PersonError::Date("31/02/1990".into()))
        );
        assert_eq!(
            parse_date("1990-13-01"),
            Err(PersonError::Date("1990-13-01".into()))
        );
        for s in [
            "",
            "1990",
            "05/03/90",
            "05/03-1990",
            "5 3 1990",
            "x5/03/1990",
            "123/1/1990",
        ] {
            assert!(
                matches!(parse_date(s), Err(PersonError::DateFormat(_))),
                "{s}"
            );
        }
        assert!(parse_date("29/02/2000").is_ok());
        assert!(parse_date("29/02/1900").is_err());
    }

    #[test]
    fn birth_dates_must_give_an_age_between_15_and_100() {
        let today = date(2025, 7, 1);
        assert!(parse_birth_date("01/07/2010", today).is_ok()); // 15 today
        assert_eq!(
            parse_birth_date("02/07/2010", today),
            Err(PersonError::TooYoung { min: 15 })
        );
        assert!(parse_birth_date("02/07/1924", today).is_ok()); // 100
        assert_eq!(
            parse_birth_date("01/07/1924", today),
            Err(PersonError::TooOld { max: 100 })
        );
        assert!(matches!(
            parse_birth_date("01/07/2025", today),
            Err(PersonError::BirthInFuture(_))
        ));
        assert!(matches!(
            parse_birth_date("31/02/1990", today),
            Err(PersonError::Date(_))
        ));
    }

    #[test]
    fn passwords_count_characters_and_are_never_printed() {
        assert!(Password::parse("ngắnquá").is_err());
        // Ten characters but more than ten bytes.
        assert!(Password::parse("mậtkhẩuđủư").is_ok());
        assert_eq!(
            Password::parse("123456789").unwrap_err(),
            PersonError::PasswordTooShort { min: 10 }
        );
        assert!(Password::parse(&"x".repeat(200)).is_ok());
        assert!(Password::parse(&"x".repeat(201)).is_err());
        let p = Password::parse("correct horse battery").unwrap();
        assert_eq!(p.as_str(), "correct horse battery");
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn phones_keep_digits_and_a_leading_plus() {
        assert_eq!(Phone::parse("0912 345.678").unwrap().as_str(), "0912345678");
        assert_eq!(
            Phone::parse("+84-912-345-678").unwrap().as_str(),
            "+84912345678"
        );
        assert_eq!(
            Phone::parse("(024) 3825 1234").unwrap().as_str(),
            "02438251234"
        );
        assert!(Phone::parse("912345678").is_ok());
        for bad in [
            "12345678",
            "1234567890123456",
            "09123x5678",
            "09+12345678",
            "++84912345678",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn national_ids_have_12_or_9_digits() {
        let id = NationalId::parse(" 001 090 012345 ").unwrap();
        assert_eq!(id.as_str(), "001090012345");
        assert!(id.is_citizen_id());
        assert!(!NationalId::parse("012345678").unwrap().is_citizen_id());
        for bad in ["", "0123456789", "00109001234a", "1234567890123"] {
            assert!(NationalId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_error_has_a_message_in_both_languages() {
        let errors = [
            PersonError::Email("a".into()),
            PersonError::NameEmpty,
            PersonError::NameTooLong { max: 150 },
            PersonError::NameChar { ch: '2' },
            PersonError::Sex("x".into()),
            PersonError::DateFormat("x".into()),
            PersonError::Date("31/02/1990".into()),
            PersonError::BirthInFuture(date(2030, 1, 1)),
            PersonError::TooYoung { min: 15 },
            PersonError::TooOld { max: 100 },
            PersonError::PasswordTooShort { min: 10 },
            PersonError::PasswordTooLong { max: 200 },
            PersonError::Phone("x".into()),
            PersonError::NationalId("x".into()),
        ];
        for e in &errors {
            let (vi, en) = (e.message(Lang::Vi), e.message(Lang::En));
            assert!(vi.ends_with('.') && en.ends_with('.'), "{vi} / {en}");
            assert_ne!(vi, en);
        }
        assert_eq!(
            PersonError::Date("31/02/1990".into()).message(Lang::Vi),
            "Ngày “31/02/1990” không hợp lệ."
        );
    }
}
