//! The officials roster import: table rows turned into checked people, with
//! every problem reported by line and column.
use std::collections::HashMap;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::domain::person::{
    Email, FullName, NationalId, PersonError, Phone, Sex, parse_birth_date,
};
use crate::domain::unit_path::{UnitIndex, UnitPathError, fold_diacritics, normalize_text};
use crate::formats::table::{Table, TableRow};
use crate::i18n::Lang;

/// The headers of the downloadable template, in order.
pub const TEMPLATE_HEADERS: [&str; 9] = [
    "Họ và tên",
    "Ngày sinh",
    "Nơi sinh",
    "Giới tính",
    "Email",
    "Số điện thoại",
    "Đơn vị",
    "Chức danh",
    "Lãnh đạo",
];

/// Longest place of birth or job title accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 200;

/// A roster column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    FullName,
    DateOfBirth,
    PlaceOfBirth,
    Sex,
    Email,
    Phone,
    Unit,
    JobTitle,
    IsLeader,
    NationalId,
}

impl Column {
    /// Every column, template order first.
    pub const ALL: [Column; 10] = [
        Self::FullName,
        Self::DateOfBirth,
        Self::PlaceOfBirth,
        Self::Sex,
        Self::Email,
        Self::Phone,
        Self::Unit,
        Self::JobTitle,
        Self::IsLeader,
        Self::NationalId,
    ];

    /// The column's name in messages.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Self::FullName => lang.pick("họ và tên", "full name"),
            Self::DateOfBirth => lang.pick("ngày sinh", "date of birth"),
            Self::PlaceOfBirth => lang.pick("nơi sinh", "place of birth"),
            Self::Sex => lang.pick("giới tính", "sex"),
            Self::Email => "email",
            Self::Phone => lang.pick("số điện thoại", "phone"),
            Self::Unit => lang.pick("đơn vị", "unit"),
            Self::JobTitle => lang.pick("chức danh", "job title"),
            Self::IsLeader => lang.pick("lãnh đạo", "leader"),
            Self::NationalId => lang.pick("số định danh", "national id"),
        }
    }

    /// Whether the header and a value in every row are required.
    pub fn required(self) -> bool {
        matches!(
            self,
            Self::FullName
                | Self::DateOfBirth
                | Self::PlaceOfBirth
                | Self::Sex
                | Self::Email
                | Self::Unit
        )
    }

    /// Accepted headers, lower case NFC.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::FullName => &["họ và tên", "họ tên", "full name", "full_name", "name"],
            Self::DateOfBirth => &[
                "ngày sinh",
                "ngày tháng năm sinh",
                "date of birth",
                "date_of_birth",
                "birth date",
                "dob",
            ],
            Self::PlaceOfBirth => &["nơi sinh", "place of birth", "place_of_birth", "birthplace"],
            Self::Sex => &["giới tính", "sex", "gender"],
            Self::Email => &["email", "e-mail", "thư điện tử", "địa chỉ email"],
            Self::Phone => &[
                "số điện thoại",
                "điện thoại",
                "sđt",
                "phone",
                "phone number",
                "telephone",
            ],
            Self::Unit => &["đơn vị", "đơn vị công tác", "unit"],
            Self::JobTitle => &["chức danh", "chức vụ", "job title", "job_title", "position"],
            Self::IsLeader => &[
                "lãnh đạo",
                "là lãnh đạo",
                "leader",
                "is leader",
                "is_leader",
            ],
            Self::NationalId => &[
                "số định danh",
                "số định danh cá nhân",
                "cccd",
                "số cccd",
                "căn cước",
                "cmnd",
                "national id",
                "national_id",
            ],
        }
    }
}

/// One valid roster row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    pub line: usize,
    pub full_name: FullName,
    pub date_of_birth: NaiveDate,
    pub place_of_birth: String,
    pub sex: Sex,
    pub email: Email,
    pub phone: Option<Phone>,
    pub unit_id: Uuid,
    pub job_title: Option<String>,
    pub is_leader: bool,
    pub national_id: Option<NationalId>,
}

/// What is wrong in a roster.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    #[error("missing column {column:?}")]
    MissingColumn { column: Column },
    #[error("column {column:?} appears twice")]
    DuplicateColumn { column: Column },
    #[error("no data rows")]
    NoRows,
    #[error("{column:?}: no value")]
    Missing { column: Column },
    #[error("{column:?}: {error}")]
    Invalid { column: Column, error: PersonError },
    #[error("unit: {0}")]
    Unit(UnitPathError),
    #[error("leader: invalid value {value:?}")]
    Leader { value: String },
    #[error("{column:?}: longer than {max} characters")]
    TooLong { column: Column, max: usize },
    #[error("e-mail {email} already on line {first_line}")]
    DuplicateEmail { email: String, first_line: usize },
    #[error("national id already on line {first_line}")]
    DuplicateNationalId { first_line: usize },
}

