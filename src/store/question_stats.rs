//! Question statistics from attempt items: how often drawn, facility (mean
//! credit) and discrimination (correlation of the item's credit with the
//! rest of the candidate's paper). Items come from the exam engine.
use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::entities::attempt_item::{Column, Entity};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct QuestionStats {
    pub drawn: i64,
    pub facility: Option<f64>,
    pub discrimination: Option<f64>,
}

/// Pearson correlation of paired samples; `None` without variance.
pub fn correlation(pairs: &[(f64, f64)]) -> Option<f64> {
    let n = pairs.len() as f64;
    if pairs.len() < 2 {
        return None;
    }
    let (mx, my) = pairs
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (mx / n, my / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx).powi(2);
        syy += (y - my).powi(2);
    }
    if sxx <= f64::EPSILON || syy <= f64::EPSILON {
        return None;
    }
    Some(sxy / (sxx.sqrt() * syy.sqrt()))
}

pub async fn for_questions(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, QuestionStats>, DbErr> {
    let mut out: HashMap<Uuid, QuestionStats> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let items: Vec<(Uuid, Uuid, Option<f64>)> = Entity::find()
        .select_only()
        .column(Column::AttemptId)
        .column(Column::QuestionId)
        .column(Column::Credit)
        .filter(Column::QuestionId.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let attempts: HashSet<Uuid> = items
        .iter()
        .filter(|i| i.2.is_some())
        .map(|i| i.0)
        .collect();
    let mut totals: HashMap<Uuid, f64> = HashMap::new();
    let attempt_list: Vec<Uuid> = attempts.into_iter().collect();
    for chunk in attempt_list.chunks(500) {
        let rows: Vec<(Uuid, Option<f64>)> = Entity::find()
            .select_only()
            .column(Column::AttemptId)
            .column(Column::Credit)
            .filter(Column::AttemptId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        for (a, c) in rows {
            *totals.entry(a).or_default() += c.unwrap_or(0.0);
        }
    }
    let mut pairs: HashMap<Uuid, Vec<(f64, f64)>> = HashMap::new();
    for (attempt, question, credit) in &items {
        let s = out.entry(*question).or_default();
        s.drawn += 1;
        if let Some(c) = credit {
            let rest = totals.get(attempt).copied().unwrap_or(0.0) - c;
            pairs.entry(*question).or_default().push((*c, rest));
        }
    }
    for (q, p) in pairs {
        if let Some(s) = out.get_mut(&q) {
            s.facility = Some(p.iter().map(|x| x.0).sum::<f64>() / p.len() as f64);
            s.discrimination = correlation(&p);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::correlation;

    #[test]
    fn correlation_of_perfectly_aligned_and_constant_samples() {
        let c = correlation(&[(0.0, 1.0), (1.0, 3.0), (1.0, 3.0), (0.0, 1.0)]).unwrap_or(0.0);
        assert!((c - 1.0).abs() < 1e-9);
        assert_eq!(correlation(&[(1.0, 2.0), (1.0, 5.0)]), None);
        assert_eq!(correlation(&[(1.0, 2.0)]), None);
    }
}
