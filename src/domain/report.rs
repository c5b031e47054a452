//! The figures provinces publish, defined once.
//!
//! For a period `[from, to]` (dates in the installation's time zone) and a
//! subtree of units, every figure counts PEOPLE; a person enrolled in several
//! classes of the period counts once, by their latest class (latest start,
//! then latest enrolment), in the unit they belonged to when enrolled in it.
//!
//! - **assigned**: enrolled in a class of the period (one whose dates overlap it);
//! - **did not take part** (`not_participating`): assigned, but never opened a
//!   lesson of the class's course and never was present on a class day, by
//!   the end of the period;
//! - **not eligible**: took part, but not eligible when the class ended (while
//!   a class still runs: not eligible yet);
//! - **sat the exam**: started an exam attempt between the class's start and
//!   the end of the period;
//! - **passed**: one of those attempts was graded as passed;
//! - **certified**: holds a valid (not revoked) certificate issued between
//!   the class's start and the end of the period;
//! - **certification rate** = certified / assigned (none when nobody was assigned).
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What is known about one person for the report.
#[derive(Clone, Debug, Default)]
pub struct PersonFacts {
    /// Start of the first day of their (latest) class in the period.
    pub class_start: Option<DateTime<Utc>>,
    /// First lesson opened or class day attended.
    pub took_part_at: Option<DateTime<Utc>>,
    /// Eligible as of the class's end (or now, while it runs).
    pub eligible: bool,
    /// Exam attempts: (started at, passed).
    pub attempts: Vec<(DateTime<Utc>, bool)>,
    /// Issue times of their valid certificates.
    pub certificates: Vec<DateTime<Utc>>,
}

/// Which figures one person counts in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Flags {
    pub assigned: bool,
    pub took_part: bool,
    pub eligible: bool,
    pub sat_exam: bool,
    pub passed: bool,
    pub certified: bool,
}

/// Applies the definitions to one assigned person; `period_end` is the
/// end of the period's last day.
pub fn classify(p: &PersonFacts, period_end: DateTime<Utc>) -> Flags {
    let start = p.class_start.unwrap_or(DateTime::<Utc>::MIN_UTC);
    let in_window = |t: &DateTime<Utc>| *t >= start && *t < period_end;
    let took_part = p.took_part_at.is_some_and(|t| t < period_end);
    Flags {
        assigned: true,
        took_part,
        eligible: took_part && p.eligible,
        sat_exam: p.attempts.iter().any(|(t, _)| in_window(t)),
        passed: p.attempts.iter().any(|(t, passed)| *passed && in_window(t)),
        certified: p.certificates.iter().any(in_window),
    }
}

/// The published figures for a group of people.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub assigned: u64,
    pub not_participating: u64,
    pub not_eligible: u64,
    pub sat_exam: u64,
    pub passed: u64,
    pub certified: u64,
    /// certified / assigned; null when nobody was assigned.
    pub certification_rate: Option<f64>,
}

impl Counts {
    pub fn add(&mut self, f: Flags) {
        if !f.assigned {
            return;
        }
        self.assigned += 1;
        if !f.took_part {
            self.not_participating += 1;
        } else if !f.eligible {
            self.not_eligible += 1;
        }
        self.sat_exam += u64::from(f.sat_exam);
        self.passed += u64::from(f.passed);
        self.certified += u64::from(f.certified);
        self.certification_rate = rate(self.certified, self.assigned);
    }

    pub fn merge(&mut self, o: &Counts) {
        self.assigned += o.assigned;
        self.not_participating += o.not_participating;
        self.not_eligible += o.not_eligible;
        self.sat_exam += o.sat_exam;
        self.passed += o.passed;
        self.certified += o.certified;
        self.certification_rate = rate(self.certified, self.assigned);
    }

    /// Took part = assigned − did not take part.
    pub fn took_part(&self) -> u64 {
        self.assigned - self.not_participating
    }

    /// Eligible = took part − not eligible.
    pub fn eligible(&self) -> u64 {
        self.took_part() - self.not_eligible
    }
}

fn rate(certified: u64, assigned: u64) -> Option<f64> {
    (assigned > 0).then(|| certified as f64 / assigned as f64)
}

/// The figures a drill-down can list people for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Assigned,
    NotParticipating,
    TookPart,
    NotEligible,
    Eligible,
    SatExam,
    Passed,
    Certified,
    NotCertified,
}

impl Metric {
    pub fn parse(s: &str) -> Option<Metric> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
    pub fn holds(self, f: &Flags) -> bool {
        match self {
            Metric::Assigned => f.assigned,
            Metric::NotParticipating => f.assigned && !f.took_part,
            Metric::TookPart => f.took_part,
            Metric::NotEligible => f.took_part && !f.eligible,
            Metric::Eligible => f.eligible,
            Metric::SatExam => f.sat_exam,
            Metric::Passed => f.passed,
            Metric::Certified => f.certified,
            Metric::NotCertified => f.assigned && !f.certified,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, 8, 0, 0).unwrap()
    }

    #[test]
    fn the_definitions_nest_and_count_people() {
        let end = t(31);
        let base = PersonFacts {
            class_start: Some(t(1)),
            ..Default::default()
        };
        let idle = classify(&base, end);
        assert!(idle.assigned && !idle.took_part && !idle.eligible);
        let studying = classify(
            &PersonFacts {
                took_part_at: Some(t(2)),
                ..base.clone()
            },
            end,
        );
        assert!(studying.took_part && !studying.eligible);
        let certified = classify(
            &PersonFacts {
                took_part_at: Some(t(2)),
                eligible: true,
                attempts: vec![(t(10), false), (t(20), true)],
                certificates: vec![t(20)],
                ..base.clone()
            },
            end,
        );
        assert_eq!(
            certified,
            Flags {
                assigned: true,
                took_part: true,
                eligible: true,
                sat_exam: true,
                passed: true,
                certified: true
            }
        );
        // Activity after the period's end does not count; neither does an
        // exam before the class started.
        let late = classify(
            &PersonFacts {
                took_part_at: Some(t(31) + chrono::Duration::hours(1)),
                attempts: vec![(Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap(), true)],
                ..base.clone()
            },
            end,
        );
        assert!(!late.took_part && !late.sat_exam && !late.passed);

        let mut c = Counts::default();
        for f in [idle, studying, certified, late] {
            c.add(f);
        }
        assert_eq!(c.assigned, 4);
        assert_eq!(c.not_participating, 2);
        assert_eq!(c.not_eligible, 1);
        assert_eq!(c.took_part(), 2);
        assert_eq!(c.eligible(), 1);
        assert_eq!((c.sat_exam, c.passed, c.certified), (1, 1, 1));
        assert_eq!(c.certification_rate, Some(0.25));
        assert_eq!(Counts::default().certification_rate, None);
        let mut m = Counts::default();
        m.merge(&c);
        m.merge(&c);
        assert_eq!(m.assigned, 8);
        assert_eq!(m.certification_rate, Some(0.25));
    }

    #[test]
    fn metrics_select_the_people_behind_each_number() {
        let f = Flags {
            assigned: true,
            took_part: true,
            eligible: false,
            ..Default::default()
        };
        assert!(Metric::NotEligible.holds(&f));
        assert!(!Metric::NotParticipating.holds(&f));
        assert!(Metric::NotCertified.holds(&f));
        assert_eq!(Metric::parse("sat_exam"), Some(Metric::SatExam));
        assert_eq!(Metric::parse("bogus"), None);
    }
}