impl RosterError {
    /// The column at fault, if the error is about one cell.
    pub fn column(&self) -> Option<Column> {
        match self {
            Self::MissingColumn { .. } | Self::DuplicateColumn { .. } | Self::NoRows => None,
            Self::Missing { column }
            | Self::Invalid { column, .. }
            | Self::TooLong { column, .. } => Some(*column),
            Self::Unit(_) => Some(Column::Unit),
            Self::Leader { .. } => Some(Column::IsLeader),
            Self::DuplicateEmail { .. } => Some(Column::Email),
            Self::DuplicateNationalId { .. } => Some(Column::NationalId),
        }
    }

    /// The problem as a sentence, without the line and column.
    pub fn message(&self, lang: Lang) -> String {
        let vi = matches!(lang, Lang::Vi);
        match self {
            Self::MissingColumn { column } if vi => format!("Thiếu cột “{}”.", column.label(lang)),
            Self::MissingColumn { column } => {
                format!("The column “{}” is missing.", column.label(lang))
            }
            Self::DuplicateColumn { column } if vi => {
                format!("Cột “{}” xuất hiện hai lần.", column.label(lang))
            }
            Self::DuplicateColumn { column } => {
                format!("The column “{}” appears twice.", column.label(lang))
            }
            Self::NoRows => lang
                .pick(
                    "Tệp không có dòng dữ liệu nào.",
                    "The file has no data rows.",
                )
                .to_string(),
            Self::Missing { .. } => lang
                .pick("Chưa có giá trị.", "The value is missing.")
                .to_string(),
            Self::Invalid { error, .. } => error.message(lang),
            Self::Unit(error) => error.message(lang),
            Self::Leader { value } if vi => format!(
                "Giá trị “{value}” không hợp lệ (ghi “x” nếu là lãnh đạo, để trống nếu không)."
            ),
            Self::Leader { value } => {
                format!(
                    "The value “{value}” is not valid (put “x” for a leader, leave it empty if not)."
                )
            }
            Self::TooLong { max, .. } if vi => format!("Dài quá {max} ký tự."),
            Self::TooLong { max, .. } => format!("Longer than {max} characters."),
            Self::DuplicateEmail { email, first_line } if vi => {
                format!("Email “{email}” trùng với dòng {first_line}.")
            }
            Self::DuplicateEmail { email, first_line } => {
                format!("The e-mail “{email}” is already on line {first_line}.")
            }
            Self::DuplicateNationalId { first_line } if vi => {
                format!("Số định danh trùng với dòng {first_line}.")
            }
            Self::DuplicateNationalId { first_line } => {
                format!("The national id is already on line {first_line}.")
            }
        }
    }
}

/// A problem on one line of the file (line 1 is the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub kind: RosterError,
}

