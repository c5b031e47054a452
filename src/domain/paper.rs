//! Drawing a paper from the bank and grading it: shared by practice
//! quizzes and exams. Pure: the caller supplies the pool and the RNG.
use std::collections::HashSet;

use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::question::{Difficulty, QuestionType};

/// A question that may be drawn: its approved version and answer key.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolQuestion {
    pub question_id: Uuid,
    pub version_id: Uuid,
    pub module: String,
    pub topic: Option<String>,
    pub difficulty: Difficulty,
    pub qtype: QuestionType,
    pub options: Vec<Uuid>,
    pub correct: Vec<Uuid>,
    /// How often this candidate has already seen it (fewer is preferred).
    pub seen: u32,
}

/// A drawn question with the order its options are shown in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawnItem {
    pub question_id: Uuid,
    pub version_id: Uuid,
    pub option_order: Vec<Uuid>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotEnough {
    pub needed: usize,
    pub available: usize,
}

/// Draws `count` distinct questions, preferring those seen least (random
/// among equals), and shuffles each one's options.
pub fn draw<R: Rng + ?Sized>(
    rng: &mut R,
    pool: &[PoolQuestion],
    count: usize,
    exclude: &HashSet<Uuid>,
) -> Result<Vec<DrawnItem>, NotEnough> {
    draw_with(rng, pool, count, exclude, true)
}

/// [`draw`], with option shuffling optional (a blueprint may keep the order).
pub fn draw_with<R: Rng + ?Sized>(
    rng: &mut R,
    pool: &[PoolQuestion],
    count: usize,
    exclude: &HashSet<Uuid>,
    shuffle_options: bool,
) -> Result<Vec<DrawnItem>, NotEnough> {
    let mut candidates: Vec<(&PoolQuestion, u64)> = pool
        .iter()
        .filter(|q| !exclude.contains(&q.question_id))
        .map(|q| (q, rng.next_u64()))
        .collect();
    let mut seen_ids = HashSet::new();
    candidates.retain(|(q, _)| seen_ids.insert(q.question_id));
    if candidates.len() < count {
        return Err(NotEnough {
            needed: count,
            available: candidates.len(),
        });
    }
    candidates.sort_by_key(|(q, key)| (q.seen, *key));
    let mut drawn: Vec<DrawnItem> = candidates
        .into_iter()
        .take(count)
        .map(|(q, _)| {
            let mut order = q.options.clone();
            // True/false keeps its natural order; other options are shuffled.
            if shuffle_options && q.qtype != QuestionType::TrueFalse {
                order.shuffle(rng);
            }
            DrawnItem {
                question_id: q.question_id,
                version_id: q.version_id,
                option_order: order,
            }
        })
        .collect();
    drawn.shuffle(rng);
    Ok(drawn)
}

/// How a multiple-answer question earns credit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scoring {
    #[default]
    AllOrNothing,
    Proportional,
}

/// Credit for one answer, 0..1. Single choice and true/false: 1 when the
/// chosen set is exactly the right option. Multiple: all-or-nothing, or
/// (right ticked − wrong ticked) / right options, floored at 0.
pub fn credit(qtype: QuestionType, correct: &[Uuid], chosen: &[Uuid], scoring: Scoring) -> f64 {
    let right: HashSet<&Uuid> = correct.iter().collect();
    let picked: HashSet<&Uuid> = chosen.iter().collect();
    if right.is_empty() {
        return 0.0;
    }
    match (qtype, scoring) {
        (QuestionType::Multiple, Scoring::Proportional) => {
            let good = picked.intersection(&right).count() as f64;
            let bad = picked.difference(&right).count() as f64;
            ((good - bad) / right.len() as f64).max(0.0)
        }
        _ => {
            if picked == right {
                1.0
            } else {
                0.0
            }
        }
    }
}

/// The score on the 0–10 scale: 10 × Σ credit / questions, rounded half up
/// to two decimals.
pub fn score(credits: &[f64]) -> f64 {
    if credits.is_empty() {
        return 0.0;
    }
    let raw = 10.0 * credits.iter().sum::<f64>() / credits.len() as f64;
    ((raw * 100.0) + 0.5 + 1e-9).floor() / 100.0
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn pool(n: usize) -> Vec<PoolQuestion> {
        (0..n)
            .map(|i| {
                let options: Vec<Uuid> = (0..4).map(|_| Uuid::new_v4()).collect();
                PoolQuestion {
                    question_id: Uuid::new_v4(),
                    version_id: Uuid::new_v4(),
                    module: "IU01".into(),
                    topic: None,
                    difficulty: Difficulty::Easy,
                    qtype: QuestionType::Single,
                    correct: vec![options[0]],
                    options,
                    seen: u32::from(i % 2 == 0),
                }
            })
            .collect()
    }

    #[test]
    fn draws_distinct_questions_least_seen_first_and_is_repeatable_with_a_seed() {
        let p = pool(10);
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let a = draw(&mut rng, &p, 5, &HashSet::new()).unwrap();
        let ids: HashSet<Uuid> = a.iter().map(|d| d.question_id).collect();
        assert_eq!(ids.len(), 5);
        // The five unseen questions (odd indexes) are the ones drawn.
        assert!(a.iter().all(|d| {
            p.iter()
                .any(|q| q.question_id == d.question_id && q.seen == 0)
        }));
        for d in &a {
            let q = p.iter().find(|q| q.question_id == d.question_id).unwrap();
            let mut sorted = d.option_order.clone();
            sorted.sort();
            let mut orig = q.options.clone();
            orig.sort();
            assert_eq!(sorted, orig, "the same options, shuffled");
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        assert_eq!(draw(&mut rng, &p, 5, &HashSet::new()).unwrap(), a);
        assert_eq!(
            draw(&mut rng, &p, 11, &HashSet::new()),
            Err(NotEnough {
                needed: 11,
                available: 10
            })
        );
    }

    #[test]
    fn credit_and_score_follow_the_decided_rules() {
        let (a, b, c, d) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let right = [a, b];
        assert_eq!(
            credit(
                QuestionType::Multiple,
                &right,
                &[a, b],
                Scoring::AllOrNothing
            ),
            1.0
        );
        assert_eq!(
            credit(QuestionType::Multiple, &right, &[a], Scoring::AllOrNothing),
            0.0
        );
        assert_eq!(
            credit(QuestionType::Multiple, &right, &[a], Scoring::Proportional),
            0.5
        );
        assert_eq!(
            credit(
                QuestionType::Multiple,
                &right,
                &[a, c],
                Scoring::Proportional
            ),
            0.0
        );
        assert_eq!(
            credit(
                QuestionType::Multiple,
                &right,
                &[c, d],
                Scoring::Proportional
            ),
            0.0
        );
        assert_eq!(
            credit(QuestionType::Single, &[a], &[a], Scoring::Proportional),
            1.0
        );
        assert_eq!(
            credit(QuestionType::Single, &[a], &[a, b], Scoring::Proportional),
            0.0
        );
        assert_eq!(
            credit(QuestionType::Single, &[a], &[], Scoring::AllOrNothing),
            0.0
        );
        // 5 of 6 → 8.333… → 8.33; 2/3 of 1 → 6.67 (half up).
        assert_eq!(score(&[1.0, 1.0, 1.0, 1.0, 1.0, 0.0]), 8.33);
        assert_eq!(score(&[1.0, 1.0, 0.0]), 6.67);
        assert_eq!(score(&[0.5, 0.0, 0.0, 0.0]), 1.25);
        assert_eq!(score(&[]), 0.0);
    }
}
