//! The practical part's rules: rubrics, papers, how two blind marks become a
//! final mark, the practical score, and how long a passed part is kept.
use serde::{Deserialize, Serialize};

use crate::domain::office::OfficeKind;
use crate::domain::office_checks::Check;

/// Modules with practical tasks.
pub const PRACTICAL_MODULES: [&str; 3] = ["IU03", "IU04", "IU05"];

/// One rubric criterion.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub criterion: String,
    pub points: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<Check>,
}

/// A refusal with its message in both languages.
#[derive(Clone, Debug, PartialEq)]
pub struct Invalid {
    pub vi: String,
    pub en: String,
}

fn invalid(vi: impl Into<String>, en: impl Into<String>) -> Invalid {
    Invalid {
        vi: vi.into(),
        en: en.into(),
    }
}

/// Total points of a task's rubric.
pub const RUBRIC_TOTAL: f64 = 10.0;

/// The expected file types: known extensions, at least one.
pub fn parse_expected_types(types: &[String]) -> Result<Vec<OfficeKind>, Invalid> {
    if types.is_empty() {
        return Err(invalid(
            "Cần ít nhất một loại tệp được nộp.",
            "At least one expected file type is needed.",
        ));
    }
    let mut out = Vec::new();
    for t in types {
        let kind = OfficeKind::from_extension(t.trim_start_matches('.')).ok_or_else(|| {
            invalid(
                format!("Loại tệp không được hỗ trợ: {t} (chỉ docx, xlsx, pptx, odt, ods, odp)."),
                format!("Unsupported file type: {t} (only docx, xlsx, pptx, odt, ods, odp)."),
            )
        })?;
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    Ok(out)
}

/// A rubric is valid when it has criteria with positive points summing to
/// exactly 10, named, and each automatic check is well formed and reads a
/// file type the task accepts.
pub fn validate_rubric(rubric: &[Criterion], expected: &[OfficeKind]) -> Result<(), Invalid> {
    if rubric.is_empty() {
        return Err(invalid(
            "Thang điểm cần ít nhất một tiêu chí.",
            "The rubric needs at least one criterion.",
        ));
    }
    let mut sum = 0.0;
    for (i, c) in rubric.iter().enumerate() {
        let n = i + 1;
        if c.criterion.trim().is_empty() {
            return Err(invalid(
                format!("Tiêu chí {n} chưa có nội dung."),
                format!("Criterion {n} has no text."),
            ));
        }
        if !c.points.is_finite() || c.points <= 0.0 {
            return Err(invalid(
                format!("Tiêu chí {n}: điểm phải lớn hơn 0."),
                format!("Criterion {n}: points must be above 0."),
            ));
        }
        sum += c.points;
        if let Some(check) = &c.check {
            check.validate().map_err(|(vi, en)| {
                invalid(
                    format!("Tiêu chí {n}: {vi}"),
                    format!("Criterion {n}: {en}"),
                )
            })?;
            if !expected.contains(&check.file_kind()) {
                return Err(invalid(
                    format!(
                        "Tiêu chí {n}: kiểm tra tự động đọc tệp .{}, nhưng bài không nhận loại tệp này.",
                        check.file_kind().extension()
                    ),
                    format!(
                        "Criterion {n}: the automatic check reads .{} files, which the task does not accept.",
                        check.file_kind().extension()
                    ),
                ));
            }
        }
    }
    if (sum - RUBRIC_TOTAL).abs() > 1e-6 {
        return Err(invalid(
            format!("Tổng điểm các tiêu chí là {}, phải bằng 10.", round2(sum)),
            format!("The criteria add up to {}, not 10.", round2(sum)),
        ));
    }
    Ok(())
}

/// One section of a practical paper: how many tasks of a module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaperSection {
    pub module: String,
    pub count: u32,
}

pub fn validate_sections(sections: &[PaperSection]) -> Result<(), Invalid> {
    if sections.is_empty() || sections.iter().all(|s| s.count == 0) {
        return Err(invalid(
            "Đề thực hành cần ít nhất một bài.",
            "A practical paper needs at least one task.",
        ));
    }
    let mut seen = Vec::new();
    for s in sections {
        if !PRACTICAL_MODULES.contains(&s.module.as_str()) {
            return Err(invalid(
                format!(
                    "Mô-đun {} không có bài thực hành (chỉ IU03, IU04, IU05).",
                    s.module
                ),
                format!(
                    "Module {} has no practical tasks (only IU03, IU04, IU05).",
                    s.module
                ),
            ));
        }
        if seen.contains(&s.module) {
            return Err(invalid(
                format!("Mô-đun {} xuất hiện hai lần.", s.module),
                format!("Module {} appears twice.", s.module),
            ));
        }
        if s.count > 10 {
            return Err(invalid(
                "Mỗi mô-đun tối đa 10 bài.",
                "At most 10 tasks per module.",
            ));
        }
        seen.push(s.module.clone());
    }
    Ok(())
}

