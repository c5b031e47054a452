//! Automatic checks of practical files: what a rubric criterion may ask of
//! an uploaded `.xlsx`, `.docx` or `.pptx`. The reading itself is in
//! [`crate::domain::office_read`]; this module holds the kinds, their
//! parameters and validation.
use serde::{Deserialize, Serialize};

use crate::domain::office::OfficeKind;

/// Chart types a spreadsheet check may ask for.
pub const CHART_TYPES: [&str; 6] = ["bar", "line", "pie", "area", "scatter", "doughnut"];
/// Slide layout types a presentation check may ask for.
pub const LAYOUTS: [&str; 6] = ["title", "obj", "twoObj", "titleOnly", "blank", "secHead"];

/// One automatic check, `{"kind": …, parameters}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    /// Every cell of `range` holds a formula calling `function`.
    XlsxFormula {
        range: String,
        function: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sheet: Option<String>,
    },
    /// A chart of `chart_type` exists (on `sheet` when given).
    XlsxChart {
        chart_type: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sheet: Option<String>,
    },
    /// Every cell of `range` has a number format containing `format`.
    XlsxNumberFormat {
        range: String,
        format: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sheet: Option<String>,
    },
    /// `column` is at least `min_width` characters wide.
    XlsxColumnWidth {
        column: String,
        min_width: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sheet: Option<String>,
    },
    /// A paragraph styled Heading `level` (containing `text`).
    DocxHeading {
        level: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    /// The page is landscape.
    DocxLandscape,
    /// Page margins in millimetres, within `tolerance_mm` (default 1).
    DocxMargins {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        top_mm: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bottom_mm: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        left_mm: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        right_mm: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tolerance_mm: Option<f64>,
    },
    /// A table with at least `min_rows` rows (and `min_columns` columns).
    DocxTable {
        min_rows: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_columns: Option<u32>,
    },
    /// A page header contains `text`.
    DocxHeaderText { text: String },
    /// A page footer contains `text`.
    DocxFooterText { text: String },
    /// The number of slides is within `min`..=`max`.
    PptxSlideCount {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<u32>,
    },
    /// Slide `slide` (1-based) uses a layout of type `layout`.
    PptxLayout { slide: u32, layout: String },
    /// A picture is on slide `slide` (any slide when absent).
    PptxPicture {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        slide: Option<u32>,
    },
    /// Slide `slide` (any slide when absent) has a transition.
    PptxTransition {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        slide: Option<u32>,
    },
}

/// What a check found: passed or not, and what it saw, in both languages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Outcome {
    pub passed: bool,
    pub detail_vi: String,
    pub detail_en: String,
}

impl Outcome {
    pub fn new(passed: bool, vi: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            passed,
            detail_vi: vi.into(),
            detail_en: en.into(),
        }
    }
}

/// A cell reference: zero-based column and one-based row.
pub type Cell = (u32, u32);

/// Column letters to a zero-based index ("A" = 0, "AA" = 26).
pub fn column_index(letters: &str) -> Option<u32> {
    let letters = letters.trim().trim_start_matches('$');
    if letters.is_empty() || letters.len() > 3 || !letters.chars().all(|c| c.is_ascii_alphabetic())
    {
        return None;
    }
    let mut n: u32 = 0;
    for c in letters.chars() {
        n = n * 26 + (c.to_ascii_uppercase() as u32 - 'A' as u32 + 1);
    }
    (1..=16_384).contains(&n).then(|| n - 1)
}

/// "E12" or "$E$12" to (column, row).
pub fn parse_cell(s: &str) -> Option<Cell> {
    let s = s.trim().replace('$', "");
    let split = s.find(|c: char| c.is_ascii_digit())?;
    let (col, row) = s.split_at(split);
    let row: u32 = row.parse().ok()?;
    (1..=1_048_576).contains(&row).then_some(())?;
    Some((column_index(col)?, row))
}

/// "E2:E11" or "E12" to its corners, ordered; at most 10,000 cells.
pub fn parse_range(s: &str) -> Option<(Cell, Cell)> {
    let (a, b) = match s.split_once(':') {
        Some((a, b)) => (parse_cell(a)?, parse_cell(b)?),
        None => {
            let c = parse_cell(s)?;
            (c, c)
        }
    };
    let from = (a.0.min(b.0), a.1.min(b.1));
    let to = (a.0.max(b.0), a.1.max(b.1));
    let cells = u64::from(to.0 - from.0 + 1) * u64::from(to.1 - from.1 + 1);
    (cells <= 10_000).then_some((from, to))
}

fn bad(vi: impl Into<String>, en: impl Into<String>) -> Result<(), (String, String)> {
    Err((vi.into(), en.into()))
}

