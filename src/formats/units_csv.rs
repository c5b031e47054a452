//! The unit list CSV: `code,name,kind,parent_code` (as the statistics
//! office's list in `vn-units-2025.csv`).
use crate::formats::table::{Table, TableRow};
use crate::i18n::Lang;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitCsvRow {
    pub line: usize,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_code: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitCsvError {
    pub line: usize,
    pub vi: String,
    pub en: String,
}

impl UnitCsvError {
    pub fn message(&self, lang: Lang) -> String {
        lang.pick(&self.vi, &self.en).to_string()
    }
}

const COLUMNS: [&str; 4] = ["code", "name", "kind", "parent_code"];

/// Splits a table into unit rows; every problem is reported with its line.
pub fn parse(table: &Table) -> (Vec<UnitCsvRow>, Vec<UnitCsvError>) {
    let mut errors = Vec::new();
    let idx: Vec<Option<usize>> = COLUMNS
        .iter()
        .map(|c| {
            table
                .headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(c))
        })
        .collect();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .zip(&idx)
        .filter(|(c, i)| i.is_none() && **c != "parent_code")
        .map(|(c, _)| *c)
        .collect();
    if !missing.is_empty() {
        let cols = missing.join(", ");
        errors.push(UnitCsvError {
            line: 1,
            vi: format!("Dòng 1: thiếu cột {cols} (cần code,name,kind,parent_code)."),
            en: format!("Line 1: missing column(s) {cols} (expected code,name,kind,parent_code)."),
        });
        return (Vec::new(), errors);
    }
    let cell = |row: &TableRow, i: Option<usize>| -> String {
        i.and_then(|i| row.cells.get(i))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut rows = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for row in &table.rows {
        let code = cell(row, idx[0]);
        let name = cell(row, idx[1]);
        let kind = cell(row, idx[2]);
        let parent = cell(row, idx[3]);
        let mut bad = |vi: String, en: String| {
            errors.push(UnitCsvError {
                line: row.line,
                vi,
                en,
            })
        };
        if code.is_empty() || name.is_empty() || kind.is_empty() {
            bad(
                format!("Dòng {}: code, name và kind không được để trống.", row.line),
                format!("Line {}: code, name and kind are required.", row.line),
            );
            continue;
        }
        if let Some(first) = seen.insert(code.clone(), row.line) {
            bad(
                format!("Dòng {}: mã {code} trùng với dòng {first}.", row.line),
                format!("Line {}: code {code} repeats line {first}.", row.line),
            );
            continue;
        }
        if parent == code {
            bad(
                format!(
                    "Dòng {}: đơn vị không thể là cấp trên của chính nó.",
                    row.line
                ),
                format!("Line {}: a unit cannot be its own parent.", row.line),
            );
            continue;
        }
        rows.push(UnitCsvRow {
            line: row.line,
            code,
            name,
            kind,
            parent_code: (!parent.is_empty()).then_some(parent),
        });
    }
    (rows, errors)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::formats::table::read_table;

    #[test]
    fn rows_parse_and_a_repeated_code_is_reported_with_its_line() {
        let csv = "code,name,kind,parent_code\n01,Thành phố Hà Nội,thành phố trung ương,\n00070,Phường Hoàn Kiếm,phường,01\n00070,Phường X,phường,01\n";
        let t = read_table(csv.as_bytes()).unwrap();
        let (rows, errors) = parse(&t);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].parent_code.as_deref(), Some("01"));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 4);
    }

    #[test]
    fn a_missing_column_is_one_error_on_line_one() {
        let t = read_table(b"code,name\n01,X\n").unwrap();
        let (rows, errors) = parse(&t);
        assert!(rows.is_empty());
        assert_eq!(errors[0].line, 1);
        assert!(errors[0].message(Lang::En).contains("kind"));
    }
}