impl RowError {
    /// E.g. "Dòng 4, cột “ngày sinh”: ngày “31/02/1990” không hợp lệ."
    pub fn message(&self, lang: Lang) -> String {
        let text = self.kind.message(lang);
        let (line, col) = (self.line, self.kind.column().map(|c| c.label(lang)));
        match (&self.kind, col, lang) {
            (RosterError::NoRows, _, _) => text,
            (_, Some(c), Lang::Vi) => format!("Dòng {line}, cột “{c}”: {}", lower_first(&text)),
            (_, Some(c), Lang::En) => format!("Line {line}, column “{c}”: {}", lower_first(&text)),
            (_, None, Lang::Vi) => format!("Dòng {line}: {}", lower_first(&text)),
            (_, None, Lang::En) => format!("Line {line}: {}", lower_first(&text)),
        }
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The valid rows and every error found; import only when `errors` is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RosterParse {
    pub rows: Vec<RosterRow>,
    pub errors: Vec<RowError>,
}

/// Checks every row of a roster table. `today` bounds the dates of birth.
pub fn parse_roster(table: &Table, units: &UnitIndex, today: NaiveDate) -> RosterParse {
    let mut out = RosterParse::default();
    let columns = match map_headers(&table.headers) {
        Ok(columns) => columns,
        Err(errors) => {
            out.errors = errors
                .into_iter()
                .map(|kind| RowError { line: 1, kind })
                .collect();
            return out;
        }
    };
    if table.rows.is_empty() {
        out.errors.push(RowError {
            line: 1,
            kind: RosterError::NoRows,
        });
    }
    let mut emails: HashMap<String, usize> = HashMap::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    for row in &table.rows {
        let mut errors = Vec::new();
        let checked = check_row(row, &columns, units, today, &mut errors);
        if let Some(email) = &checked.email {
            if let Some(&first_line) = emails.get(email.as_str()) {
                let email = email.as_str().to_string();
                errors.push(RosterError::DuplicateEmail { email, first_line });
            } else {
                emails.insert(email.as_str().to_string(), row.line);
            }
        }
        if let Some(Some(id)) = &checked.national_id {
            if let Some(&first_line) = ids.get(id.as_str()) {
                errors.push(RosterError::DuplicateNationalId { first_line });
            } else {
                ids.insert(id.as_str().to_string(), row.line);
            }
        }
        match (errors.is_empty(), checked.into_row(row.line)) {
            (true, Some(valid)) => out.rows.push(valid),
            _ => out.errors.extend(errors.into_iter().map(|kind| RowError {
                line: row.line,
                kind,
            })),
        }
    }
    out
}

/// Column → cell index, or the header errors.
fn map_headers(headers: &[String]) -> Result<HashMap<Column, usize>, Vec<RosterError>> {
    let mut found: HashMap<Column, usize> = HashMap::new();
    let mut errors = Vec::new();
    for (i, header) in headers.iter().enumerate() {
        let Some(column) = column_for(header) else {
            continue;
        };
        if found.insert(column, i).is_some() {
            errors.push(RosterError::DuplicateColumn { column });
        }
    }
    for column in Column::ALL {
        if column.required() && !found.contains_key(&column) {
            errors.push(RosterError::MissingColumn { column });
        }
    }
    if errors.is_empty() {
        Ok(found)
    } else {
        Err(errors)
    }
}

/// The column a header names: exact (case-insensitive) first, then without
/// diacritics. Marks such as "*" or a trailing "(dd/mm/yyyy)" are ignored.
fn column_for(header: &str) -> Option<Column> {
    let mut h = normalize_text(&header.replace('*', ""));
    if h.ends_with(')')
        && let Some(open) = h.rfind('(')
    {
        h = h[..open].trim_end().to_string();
    }
    let h = h.trim_end_matches(':').trim_end().to_string();
    let exact = Column::ALL
        .into_iter()
        .find(|c| c.aliases().contains(&h.as_str()));
    exact.or_else(|| {
        let folded = fold_diacritics(&h);
        Column::ALL
            .into_iter()
            .find(|c| c.aliases().iter().any(|a| fold_diacritics(a) == folded))
    })
}

/// The fields of one row that parsed; `into_row` succeeds when all did.
#[derive(Default)]
struct Checked {
    full_name: Option<FullName>,
    date_of_birth: Option<NaiveDate>,
    place_of_birth: Option<String>,
    sex: Option<Sex>,
    email: Option<Email>,
    phone: Option<Option<Phone>>,
    unit_id: Option<Uuid>,
    job_title: Option<Option<String>>,
    is_leader: Option<bool>,
    national_id: Option<Option<NationalId>>,
}

impl Checked {
    fn into_row(self, line: usize) -> Option<RosterRow> {
        Some(RosterRow {
            line,
            full_name: self.full_name?,
            date_of_birth: self.date_of_birth?,
            place_of_birth: self.place_of_birth?,
            sex: self.sex?,
            email: self.email?,
            phone: self.phone?,
            unit_id: self.unit_id?,
            job_title: self.job_title?,
            is_leader: self.is_leader?,
            national_id: self.national_id?,
        })
    }
}

fn check_row(
    row: &TableRow,
    columns: &HashMap<Column, usize>,
    units: &UnitIndex,
    today: NaiveDate,
    errors: &mut Vec<RosterError>,
) -> Checked {
    let cell = |c: Column| -> &str {
        columns
            .get(&c)
            .and_then(|&i| row.cells.get(i))
            .map_or("", |s| s.trim())
    };
    // A non-empty cell's value; records a missing required value.
    let field = |c: Column, errors: &mut Vec<RosterError>| -> Option<&str> {
        let v = cell(c);
        if v.is_empty() && c.required() {
            errors.push(RosterError::Missing { column: c });
        }
        (!v.is_empty()).then_some(v)
    };
    let mut out = Checked::default();
    if let Some(v) = field(Column::FullName, errors) {
        out.full_name = person(errors, Column::FullName, FullName::parse(v));
    }
    if let Some(v) = field(Column::DateOfBirth, errors) {
        out.date_of_birth = person(errors, Column::DateOfBirth, parse_birth_date(v, today));
    }
    if let Some(v) = field(Column::PlaceOfBirth, errors) {
        out.place_of_birth = text(Column::PlaceOfBirth, v, errors);
    }
    if let Some(v) = field(Column::Sex, errors) {
        out.sex = person(errors, Column::Sex, Sex::parse(v));
    }
    if let Some(v) = field(Column::Email, errors) {
        out.email = person(errors, Column::Email, Email::parse(v));
    }
    out.phone = match field(Column::Phone, errors) {
        Some(v) => person(errors, Column::Phone, Phone::parse(&restore_phone_zero(v))).map(Some),
        None => Some(None),
    };
    if let Some(v) = field(Column::Unit, errors) {
        out.unit_id = units
            .resolve(v)
            .map_err(|e| errors.push(RosterError::Unit(e)))
            .ok();
    }
    out.job_title = match field(Column::JobTitle, errors) {
        Some(v) => text(Column::JobTitle, v, errors).map(Some),
        None => Some(None),
    };
    out.is_leader = parse_leader(cell(Column::IsLeader))
        .map_err(|value| errors.push(RosterError::Leader { value }))
        .ok();
    out.national_id = match field(Column::NationalId, errors) {
        Some(v) => person(
            errors,
            Column::NationalId,
            NationalId::parse(&restore_id_zeros(v)),
        )
        .map(Some),
        None => Some(None),
    };
    out
}

/// The parsed value, or `None` with the error recorded against the column.
fn person<T>(
    errors: &mut Vec<RosterError>,
    column: Column,
    r: Result<T, PersonError>,
) -> Option<T> {
    r.map_err(|error| errors.push(RosterError::Invalid { column, error }))
        .ok()
}

/// Free text: single-spaced, at most [`MAX_TEXT_CHARS`].
fn text(column: Column, v: &str, errors: &mut Vec<RosterError>) -> Option<String> {
    let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
    if v.chars().count() > MAX_TEXT_CHARS {
        errors.push(RosterError::TooLong {
            column,
            max: MAX_TEXT_CHARS,
        });
        return None;
    }
    Some(v)
}

/// `x`, `có`, `yes`, `1`, `lãnh đạo`… → true; empty, `không`, `no`, `0`… → false.
fn parse_leader(v: &str) -> Result<bool, String> {
    match fold_diacritics(v).as_str() {
        "x" | "co" | "yes" | "y" | "1" | "true" | "lanh dao" => Ok(true),
        "" | "khong" | "no" | "n" | "0" | "false" => Ok(false),
        _ => Err(v.to_string()),
    }
}

/// Excel stores a phone typed as a number without its leading 0: a bare
/// 9-digit mobile or 10-digit landline (area codes start with 2) gets it back.
/// Spaces, dots, dashes and brackets between the digits do not change that.
fn restore_phone_zero(v: &str) -> String {
    let compact: String = v
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .collect();
    let digits = !compact.is_empty() && compact.bytes().all(|b| b.is_ascii_digit());
    if digits
        && !compact.starts_with('0')
        && (compact.len() == 9 || (compact.len() == 10 && compact.starts_with('2')))
    {
        format!("0{compact}")
    } else {
        v.to_string()
    }
}

/// Identity numbers start with zero-padded province codes that Excel drops
/// from a number: 10–11 digits can only be a 12-digit căn cước, 8 a 9-digit CMND.
fn restore_id_zeros(v: &str) -> String {
    if !v.bytes().all(|b| b.is_ascii_digit()) {
        return v.to_string();
    }
    match v.len() {
        10 | 11 => format!("{v:0>12}"),
        8 => format!("{v:0>9}"),
        _ => v.to_string(),
    }
}

/// Two fictional rows for the downloadable template.
pub fn template_example_rows() -> Vec<Vec<String>> {
    let rows = [
        [
            "Nguyễn Văn An",
            "15/03/1985",
            "Hà Nội",
            "Nam",
            "nguyen.van.an@example.com",
            "0912 345 678",
            "Thành phố Hà Nội / Phường Hoàn Kiếm",
            "Chuyên viên",
            "",
        ],
        [
            "Trần Thị Bích Ngọc",
            "02/11/1990",
            "Hải Phòng",
            "Nữ",
            "tran.thi.bich.ngoc@example.com",
            "0987 654 321",
            "Thành phố Hà Nội / Phường Hoàn Kiếm",
            "Trưởng phòng",
            "x",
        ],
    ];
    rows.iter()
        .map(|r| r.iter().map(|s| s.to_string()).collect())
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::domain::unit_path::UnitRef;
    use crate::formats::table::{read_table, write_csv, write_xlsx};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 9, 1).unwrap()
    }