impl Check {
    /// The file type the check reads.
    pub fn file_kind(&self) -> OfficeKind {
        match self {
            Check::XlsxFormula { .. }
            | Check::XlsxChart { .. }
            | Check::XlsxNumberFormat { .. }
            | Check::XlsxColumnWidth { .. } => OfficeKind::Xlsx,
            Check::DocxHeading { .. }
            | Check::DocxLandscape
            | Check::DocxMargins { .. }
            | Check::DocxTable { .. }
            | Check::DocxHeaderText { .. }
            | Check::DocxFooterText { .. } => OfficeKind::Docx,
            Check::PptxSlideCount { .. }
            | Check::PptxLayout { .. }
            | Check::PptxPicture { .. }
            | Check::PptxTransition { .. } => OfficeKind::Pptx,
        }
    }

    /// Whether the parameters make sense; the message in (Vietnamese, English).
    pub fn validate(&self) -> Result<(), (String, String)> {
        match self {
            Check::XlsxFormula {
                range, function, ..
            } => {
                if parse_range(range).is_none() {
                    return bad(
                        format!("vùng ô không hợp lệ: {range}"),
                        format!("invalid cell range: {range}"),
                    );
                }
                let f = function.trim();
                if f.is_empty()
                    || f.len() > 30
                    || !f
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
                {
                    return bad(
                        format!("tên hàm không hợp lệ: {function}"),
                        format!("invalid function name: {function}"),
                    );
                }
                Ok(())
            }
            Check::XlsxChart { chart_type, .. } => {
                if CHART_TYPES.contains(&chart_type.as_str()) {
                    Ok(())
                } else {
                    bad(
                        format!(
                            "loại biểu đồ không hợp lệ: {chart_type} (chỉ {})",
                            CHART_TYPES.join(", ")
                        ),
                        format!(
                            "unknown chart type: {chart_type} (only {})",
                            CHART_TYPES.join(", ")
                        ),
                    )
                }
            }
            Check::XlsxNumberFormat { range, format, .. } => {
                if parse_range(range).is_none() {
                    return bad(
                        format!("vùng ô không hợp lệ: {range}"),
                        format!("invalid cell range: {range}"),
                    );
                }
                if format.trim().is_empty() {
                    return bad("thiếu định dạng số", "the number format is missing");
                }
                Ok(())
            }
            Check::XlsxColumnWidth {
                column, min_width, ..
            } => {
                if column_index(column).is_none() {
                    return bad(
                        format!("cột không hợp lệ: {column}"),
                        format!("invalid column: {column}"),
                    );
                }
                if !min_width.is_finite() || *min_width <= 0.0 || *min_width > 255.0 {
                    return bad(
                        "độ rộng cột phải từ 0 đến 255",
                        "the column width must be between 0 and 255",
                    );
                }
                Ok(())
            }
            Check::DocxHeading { level, text } => {
                if !(1..=6).contains(level) {
                    return bad("cấp tiêu đề từ 1 đến 6", "the heading level is 1 to 6");
                }
                if text.as_deref().is_some_and(|t| t.trim().is_empty()) {
                    return bad("nội dung tiêu đề để trống", "the heading text is empty");
                }
                Ok(())
            }
            Check::DocxLandscape => Ok(()),
            Check::DocxMargins {
                top_mm,
                bottom_mm,
                left_mm,
                right_mm,
                tolerance_mm,
            } => {
                let sides = [top_mm, bottom_mm, left_mm, right_mm];
                if sides.iter().all(|s| s.is_none()) {
                    return bad("cần ít nhất một lề", "name at least one margin");
                }
                let ok = |v: &Option<f64>, max: f64| {
                    v.is_none_or(|v| v.is_finite() && (0.0..=max).contains(&v))
                };
                if !sides.iter().all(|s| ok(s, 200.0)) || !ok(tolerance_mm, 20.0) {
                    return bad(
                        "lề từ 0 đến 200 mm, sai số đến 20 mm",
                        "margins 0 to 200 mm, tolerance up to 20 mm",
                    );
                }
                Ok(())
            }
            Check::DocxTable {
                min_rows,
                min_columns,
            } => {
                if *min_rows == 0
                    || *min_rows > 1000
                    || min_columns.is_some_and(|c| c == 0 || c > 64)
                {
                    return bad(
                        "số hàng từ 1 đến 1000, số cột từ 1 đến 64",
                        "rows 1 to 1000, columns 1 to 64",
                    );
                }
                Ok(())
            }
            Check::DocxHeaderText { text } | Check::DocxFooterText { text } => {
                if text.trim().is_empty() {
                    bad("nội dung cần tìm để trống", "the text to find is empty")
                } else {
                    Ok(())
                }
            }
            Check::PptxSlideCount { min, max } => match (min, max) {
                (None, None) => bad(
                    "cần số trang tối thiểu hoặc tối đa",
                    "give a minimum or a maximum slide count",
                ),
                (Some(a), Some(b)) if a > b => bad(
                    "số trang tối thiểu lớn hơn tối đa",
                    "the minimum is above the maximum",
                ),
                _ => Ok(()),
            },
            Check::PptxLayout { slide, layout } => {
                if *slide == 0 {
                    return bad("số thứ tự trang bắt đầu từ 1", "slides are numbered from 1");
                }
                if !LAYOUTS.contains(&layout.as_str()) {
                    return bad(
                        format!("bố cục không hợp lệ: {layout} (chỉ {})", LAYOUTS.join(", ")),
                        format!("unknown layout: {layout} (only {})", LAYOUTS.join(", ")),
                    );
                }
                Ok(())
            }
            Check::PptxPicture { slide } | Check::PptxTransition { slide } => {
                if *slide == Some(0) {
                    bad("số thứ tự trang bắt đầu từ 1", "slides are numbered from 1")
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// Runs a check on a file of `kind`. `None` when the check does not read
/// this kind of file (an ODF upload, say): the marker decides. Never
/// panics; a file that cannot be read fails with a reason.
pub fn run(check: &Check, kind: OfficeKind, bytes: &[u8]) -> Option<Outcome> {
    if check.file_kind() != kind {
        return None;
    }
    Some(crate::domain::office_read::run_check(check, bytes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_ranges_parse() {
        assert_eq!(column_index("A"), Some(0));
        assert_eq!(column_index("z"), Some(25));
        assert_eq!(column_index("AA"), Some(26));
        assert_eq!(column_index("XFD"), Some(16_383));
        assert_eq!(column_index("XFE"), None);
        assert_eq!(column_index(""), None);
        assert_eq!(parse_cell("$E$12"), Some((4, 12)));
        assert_eq!(parse_cell("E0"), None);
        assert_eq!(parse_cell("12"), None);
        assert_eq!(parse_range("E11:E2"), Some(((4, 2), (4, 11))));
        assert_eq!(parse_range("B3"), Some(((1, 3), (1, 3))));
        assert_eq!(parse_range("A1:Z1000"), None, "too many cells");
        assert_eq!(parse_range("E2:"), None);
    }

    #[test]
    fn checks_deserialize_by_kind_and_validate() {
        let c: Check = serde_json::from_value(serde_json::json!(
            {"kind": "xlsx_formula", "range": "E2:E11", "function": "SUM", "sheet": "Lương"}
        ))
        .unwrap();
        assert!(c.validate().is_ok());
        assert_eq!(c.file_kind(), OfficeKind::Xlsx);
        let c: Check =
            serde_json::from_value(serde_json::json!({"kind": "docx_landscape"})).unwrap();
        assert_eq!(c, Check::DocxLandscape);
        // Unknown kinds and unknown parameters are refused.
        assert!(
            serde_json::from_value::<Check>(serde_json::json!({"kind": "xlsx_magic"})).is_err()
        );
        assert!(
            serde_json::from_value::<Check>(
                serde_json::json!({"kind": "docx_table", "min_rows": 3, "rows": 3})
            )
            .is_err()
        );
        for bad in [
            serde_json::json!({"kind": "xlsx_formula", "range": "E2:", "function": "SUM"}),
            serde_json::json!({"kind": "xlsx_chart", "chart_type": "radar"}),
            serde_json::json!({"kind": "xlsx_column_width", "column": "B", "min_width": -1}),
            serde_json::json!({"kind": "docx_heading", "level": 7}),
            serde_json::json!({"kind": "docx_margins"}),
            serde_json::json!({"kind": "docx_table", "min_rows": 0}),
            serde_json::json!({"kind": "docx_header_text", "text": " "}),
            serde_json::json!({"kind": "pptx_slide_count", "min": 5, "max": 3}),
            serde_json::json!({"kind": "pptx_layout", "slide": 1, "layout": "fancy"}),
            serde_json::json!({"kind": "pptx_picture", "slide": 0}),
        ] {
            let c: Check = serde_json::from_value(bad.clone()).unwrap();
            assert!(c.validate().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_check_applies_only_to_its_file_type() {
        let c = Check::DocxLandscape;
        assert!(run(&c, OfficeKind::Odt, b"anything").is_none());
        assert!(run(&c, OfficeKind::Xlsx, b"anything").is_none());
        let out = run(&c, OfficeKind::Docx, b"not a zip").unwrap();
        assert!(!out.passed);
    }
}