/// Rounds half up to two decimals.
pub fn round2(x: f64) -> f64 {
    (x * 100.0 + 1e-9).round() / 100.0
}

/// The mark rounds of a submission, in the order they were given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Round {
    /// One of the two independent marks.
    Blind,
    /// The third marker or the head of the board, after a disagreement.
    Third,
    /// A re-mark after an appeal.
    Appeal,
}

impl Round {
    pub fn as_str(self) -> &'static str {
        match self {
            Round::Blind => "blind",
            Round::Third => "third",
            Round::Appeal => "appeal",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "blind" => Some(Round::Blind),
            "third" => Some(Round::Third),
            "appeal" => Some(Round::Appeal),
            _ => None,
        }
    }
}

/// Where a submission's marking stands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Standing {
    /// Fewer than two blind marks.
    Marking { marks: usize },
    /// The two blind marks differ by more than the threshold.
    Disputed { first: f64, second: f64 },
    /// The final mark out of 10.
    Final(f64),
}

/// Resolves the marks (round, total) of one submission, in the order given:
/// two blind marks within `threshold` of each other give their mean; further
/// apart, the third mark decides; a later appeal mark replaces the result.
pub fn standing(marks: &[(Round, f64)], threshold: f64) -> Standing {
    let blind: Vec<f64> = marks
        .iter()
        .filter(|m| m.0 == Round::Blind)
        .map(|m| m.1)
        .collect();
    let third = marks
        .iter()
        .rev()
        .find(|m| m.0 == Round::Third)
        .map(|m| m.1);
    let appeal = marks
        .iter()
        .rev()
        .find(|m| m.0 == Round::Appeal)
        .map(|m| m.1);
    let base = match blind.as_slice() {
        [a, b, ..] => {
            if (a - b).abs() <= threshold + 1e-9 {
                Standing::Final(round2((a + b) / 2.0))
            } else if let Some(t) = third {
                Standing::Final(round2(t))
            } else {
                Standing::Disputed {
                    first: *a,
                    second: *b,
                }
            }
        }
        other => Standing::Marking { marks: other.len() },
    };
    match (base, appeal) {
        (Standing::Final(_), Some(a)) => Standing::Final(round2(a)),
        (s, _) => s,
    }
}

/// The practical score out of 10: the mean of the tasks' final marks.
pub fn paper_score(finals: &[f64]) -> Option<f64> {
    if finals.is_empty() {
        return None;
    }
    Some(round2(finals.iter().sum::<f64>() / finals.len() as f64))
}

/// Whether a part passed at `passed_at` is still kept (bảo lưu) at `now`.
pub fn reserved(
    passed_at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
    months: i32,
) -> bool {
    if months <= 0 || passed_at > now {
        return false;
    }
    match passed_at.checked_add_months(chrono::Months::new(months as u32)) {
        Some(until) => now <= until,
        None => true,
    }
}

/// Points proposed for a criterion by its automatic check.
pub fn proposed_points(points: f64, passed: bool) -> f64 {
    if passed { points } else { 0.0 }
}

/// A mark for one criterion as a marker enters it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionMark {
    /// The criterion's position in the rubric (1-based) or its text.
    pub criterion: serde_json::Value,
    pub points: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Why the marker departs from the automatic proposal (required then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
}

/// A checked mark for one criterion, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredMark {
    /// 1-based position in the rubric.
    pub criterion: usize,
    pub points: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
}

