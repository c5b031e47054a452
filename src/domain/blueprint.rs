//! Blueprints (cấu trúc đề): sections drawing N questions from a module,
//! optionally narrowed to topics and a difficulty mix; drawing a paper.
use std::collections::{BTreeMap, HashSet};

use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::domain::paper::{self, DrawnItem, PoolQuestion};
use crate::domain::question::{Difficulty, ModuleCode, TopicCode};
use crate::i18n::Lang;

/// One difficulty, or a mix whose counts sum to the section's count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum DifficultySpec {
    One(Difficulty),
    Mix(BTreeMap<Difficulty, u32>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Section {
    /// `IU01` … `IU15`.
    pub module: String,
    pub count: u32,
    pub topics: Option<Vec<String>>,
    pub difficulty: Option<DifficultySpec>,
}

/// A problem with a blueprint, naming its section (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlueprintError {
    NoSections,
    BadModule {
        section: usize,
        module: String,
    },
    BadCount {
        section: usize,
    },
    BadTopic {
        section: usize,
        topic: String,
    },
    MixSum {
        section: usize,
        sum: u32,
        count: u32,
    },
    Short {
        section: usize,
        module: String,
        needed: usize,
        available: usize,
    },
}

impl BlueprintError {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (BlueprintError::NoSections, Lang::Vi) => "Cấu trúc đề cần ít nhất một phần.".into(),
            (BlueprintError::NoSections, Lang::En) => {
                "A blueprint needs at least one section.".into()
            }
            (BlueprintError::BadModule { section, module }, Lang::Vi) => {
                format!("Phần {section}: mô-đun “{module}” không hợp lệ.")
            }
            (BlueprintError::BadModule { section, module }, Lang::En) => {
                format!("Section {section}: unknown module “{module}”.")
            }
            (BlueprintError::BadCount { section }, Lang::Vi) => {
                format!("Phần {section}: số câu phải từ 1 đến 100.")
            }
            (BlueprintError::BadCount { section }, Lang::En) => {
                format!("Section {section}: the count must be 1 to 100.")
            }
            (BlueprintError::BadTopic { section, topic }, Lang::Vi) => {
                format!("Phần {section}: chủ đề “{topic}” không thuộc mô-đun.")
            }
            (BlueprintError::BadTopic { section, topic }, Lang::En) => {
                format!("Section {section}: topic “{topic}” is not under the module.")
            }
            (
                BlueprintError::MixSum {
                    section,
                    sum,
                    count,
                },
                Lang::Vi,
            ) => format!(
                "Phần {section}: tổng số câu theo mức độ ({sum}) khác số câu của phần ({count})."
            ),
            (
                BlueprintError::MixSum {
                    section,
                    sum,
                    count,
                },
                Lang::En,
            ) => format!("Section {section}: the difficulty mix sums to {sum}, not {count}."),
            (
                BlueprintError::Short {
                    section,
                    module,
                    needed,
                    available,
                },
                Lang::Vi,
            ) => {
                format!(
                    "Phần {section} ({module}) thiếu câu hỏi: cần {needed}, ngân hàng chỉ có {available} câu đã duyệt phù hợp."
                )
            }
            (
                BlueprintError::Short {
                    section,
                    module,
                    needed,
                    available,
                },
                Lang::En,
            ) => {
                format!(
                    "Section {section} ({module}) is short: it needs {needed}, the bank has {available} matching ready questions."
                )
            }
        }
    }
}

/// Checks the sections' shape (not yet the bank).
pub fn validate(sections: &[Section]) -> Result<(), BlueprintError> {
    if sections.is_empty() {
        return Err(BlueprintError::NoSections);
    }
    for (i, s) in sections.iter().enumerate() {
        let n = i + 1;
        let module = ModuleCode::parse(&s.module).ok_or_else(|| BlueprintError::BadModule {
            section: n,
            module: s.module.clone(),
        })?;
        if s.count == 0 || s.count > 100 {
            return Err(BlueprintError::BadCount { section: n });
        }
        for t in s.topics.iter().flatten() {
            if TopicCode::parse(t).is_none_or(|c| c.module() != module) {
                return Err(BlueprintError::BadTopic {
                    section: n,
                    topic: t.clone(),
                });
            }
        }
        if let Some(DifficultySpec::Mix(mix)) = &s.difficulty {
            let sum: u32 = mix.values().sum();
            if sum != s.count {
                return Err(BlueprintError::MixSum {
                    section: n,
                    sum,
                    count: s.count,
                });
            }
        }
    }
    Ok(())
}

/// The parts of a section: (difficulty or any, count).
fn parts(s: &Section) -> Vec<(Option<Difficulty>, u32)> {
    match &s.difficulty {
        None => vec![(None, s.count)],
        Some(DifficultySpec::One(d)) => vec![(Some(*d), s.count)],
        Some(DifficultySpec::Mix(m)) => m
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(d, n)| (Some(*d), *n))
            .collect(),
    }
}

