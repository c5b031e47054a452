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

    /// Property tests on arbitrary and damaged unit lists.
    mod fuzz {
        use proptest::prelude::*;

        use super::super::*;
        use crate::formats::table::fuzz_support::{config, mutated};
        use crate::formats::table::read_table;

        const TOKENS: &[&str] = &[
            ",",
            "\"",
            "01",
            "00070",
            "10141",
            "Phường Hoàn Kiếm",
            "xã",
            "code",
            "parent_code",
            "\n01,",
        ];

        const SAMPLES: &[&str] = &[
            "code,name,kind,parent_code\n01,Thành phố Hà Nội,thành phố trung ương,\n00070,Phường Hoàn Kiếm,phường,01\n10141,Xã Bình Minh,xã,01\n40,Tỉnh Nghệ An,tỉnh,\n17515,\"Xã Bình Minh, Nghệ An\",xã,40\n",
            "\u{feff}Code;Name;Kind\r\n01;Thành phố Hà Nội;thành phố\r\n01;Trùng mã;x\r\n;;\r\n",
        ];

        /// What [`parse`] promises for `table`.
        fn check(table: &Table) -> Result<(), TestCaseError> {
            let (rows, errors) = parse(table);
            let lines: Vec<usize> = table.rows.iter().map(|r| r.line).collect();
            for e in &errors {
                prop_assert!(e.line == 1 || lines.contains(&e.line), "{:?}", e);
                let (vi, en) = (format!("Dòng {}", e.line), format!("Line {}", e.line));
                prop_assert!(e.message(Lang::Vi).starts_with(&vi));
                prop_assert!(e.message(Lang::En).starts_with(&en));
            }
            if errors
                .iter()
                .any(|e| e.line == 1 && e.en.contains("missing column"))
            {
                prop_assert!(rows.is_empty());
                prop_assert_eq!(errors.len(), 1);
                return Ok(());
            }
            // Every table row is a unit or an error, in order.
            prop_assert_eq!(rows.len() + errors.len(), table.rows.len());
            prop_assert!(rows.windows(2).all(|w| w[0].line < w[1].line));
            let mut codes = std::collections::HashSet::new();
            for r in &rows {
                prop_assert!(lines.contains(&r.line));
                for field in [&r.code, &r.name, &r.kind] {
                    prop_assert!(!field.is_empty() && field.trim() == field);
                }
                prop_assert!(codes.insert(r.code.clone()), "code {} twice", r.code);
                prop_assert!(r.parent_code.as_deref() != Some(r.code.as_str()));
                prop_assert!(r.parent_code.as_ref().is_none_or(|p| !p.is_empty()));
            }
            Ok(())
        }

        fn any_table() -> impl Strategy<Value = Table> {
            let header = prop::sample::select(vec![
                "code",
                "name",
                "kind",
                "parent_code",
                " Code ",
                "NAME",
                "ma",
                "",
                "ghi chú",
            ])
            .prop_map(str::to_string);
            let cell = prop_oneof![
                3 => prop::sample::select(vec!["01", "00070", "40", "", " ", "xã", "Phường Hoàn Kiếm"]).prop_map(str::to_string),
                1 => "\\PC{0,8}",
            ];
            (
                prop::collection::vec(header, 0..7),
                prop::collection::vec(prop::collection::vec(cell, 0..7), 0..10),
            )
                .prop_map(|(headers, rows)| Table {
                    headers,
                    rows: rows
                        .into_iter()
                        .enumerate()
                        .map(|(i, cells)| TableRow { line: i + 2, cells })
                        .collect(),
                })
        }

        proptest! {
            #![proptest_config(config(256))]

            #[test]
            fn fuzz_units_csv_arbitrary_tables(table in any_table()) {
                check(&table)?;
            }

            #[test]
            fn fuzz_units_csv_mutated_files(bytes in mutated(SAMPLES, TOKENS)) {
                if let Ok(table) = read_table(&bytes) {
                    check(&table)?;
                }
            }
        }

        #[test]
        fn fuzz_units_csv_samples_are_valid() {
            let (rows, errors) = parse(&read_table(SAMPLES[0].as_bytes()).unwrap());
            assert_eq!((rows.len(), errors.len()), (5, 0));
        }
    }
}