/// Checks a marker's marks against the rubric and the automatic proposals
/// (`proposals[i]` for criterion i+1): every criterion marked exactly once,
/// points within 0..=max, and a reason wherever the points depart from a
/// proposal. Returns the stored marks and their total.
pub fn check_marks(
    rubric: &[Criterion],
    proposals: &[Option<f64>],
    marks: &[CriterionMark],
) -> Result<(Vec<StoredMark>, f64), Invalid> {
    let mut out: Vec<Option<StoredMark>> = vec![None; rubric.len()];
    for m in marks {
        let idx = match &m.criterion {
            serde_json::Value::Number(n) => n
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| *n >= 1 && *n <= rubric.len())
                .map(|n| n - 1),
            serde_json::Value::String(s) => rubric
                .iter()
                .position(|c| c.criterion.trim() == s.trim())
                .or_else(|| {
                    s.trim()
                        .parse::<usize>()
                        .ok()
                        .filter(|n| *n >= 1 && *n <= rubric.len())
                        .map(|n| n - 1)
                }),
            _ => None,
        };
        let Some(idx) = idx else {
            return Err(invalid(
                format!("Không có tiêu chí {} trong thang điểm.", m.criterion),
                format!("There is no criterion {} in the rubric.", m.criterion),
            ));
        };
        let Some((c, slot)) = rubric.get(idx).zip(out.get_mut(idx)) else {
            continue;
        };
        let n = idx + 1;
        if slot.is_some() {
            return Err(invalid(
                format!("Tiêu chí {n} được chấm hai lần."),
                format!("Criterion {n} is marked twice."),
            ));
        }
        if !m.points.is_finite() || m.points < 0.0 || m.points > c.points + 1e-9 {
            return Err(invalid(
                format!("Tiêu chí {n}: điểm phải từ 0 đến {}.", c.points),
                format!("Criterion {n}: points must be between 0 and {}.", c.points),
            ));
        }
        let proposed = proposals.get(idx).copied().flatten();
        let reason = m
            .override_reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string);
        if let Some(p) = proposed
            && (p - m.points).abs() > 1e-9
            && reason.is_none()
        {
            return Err(invalid(
                format!(
                    "Tiêu chí {n}: điểm khác đề xuất của kiểm tra tự động ({p}); cần ghi lý do."
                ),
                format!(
                    "Criterion {n}: the points differ from the automatic proposal ({p}); give a reason."
                ),
            ));
        }
        *slot = Some(StoredMark {
            criterion: n,
            points: m.points,
            comment: m
                .comment
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string),
            proposed,
            override_reason: reason,
        });
    }
    let mut stored = Vec::with_capacity(rubric.len());
    for (i, m) in out.into_iter().enumerate() {
        match m {
            Some(m) => stored.push(m),
            None => {
                return Err(invalid(
                    format!("Tiêu chí {} chưa được chấm.", i + 1),
                    format!("Criterion {} is not marked.", i + 1),
                ));
            }
        }
    }
    let total = round2(stored.iter().map(|m| m.points).sum());
    Ok((stored, total))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn c(points: f64) -> Criterion {
        Criterion {
            criterion: format!("c{points}"),
            points,
            check: None,
        }
    }

    #[test]
    fn rubric_must_sum_to_ten() {
        let kinds = [OfficeKind::Xlsx];
        assert!(validate_rubric(&[c(4.0), c(6.0)], &kinds).is_ok());
        let e = validate_rubric(&[c(4.0), c(5.5)], &kinds).unwrap_err();
        assert!(e.vi.contains("9.5"), "{}", e.vi);
        assert!(validate_rubric(&[], &kinds).is_err());
        assert!(validate_rubric(&[c(11.0), c(-1.0)], &kinds).is_err());
        assert!(validate_rubric(&[c(f64::NAN), c(10.0)], &kinds).is_err());
    }

    #[test]
    fn a_check_must_read_an_accepted_type() {
        let check: Check =
            serde_json::from_value(serde_json::json!({"kind":"docx_landscape"})).unwrap();
        let rubric = [Criterion {
            criterion: "Landscape".into(),
            points: 10.0,
            check: Some(check),
        }];
        assert!(validate_rubric(&rubric, &[OfficeKind::Docx, OfficeKind::Odt]).is_ok());
        assert!(validate_rubric(&rubric, &[OfficeKind::Xlsx]).is_err());
    }

    #[test]
    fn expected_types_are_known_extensions() {
        assert_eq!(
            parse_expected_types(&["xlsx".into(), ".ods".into(), "xlsx".into()]).unwrap(),
            vec![OfficeKind::Xlsx, OfficeKind::Ods]
        );
        assert!(parse_expected_types(&["xlsm".into()]).is_err());
        assert!(parse_expected_types(&[]).is_err());
    }

    #[test]
    fn sections_name_practical_modules_once() {
        let s = |m: &str, n| PaperSection {
            module: m.into(),
            count: n,
        };
        assert!(validate_sections(&[s("IU03", 1), s("IU04", 1), s("IU05", 1)]).is_ok());
        assert!(validate_sections(&[s("IU01", 1)]).is_err());
        assert!(validate_sections(&[s("IU03", 1), s("IU03", 1)]).is_err());
        assert!(validate_sections(&[s("IU03", 0)]).is_err());
        assert!(validate_sections(&[]).is_err());
    }

    #[test]
    fn two_close_marks_give_their_mean() {
        use Round::*;
        assert_eq!(standing(&[], 1.0), Standing::Marking { marks: 0 });
        assert_eq!(
            standing(&[(Blind, 7.0)], 1.0),
            Standing::Marking { marks: 1 }
        );
        assert_eq!(
            standing(&[(Blind, 7.0), (Blind, 8.0)], 1.0),
            Standing::Final(7.5)
        );
        assert_eq!(
            standing(&[(Blind, 7.0), (Blind, 8.25)], 1.0),
            Standing::Disputed {
                first: 7.0,
                second: 8.25
            }
        );
        assert_eq!(
            standing(&[(Blind, 7.0), (Blind, 8.25), (Third, 8.0)], 1.0),
            Standing::Final(8.0)
        );
        // An appeal re-mark replaces a final result, not a pending one.
        assert_eq!(
            standing(&[(Blind, 4.0), (Blind, 4.5), (Appeal, 6.0)], 1.0),
            Standing::Final(6.0)
        );
        assert_eq!(
            standing(&[(Blind, 4.0), (Appeal, 6.0)], 1.0),
            Standing::Marking { marks: 1 }
        );
    }

    #[test]
    fn paper_score_is_the_mean() {
        assert_eq!(paper_score(&[]), None);
        assert_eq!(paper_score(&[5.0, 6.0, 7.5]), Some(6.17));
        assert_eq!(paper_score(&[4.995]), Some(5.0));
    }

    #[test]
    fn a_pass_is_kept_for_the_months_set() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 1, 31, 8, 0, 0).unwrap();
        let later = |y, m, d| chrono::Utc.with_ymd_and_hms(y, m, d, 8, 0, 0).unwrap();
        assert!(reserved(at, later(2027, 1, 31), 12));
        assert!(!reserved(at, later(2027, 2, 1), 12));
        assert!(!reserved(at, later(2026, 2, 1), 0));
        assert!(!reserved(at, later(2025, 2, 1), 12));
    }

    #[test]
    fn marks_cover_the_rubric_and_explain_overrides() {
        let rubric = [c(4.0), c(6.0)];
        let m = |crit: serde_json::Value, points, reason: Option<&str>| CriterionMark {
            criterion: crit,
            points,
            comment: None,
            override_reason: reason.map(str::to_string),
        };
        let (stored, total) = check_marks(
            &rubric,
            &[Some(4.0), None],
            &[m(1.into(), 4.0, None), m(2.into(), 5.5, None)],
        )
        .unwrap();
        assert_eq!(total, 9.5);
        assert_eq!(stored[0].proposed, Some(4.0));
        // Departing from the proposal needs a reason.
        assert!(
            check_marks(
                &rubric,
                &[Some(4.0), None],
                &[m(1.into(), 0.0, None), m(2.into(), 5.0, None)],
            )
            .is_err()
        );
        assert!(
            check_marks(
                &rubric,
                &[Some(4.0), None],
                &[m(1.into(), 0.0, Some("wrong cell")), m(2.into(), 5.0, None)],
            )
            .is_ok()
        );
        // Missing, twice, out of range, unknown.
        assert!(check_marks(&rubric, &[], &[m(1.into(), 4.0, None)]).is_err());
        assert!(
            check_marks(
                &rubric,
                &[],
                &[
                    m(1.into(), 4.0, None),
                    m(1.into(), 4.0, None),
                    m(2.into(), 1.0, None)
                ]
            )
            .is_err()
        );
        assert!(
            check_marks(
                &rubric,
                &[],
                &[m(1.into(), 4.5, None), m(2.into(), 1.0, None)]
            )
            .is_err()
        );
        assert!(
            check_marks(
                &rubric,
                &[],
                &[m(3.into(), 4.0, None), m(2.into(), 1.0, None)]
            )
            .is_err()
        );
        // By text.
        assert!(
            check_marks(
                &rubric,
                &[],
                &[m("c4".into(), 4.0, None), m("c6".into(), 1.0, None)]
            )
            .is_ok()
        );
    }
}