fn matches(
    q: &PoolQuestion,
    module: &str,
    topics: Option<&Vec<String>>,
    d: Option<Difficulty>,
) -> bool {
    q.module == module
        && d.is_none_or(|d| q.difficulty == d)
        && topics.is_none_or(|ts| {
            ts.is_empty()
                || q.topic.as_deref().is_some_and(|t| {
                    ts.iter()
                        .any(|want| t == want || t.starts_with(&format!("{want}.")))
                })
        })
}

/// Draws a whole paper: every section's parts, distinct questions across
/// the paper; question and option order shuffled when `shuffle` is set.
pub fn draw_paper<R: Rng + ?Sized>(
    rng: &mut R,
    pool: &[PoolQuestion],
    sections: &[Section],
    shuffle: bool,
) -> Result<Vec<DrawnItem>, BlueprintError> {
    let mut taken: HashSet<uuid::Uuid> = HashSet::new();
    let mut drawn_paper = Vec::new();
    for (i, s) in sections.iter().enumerate() {
        for (d, n) in parts(s) {
            let candidates: Vec<PoolQuestion> = pool
                .iter()
                .filter(|q| matches(q, &s.module, s.topics.as_ref(), d))
                .cloned()
                .collect();
            let drawn =
                paper::draw_with(rng, &candidates, n as usize, &taken, shuffle).map_err(|e| {
                    BlueprintError::Short {
                        section: i + 1,
                        module: s.module.clone(),
                        needed: e.needed,
                        available: e.available,
                    }
                })?;
            taken.extend(drawn.iter().map(|d| d.question_id));
            drawn_paper.extend(drawn);
        }
    }
    if shuffle {
        drawn_paper.shuffle(rng);
    }
    Ok(drawn_paper)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use rand::SeedableRng;
    use uuid::Uuid;

    use super::*;
    use crate::domain::question::QuestionType;

    fn q(module: &str, topic: &str, d: Difficulty) -> PoolQuestion {
        let options: Vec<Uuid> = (0..4).map(|_| Uuid::new_v4()).collect();
        PoolQuestion {
            question_id: Uuid::new_v4(),
            version_id: Uuid::new_v4(),
            module: module.into(),
            topic: Some(topic.into()),
            difficulty: d,
            qtype: QuestionType::Single,
            correct: vec![options[0]],
            options,
            seen: 0,
        }
    }

    #[test]
    fn a_mix_is_drawn_part_by_part_and_a_short_bank_names_the_section() {
        let mut pool = Vec::new();
        for _ in 0..3 {
            pool.push(q("IU04", "IU04.5", Difficulty::Easy));
            pool.push(q("IU04", "IU04.1", Difficulty::Hard));
            pool.push(q("IU01", "IU01.1", Difficulty::Medium));
        }
        let sections: Vec<Section> = serde_json::from_str(
            r#"[{"module":"IU04","count":3,"difficulty":{"easy":2,"hard":1}},{"module":"IU01","count":2}]"#,
        )
        .unwrap();
        validate(&sections).unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let paper = draw_paper(&mut rng, &pool, &sections, true).unwrap();
        assert_eq!(paper.len(), 5);
        let find = |id: Uuid| pool.iter().find(|p| p.question_id == id).unwrap();
        assert_eq!(
            paper
                .iter()
                .filter(|d| find(d.question_id).difficulty == Difficulty::Easy)
                .count(),
            2
        );
        assert_eq!(
            paper
                .iter()
                .filter(|d| find(d.question_id).module == "IU01")
                .count(),
            2
        );
        let distinct: HashSet<Uuid> = paper.iter().map(|d| d.question_id).collect();
        assert_eq!(distinct.len(), 5);
        let topics: Vec<Section> =
            serde_json::from_str(r#"[{"module":"IU04","count":4,"topics":["IU04.5"]}]"#).unwrap();
        let err = draw_paper(&mut rng, &pool, &topics, true).unwrap_err();
        assert_eq!(
            err,
            BlueprintError::Short {
                section: 1,
                module: "IU04".into(),
                needed: 4,
                available: 3
            }
        );
        assert!(err.message(Lang::Vi).contains("Phần 1"));
    }

    #[test]
    fn shapes_are_checked() {
        let bad: Vec<Section> =
            serde_json::from_str(r#"[{"module":"IU04","count":3,"difficulty":{"easy":2}}]"#)
                .unwrap();
        assert!(matches!(validate(&bad), Err(BlueprintError::MixSum { .. })));
        let bad: Vec<Section> = serde_json::from_str(r#"[{"module":"IU99","count":3}]"#).unwrap();
        assert!(matches!(
            validate(&bad),
            Err(BlueprintError::BadModule { .. })
        ));
        let bad: Vec<Section> =
            serde_json::from_str(r#"[{"module":"IU04","count":3,"topics":["IU01.1"]}]"#).unwrap();
        assert!(matches!(
            validate(&bad),
            Err(BlueprintError::BadTopic { .. })
        ));
        assert_eq!(validate(&[]), Err(BlueprintError::NoSections));
        let one: Vec<Section> =
            serde_json::from_str(r#"[{"module":"IU04","count":3,"difficulty":"easy"}]"#).unwrap();
        assert_eq!(
            one[0].difficulty,
            Some(DifficultySpec::One(Difficulty::Easy))
        );
    }
}
