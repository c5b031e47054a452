//! Whether a learner may sit the exam: a class's rule over module
//! completion and attendance, or a trainer's exception. The verdict says
//! what is still missing, in words a learner understands.
use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// A class's rule; every part given must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rule {
    #[serde(default)]
    pub all_modules_complete: bool,
    pub min_modules_complete: Option<u32>,
    pub min_attendance_percent: Option<u32>,
}

impl Rule {
    /// Checks the rule against a course of `modules` modules.
    pub fn validate(&self, modules: usize) -> Result<(), (String, String)> {
        if let Some(n) = self.min_modules_complete
            && (n == 0 || n as usize > modules)
        {
            return Err((
                format!("Số mô-đun tối thiểu phải từ 1 đến {modules}."),
                format!("The minimum number of modules must be between 1 and {modules}."),
            ));
        }
        if let Some(p) = self.min_attendance_percent
            && p > 100
        {
            return Err((
                "Tỷ lệ chuyên cần tối thiểu không quá 100%.".into(),
                "The minimum attendance cannot exceed 100%.".into(),
            ));
        }
        Ok(())
    }
}

/// One module's lessons, done and in all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ModuleProgress {
    pub code: String,
    pub lessons_total: u32,
    pub lessons_completed: u32,
    pub completed: bool,
}

impl ModuleProgress {
    pub fn new(code: impl Into<String>, total: u32, done: u32) -> Self {
        ModuleProgress {
            code: code.into(),
            lessons_total: total,
            lessons_completed: done.min(total),
            completed: total > 0 && done >= total,
        }
    }
}

/// What is known about one learner in one class.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub modules: Vec<ModuleProgress>,
    /// Percent of recorded class days attended; `None` when none were recorded.
    pub attendance_percent: Option<f64>,
    /// A trainer's exception, with its reason.
    pub exception: Option<String>,
}

/// One thing still missing.
#[derive(Clone, Debug, PartialEq)]
pub enum Missing {
    Module { code: String, done: u32, total: u32 },
    ModulesCount { needed: u32, have: u32 },
    Attendance { needed: u32, have: f64 },
}

impl Missing {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Missing::Module { code, done, total }, Lang::Vi) => {
                format!("Chưa hoàn thành mô-đun {code} ({done}/{total} bài học).")
            }
            (Missing::Module { code, done, total }, Lang::En) => {
                format!("Module {code} is not complete ({done}/{total} lessons).")
            }
            (Missing::ModulesCount { needed, have }, Lang::Vi) => {
                format!("Cần hoàn thành ít nhất {needed} mô-đun (mới hoàn thành {have}).")
            }
            (Missing::ModulesCount { needed, have }, Lang::En) => {
                format!("At least {needed} modules must be complete ({have} so far).")
            }
            (Missing::Attendance { needed, have }, Lang::Vi) => {
                format!(
                    "Tỷ lệ chuyên cần cần đạt {needed}% (hiện {}%).",
                    fmt_pct(*have, ',')
                )
            }
            (Missing::Attendance { needed, have }, Lang::En) => {
                format!(
                    "Attendance must reach {needed}% (now {}%).",
                    fmt_pct(*have, '.')
                )
            }
        }
    }
}

fn fmt_pct(p: f64, sep: char) -> String {
    let s = format!("{:.1}", p);
    let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    s.replace('.', &sep.to_string())
}

#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub eligible: bool,
    pub missing: Vec<Missing>,
    /// Eligible by a trainer's exception, with its reason.
    pub exception: Option<String>,
}

pub fn evaluate(rule: &Rule, facts: &Facts) -> Verdict {
    let mut missing = Vec::new();
    if rule.all_modules_complete {
        for m in facts.modules.iter().filter(|m| !m.completed) {
            missing.push(Missing::Module {
                code: m.code.clone(),
                done: m.lessons_completed,
                total: m.lessons_total,
            });
        }
    }
    if let Some(needed) = rule.min_modules_complete {
        let have = facts.modules.iter().filter(|m| m.completed).count() as u32;
        if have < needed {
            missing.push(Missing::ModulesCount { needed, have });
        }
    }
    if let Some(needed) = rule.min_attendance_percent {
        // With no class day recorded there was nothing to attend.
        let have = facts.attendance_percent.unwrap_or(100.0);
        if have + 1e-9 < f64::from(needed) {
            missing.push(Missing::Attendance { needed, have });
        }
    }
    let exception = facts.exception.clone();
    Verdict {
        eligible: missing.is_empty() || exception.is_some(),
        missing,
        exception,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(done: &[(u32, u32)], attendance: Option<f64>) -> Facts {
        Facts {
            modules: done
                .iter()
                .enumerate()
                .map(|(i, (d, t))| ModuleProgress::new(format!("IU0{}", i + 1), *t, *d))
                .collect(),
            attendance_percent: attendance,
            exception: None,
        }
    }

    #[test]
    fn all_modules_and_attendance_must_hold_and_each_gap_is_explained() {
        let rule = Rule {
            all_modules_complete: true,
            min_modules_complete: None,
            min_attendance_percent: Some(80),
        };
        let v = evaluate(&rule, &facts(&[(4, 4), (2, 5)], Some(75.0)));
        assert!(!v.eligible);
        assert_eq!(v.missing.len(), 2);
        assert_eq!(
            v.missing[0].message(Lang::Vi),
            "Chưa hoàn thành mô-đun IU02 (2/5 bài học)."
        );
        assert_eq!(
            v.missing[1].message(Lang::Vi),
            "Tỷ lệ chuyên cần cần đạt 80% (hiện 75%)."
        );
        let v = evaluate(&rule, &facts(&[(4, 4), (5, 5)], Some(80.0)));
        assert!(v.eligible && v.missing.is_empty());
    }

    #[test]
    fn at_least_n_modules_and_no_recorded_days_and_exceptions() {
        let rule = Rule {
            all_modules_complete: false,
            min_modules_complete: Some(5),
            min_attendance_percent: Some(80),
        };
        let f = facts(&[(1, 1), (1, 1), (1, 1), (1, 1), (0, 1), (0, 1)], None);
        let v = evaluate(&rule, &f);
        assert_eq!(
            v.missing,
            vec![Missing::ModulesCount { needed: 5, have: 4 }]
        );
        let mut f = f;
        f.exception = Some("Ốm, đã học bù".into());
        let v = evaluate(&rule, &f);
        assert!(v.eligible);
        assert_eq!(v.missing.len(), 1, "the gap is still shown");
        // An empty module never counts as complete.
        assert!(!ModuleProgress::new("IU01", 0, 0).completed);
    }

    #[test]
    fn rules_are_checked_against_the_course() {
        let bad = Rule {
            min_modules_complete: Some(7),
            ..Default::default()
        };
        assert!(bad.validate(6).is_err());
        let bad = Rule {
            min_attendance_percent: Some(120),
            ..Default::default()
        };
        assert!(bad.validate(6).is_err());
        assert!(Rule::default().validate(6).is_ok());
    }
}