    fn units() -> UnitIndex {
        let unit = |n: u128, parent: Option<u128>, code: &str, name: &str| UnitRef {
            id: Uuid::from_u128(n),
            parent_id: parent.map(Uuid::from_u128),
            code: Some(code.to_string()),
            name: name.to_string(),
            kind: String::new(),
            closed: false,
        };
        UnitIndex::new(vec![
            unit(1, None, "01", "Thành phố Hà Nội"),
            unit(2, Some(1), "00070", "Phường Hoàn Kiếm"),
            unit(3, Some(1), "10141", "Xã Bình Minh"),
            unit(4, None, "40", "Nghệ An"),
            unit(5, Some(4), "17515", "Xã Bình Minh"),
        ])
    }

    fn table(headers: &[&str], rows: &[&[&str]]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, r)| TableRow {
                    line: i + 2,
                    cells: r.iter().map(|c| c.to_string()).collect(),
                })
                .collect(),
        }
    }

    fn messages(p: &RosterParse) -> Vec<String> {
        p.errors.iter().map(|e| e.message(Lang::Vi)).collect()
    }

    const AN: [&str; 9] = [
        "Nguyễn Văn An",
        "15/03/1985",
        "Hà Nội",
        "Nam",
        "An@Example.com",
        "0912345678",
        "Hà Nội / Hoàn Kiếm",
        "Chuyên viên",
        "",
    ];

    #[test]
    fn the_template_examples_parse_cleanly() {
        let rows = template_example_rows();
        let cells: Vec<Vec<&str>> = rows
            .iter()
            .map(|r| r.iter().map(String::as_str).collect())
            .collect();
        let refs: Vec<&[&str]> = cells.iter().map(Vec::as_slice).collect();
        let p = parse_roster(&table(&TEMPLATE_HEADERS, &refs), &units(), today());
        assert_eq!(p.errors, []);
        assert_eq!(p.rows.len(), 2);
        let b = &p.rows[1];
        assert_eq!(b.line, 3);
        assert_eq!(b.full_name.as_str(), "Trần Thị Bích Ngọc");
        assert_eq!(
            b.date_of_birth,
            NaiveDate::from_ymd_opt(1990, 11, 2).unwrap()
        );
        assert_eq!(b.sex, Sex::Female);
        assert_eq!(b.unit_id, Uuid::from_u128(2));
        assert_eq!(b.phone.as_ref().unwrap().as_str(), "0987654321");
        assert_eq!(b.job_title.as_deref(), Some("Trưởng phòng"));
        assert!(b.is_leader && !p.rows[0].is_leader);
        assert_eq!(b.national_id, None);
    }

    #[test]
    fn the_template_survives_xlsx_and_csv_files() {
        let rows = template_example_rows();
        for bytes in [
            write_xlsx("Mẫu", &TEMPLATE_HEADERS, &rows).unwrap(),
            write_csv(&TEMPLATE_HEADERS, &rows).unwrap(),
        ] {
            let p = parse_roster(&read_table(&bytes).unwrap(), &units(), today());
            assert_eq!((p.rows.len(), p.errors.len()), (2, 0), "{:?}", p.errors);
        }
    }

    #[test]
    fn headers_match_loosely_and_in_any_order() {
        let headers = [
            "STT",
            "Email",
            "HỌ VÀ TÊN *",
            "Ngay sinh (dd/mm/yyyy)",
            "noi sinh",
            "Gender",
            "Unit",
            "CCCD",
            "Lãnh đạo:",
        ];
        let row: &[&str] = &[
            "1",
            "an@example.com",
            "Nguyễn Văn An",
            "1985-03-15",
            "Hà Nội",
            "male",
            "00070",
            "1090012345",
            "có",
        ];
        let p = parse_roster(&table(&headers, &[row]), &units(), today());
        assert_eq!(p.errors, []);
        let r = &p.rows[0];
        assert_eq!(r.email.as_str(), "an@example.com");
        assert_eq!(r.phone, None);
        assert_eq!(r.job_title, None);
        assert!(r.is_leader);
        // Excel dropped the leading zeros of the căn cước number.
        assert_eq!(r.national_id.as_ref().unwrap().as_str(), "001090012345");
    }

    #[test]
    fn missing_or_repeated_headers_are_reported_once_on_line_1() {
        let p = parse_roster(
            &table(&["Họ và tên", "Email", "E-mail"], &[&["x"]]),
            &units(),
            today(),
        );
        assert!(p.rows.is_empty());
        assert!(p.errors.iter().all(|e| e.line == 1));
        assert_eq!(
            messages(&p),
            [
                "Dòng 1: cột “email” xuất hiện hai lần.",
                "Dòng 1: thiếu cột “ngày sinh”.",
                "Dòng 1: thiếu cột “nơi sinh”.",
                "Dòng 1: thiếu cột “giới tính”.",
                "Dòng 1: thiếu cột “đơn vị”.",
            ]
        );
        assert_eq!(
            p.errors[1].message(Lang::En),
            "Line 1: the column “date of birth” is missing."
        );
    }

    #[test]
    fn every_problem_in_a_row_is_reported() {
        let bad: &[&str] = &[
            "Nguyễn Văn 2",
            "31/02/1990",
            "",
            "abc",
            "an@",
            "12",
            "Hà Nội / Không Có",
            "",
            "maybe",
        ];
        let p = parse_roster(
            &table(&TEMPLATE_HEADERS, &[&AN, &AN, bad]),
            &units(),
            today(),
        );
        assert_eq!(p.rows.len(), 1);
        assert_eq!(
            messages(&p),
            [
                "Dòng 3, cột “email”: email “an@example.com” trùng với dòng 2.",
                "Dòng 4, cột “họ và tên”: họ và tên có ký tự không hợp lệ “2”.",
                "Dòng 4, cột “ngày sinh”: ngày “31/02/1990” không hợp lệ.",
                "Dòng 4, cột “nơi sinh”: chưa có giá trị.",
                "Dòng 4, cột “giới tính”: giới tính “abc” không hợp lệ (dùng Nam, Nữ hoặc Khác).",
                "Dòng 4, cột “email”: địa chỉ email “an@” không hợp lệ.",
                "Dòng 4, cột “số điện thoại”: số điện thoại “12” không hợp lệ.",
                "Dòng 4, cột “đơn vị”: không tìm thấy đơn vị “Không Có”.",
                "Dòng 4, cột “lãnh đạo”: giá trị “maybe” không hợp lệ (ghi “x” nếu là lãnh đạo, để trống nếu không).",
            ]
        );
        assert_eq!(
            p.errors[2].message(Lang::En),
            "Line 4, column “date of birth”: the date “31/02/1990” does not exist."
        );
    }

    #[test]
    fn ambiguous_units_and_ages_are_errors() {
        let mut young = AN;
        young[1] = "01/01/2015";
        young[6] = "Bình Minh";
        let p = parse_roster(&table(&TEMPLATE_HEADERS, &[&young]), &units(), today());
        assert_eq!(p.errors.len(), 2);
        assert_eq!(
            p.errors[0].message(Lang::Vi),
            "Dòng 2, cột “ngày sinh”: người này chưa đủ 15 tuổi."
        );
        assert!(matches!(
            p.errors[1].kind,
            RosterError::Unit(UnitPathError::Ambiguous { .. })
        ));
        assert_eq!(p.errors[1].kind.column(), Some(Column::Unit));
    }

    #[test]
    fn leader_values() {
        for v in [
            "x",
            "X",
            "có",
            "Co",
            "yes",
            "Y",
            "1",
            "TRUE",
            "Lãnh đạo",
            "lanh dao",
        ] {
            assert_eq!(parse_leader(v), Ok(true), "{v}");
        }
        for v in ["", "không", "khong", "No", "n", "0", "FALSE"] {
            assert_eq!(parse_leader(v), Ok(false), "{v}");
        }
        assert!(parse_leader("phó").is_err());
    }

    #[test]
    fn numbers_that_lost_their_zeros_are_restored() {
        assert_eq!(restore_phone_zero("912345678"), "0912345678");
        assert_eq!(restore_phone_zero("912 345 678"), "0912345678");
        assert_eq!(restore_phone_zero("(24) 3825.1234"), "02438251234");
        assert_eq!(restore_phone_zero("2438251234"), "02438251234");
        assert_eq!(restore_phone_zero("84912345678"), "84912345678");
        assert_eq!(restore_phone_zero("+84912345678"), "+84912345678");
        assert_eq!(restore_id_zeros("1090012345"), "001090012345");
        assert_eq!(restore_id_zeros("12345678"), "012345678");
        assert_eq!(restore_id_zeros("1234567"), "1234567");
    }

    #[test]
    fn duplicate_national_ids_and_long_text() {
        let mut a = AN.map(String::from).to_vec();
        a.push("001090012345".into());
        let mut b = a.clone();
        b[4] = "binh@example.com".into();
        b[7] = "x".repeat(201);
        let mut headers = TEMPLATE_HEADERS.to_vec();
        headers.push("Số định danh");
        let rows = [a, b];
        let cells: Vec<Vec<&str>> = rows
            .iter()
            .map(|r| r.iter().map(String::as_str).collect())
            .collect();
        let refs: Vec<&[&str]> = cells.iter().map(Vec::as_slice).collect();
        let p = parse_roster(&table(&headers, &refs), &units(), today());
        assert_eq!(
            messages(&p),
            [
                "Dòng 3, cột “chức danh”: dài quá 200 ký tự.",
                "Dòng 3, cột “số định danh”: số định danh trùng với dòng 2.",
            ]
        );
    }

    #[test]
    fn a_file_without_rows_says_so() {
        let p = parse_roster(&table(&TEMPLATE_HEADERS, &[]), &units(), today());
        assert_eq!(messages(&p), ["Tệp không có dòng dữ liệu nào."]);
    }

    #[test]
    fn aliases_stay_distinct_without_diacritics() {
        let mut seen = HashMap::new();
        for c in Column::ALL {
            for a in c.aliases() {
                assert_eq!(normalize_text(a), *a);
                assert_eq!(seen.insert(fold_diacritics(a), c).unwrap_or(c), c, "{a}");
                assert_eq!(column_for(a), Some(c));
            }
        }
        for (i, h) in TEMPLATE_HEADERS.iter().enumerate() {
            assert_eq!(column_for(h), Some(Column::ALL[i]));
        }
    }

    /// Property tests on arbitrary and damaged rosters.
    mod fuzz {
        use std::collections::HashSet;

        use proptest::prelude::*;

        use super::super::*;
        use super::{today, units};
        use crate::formats::table::fuzz_support::{config, mutated};
        use crate::formats::table::{read_table, write_csv, write_xlsx};

        /// Headers: the template's and the national id.
        fn all_headers() -> Vec<&'static str> {
            TEMPLATE_HEADERS.iter().copied().chain(["CCCD"]).collect()
        }

        /// Values for each column, good and bad, so rows reach every check.
        const VALUES: [&[&str]; 10] = [
            &[
                "Nguyễn Văn An",
                "Trần Thị Bích Ngọc",
                "Lê  Văn   Cường",
                "A",
                "",
                "123",
                "Nguyễn\tVăn\nAn",
            ],
            &[
                "15/03/1985",
                "1985-03-15",
                "31/02/1990",
                "01/01/2030",
                "15/3/85",
                "",
                "31048",
                "abc",
            ],
            &["Hà Nội", "", "  Hải   Phòng ", "Thành phố Hồ Chí Minh"],
            &["Nam", "Nữ", "male", "KHÁC", "x", ""],
            &[
                "an@example.com",
                "AN@Example.com",
                "binh@example.com",
                "a@b",
                "",
                "không có",
                "a@@b.vn",
            ],
            &[
                "0912345678",
                "912345678",
                "+84 912 345 678",
                "abc",
                "",
                "2438251234",
            ],
            &[
                "Hà Nội / Hoàn Kiếm",
                "00070",
                "Xã Bình Minh",
                "01 > 00070",
                "",
                "/",
                "Nghệ An / Xã Bình Minh",
                "Huế",
            ],
            &["Chuyên viên", "", "Trưởng   phòng"],
            &["x", "có", "", "không", "Lãnh đạo", "maybe"],
            &[
                "001090012345",
                "1090012345",
                "12",
                "",
                "12345678",
                "00109001234A",
            ],
        ];

        fn long(n: usize) -> String {
            "Đ".repeat(n)
        }

        fn row() -> impl Strategy<Value = Vec<String>> {
            let columns: Vec<BoxedStrategy<String>> = VALUES
                .iter()
                .map(|values| {
                    prop_oneof![
                        8 => prop::sample::select(values.to_vec()).prop_map(str::to_string),
                        1 => "\\PC{0,12}",
                        1 => prop::sample::select(vec![199usize, 200, 201]).prop_map(long),
                    ]
                    .boxed()
                })
                .collect();
            columns
        }

        fn any_table() -> impl Strategy<Value = Table> {
            let headers = prop_oneof![
                4 => Just(all_headers().iter().map(|h| h.to_string()).collect::<Vec<_>>()),
                1 => Just(all_headers()).prop_shuffle().prop_map(|h| h.iter().map(|s| s.to_string()).collect()),
                1 => prop::collection::vec(prop::sample::select(all_headers()), 0..12)
                    .prop_map(|h| h.iter().map(|s| s.to_string()).collect()),
            ];
            (headers, prop::collection::vec(row(), 0..8)).prop_map(|(headers, rows)| Table {
                headers,
                rows: rows
                    .into_iter()
                    .enumerate()
                    .map(|(i, cells)| TableRow { line: i + 2, cells })
                    .collect(),
            })
        }

        /// The rows written back as a CSV roster.
        fn export(rows: &[RosterRow]) -> Vec<u8> {
            let units = units();
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.full_name.as_str().to_string(),
                        r.date_of_birth.format("%d/%m/%Y").to_string(),
                        r.place_of_birth.clone(),
                        r.sex.label(Lang::Vi).to_string(),
                        r.email.as_str().to_string(),
                        r.phone
                            .as_ref()
                            .map(|p| p.as_str().to_string())
                            .unwrap_or_default(),
                        units.path_of(r.unit_id).unwrap(),
                        r.job_title.clone().unwrap_or_default(),
                        if r.is_leader { "x" } else { "" }.to_string(),
                        r.national_id
                            .as_ref()
                            .map(|n| n.as_str().to_string())
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            write_csv(&all_headers(), &cells).unwrap()
        }

        /// What [`parse_roster`] promises for `table`, and its valid rows
        /// read back the same once exported.
        fn check(table: &Table) -> Result<(), TestCaseError> {
            let p = parse_roster(table, &units(), today());
            let lines: HashSet<usize> = table.rows.iter().map(|r| r.line).collect();
            for e in &p.errors {
                prop_assert!(e.line == 1 || lines.contains(&e.line), "{:?}", e);
                for lang in [Lang::Vi, Lang::En] {
                    let m = e.message(lang);
                    prop_assert!(!m.is_empty());
                    if e.kind != RosterError::NoRows {
                        prop_assert!(m.contains(&e.line.to_string()), "{}", m);
                    }
                }
            }
            if p.errors.iter().any(|e| {
                matches!(
                    e.kind,
                    RosterError::MissingColumn { .. } | RosterError::DuplicateColumn { .. }
                )
            }) {
                prop_assert!(p.rows.is_empty());
                prop_assert!(p.errors.iter().all(|e| e.line == 1));
                return Ok(());
            }
            // Every table row is a valid row or has errors, never both.
            for line in &lines {
                let valid = p.rows.iter().filter(|r| r.line == *line).count();
                let errors = p.errors.iter().filter(|e| e.line == *line).count();
                prop_assert!(
                    (valid == 1) != (errors > 0),
                    "line {}: {} rows, {} errors",
                    line,
                    valid,
                    errors
                );
            }
            let (mut emails, mut ids) = (HashSet::new(), HashSet::new());
            let unit_ids: HashSet<uuid::Uuid> = (1..=5).map(uuid::Uuid::from_u128).collect();
            for r in &p.rows {
                prop_assert!(
                    emails.insert(r.email.as_str().to_string()),
                    "{} twice",
                    r.email.as_str()
                );
                if let Some(id) = &r.national_id {
                    prop_assert!(ids.insert(id.as_str().to_string()));
                }
                prop_assert!(r.date_of_birth <= today());
                prop_assert!(unit_ids.contains(&r.unit_id));
                for t in std::iter::once(&r.place_of_birth).chain(r.job_title.as_ref()) {
                    prop_assert!(t.chars().count() <= MAX_TEXT_CHARS);
                    prop_assert_eq!(t, &t.split_whitespace().collect::<Vec<_>>().join(" "));
                }
            }
            if !p.rows.is_empty() {
                let again = parse_roster(&read_table(&export(&p.rows)).unwrap(), &units(), today());
                prop_assert!(again.errors.is_empty(), "{:?}", again.errors);
                let strip = |rows: &[RosterRow]| -> Vec<RosterRow> {
                    rows.iter()
                        .cloned()
                        .map(|r| RosterRow { line: 0, ..r })
                        .collect()
                };
                // A phone kept without its 0 ("987 654 321" has spaces, so
                // it is not taken for a number Excel shortened) gets the 0
                // back once written as bare digits.
                let want: Vec<RosterRow> = strip(&p.rows)
                    .into_iter()
                    .map(|r| RosterRow {
                        phone: r
                            .phone
                            .map(|ph| Phone::parse(&restore_phone_zero(ph.as_str())).unwrap()),
                        ..r
                    })
                    .collect();
                prop_assert_eq!(strip(&again.rows), want);
            }
            Ok(())
        }

        const TOKENS: &[&str] = &[
            ",",
            "\"",
            ";",
            "@",
            "/",
            " / ",
            "x",
            "15/03/1985",
            "Nam",
            "\n",
        ];

        const SAMPLES: &[&str] = &[
            "Họ và tên,Ngày sinh,Nơi sinh,Giới tính,Email,Số điện thoại,Đơn vị,Chức danh,Lãnh đạo\n\
             Nguyễn Văn An,15/03/1985,Hà Nội,Nam,nguyen.van.an@example.com,0912 345 678,Thành phố Hà Nội / Phường Hoàn Kiếm,Chuyên viên,\n\
             Trần Thị Bích Ngọc,02/11/1990,Hải Phòng,Nữ,tran.thi.bich.ngoc@example.com,0987 654 321,Nghệ An / Xã Bình Minh,Trưởng phòng,x\n",
            "\u{feff}STT;HỌ VÀ TÊN *;Ngay sinh (dd/mm/yyyy);noi sinh;Gender;Email;Unit;CCCD;Lãnh đạo:\r\n\
             1;Lê Văn Cường;1985-03-15;Huế;male;cuong@example.com;00070;1090012345;có\r\n\
             2;Phạm Thị Dung;31/02/1990;;nữ;cuong@example.com;Xã Bình Minh;;\r\n",
        ];

        proptest! {
            #![proptest_config(config(256))]

            #[test]
            fn fuzz_roster_arbitrary_tables(table in any_table()) {
                check(&table)?;
            }

            #[test]
            fn fuzz_roster_mutated_csv(bytes in mutated(SAMPLES, TOKENS)) {
                if let Ok(table) = read_table(&bytes) {
                    check(&table)?;
                }
            }
        }

        proptest! {
            #![proptest_config(config(32))]

            #[test]
            fn fuzz_roster_xlsx_cells(rows in prop::collection::vec(row(), 1..6)) {
                let bytes = write_xlsx("Danh sách", &all_headers(), &rows).unwrap();
                check(&read_table(&bytes).unwrap())?;
            }
        }

        #[test]
        fn fuzz_roster_samples_are_valid() {
            let p = parse_roster(
                &read_table(SAMPLES[0].as_bytes()).unwrap(),
                &units(),
                today(),
            );
            assert_eq!((p.rows.len(), p.errors.len()), (2, 0), "{:?}", p.errors);
        }
    }
}
