//! Drawing a paper from a 10,000-question bank and grading an attempt.
//! Run with `cargo bench --bench paper`; prints the mean time per operation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

use ictskills::domain::blueprint::{self, Section};
use ictskills::domain::paper::{self, PoolQuestion, Scoring};
use ictskills::domain::question::{Difficulty, QuestionType};
use rand::SeedableRng;
use uuid::Uuid;

fn bank(n: usize) -> Vec<PoolQuestion> {
    let modules = ["IU01", "IU02", "IU03", "IU04", "IU05", "IU06"];
    let levels = [Difficulty::Easy, Difficulty::Medium, Difficulty::Hard];
    (0..n)
        .map(|i| {
            let options: Vec<Uuid> = (0..4).map(|_| Uuid::new_v4()).collect();
            let module = modules[i % modules.len()];
            PoolQuestion {
                question_id: Uuid::new_v4(),
                version_id: Uuid::new_v4(),
                module: module.to_string(),
                topic: Some(format!("{module}.{}", 1 + (i / 6) % 5)),
                difficulty: levels[(i / 30) % 3],
                qtype: if i % 10 == 0 {
                    QuestionType::Multiple
                } else {
                    QuestionType::Single
                },
                correct: vec![options[0]],
                options,
                seen: (i % 3) as u32,
            }
        })
        .collect()
}

fn time<F: FnMut()>(label: &str, runs: u32, mut f: F) {
    let start = Instant::now();
    for _ in 0..runs {
        f();
    }
    let per = start.elapsed() / runs;
    println!("{label}: {per:?} per run ({runs} runs)");
}

fn main() {
    let pool = bank(10_000);
    let sections: Vec<Section> = ["IU01", "IU02", "IU03", "IU04", "IU05", "IU06"]
        .iter()
        .map(|m| Section {
            module: (*m).into(),
            count: 5,
            topics: None,
            difficulty: None,
        })
        .collect();
    let mixed: Vec<Section> = serde_json::from_str(
        r#"[{"module":"IU04","count":10,"difficulty":{"easy":4,"medium":4,"hard":2}},{"module":"IU01","count":10,"topics":["IU01.1","IU01.2"]}]"#,
    )
    .unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    time(
        "draw the basic paper (30 questions) from 10,000",
        200,
        || {
            black_box(blueprint::draw_paper(&mut rng, &pool, &sections, true).unwrap());
        },
    );
    time(
        "draw a mixed paper (difficulty mix and topics) from 10,000",
        200,
        || {
            black_box(blueprint::draw_paper(&mut rng, &pool, &mixed, true).unwrap());
        },
    );
    let paper = blueprint::draw_paper(&mut rng, &pool, &sections, true).unwrap();
    let answers: Vec<(QuestionType, Vec<Uuid>, Vec<Uuid>)> = paper
        .iter()
        .map(|d| {
            let q = pool
                .iter()
                .find(|q| q.question_id == d.question_id)
                .unwrap();
            (q.qtype, q.correct.clone(), vec![d.option_order[0]])
        })
        .collect();
    time("grade a 30-question attempt", 100_000, || {
        let credits: Vec<f64> = answers
            .iter()
            .map(|(t, right, chosen)| paper::credit(*t, right, chosen, Scoring::Proportional))
            .collect();
        black_box(paper::score(&credits));
    });
}
