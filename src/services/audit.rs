//! The tamper-evident record. Every change to the permanent record is
//! appended with [`record`] inside the transaction that makes the change, so
//! the entry exists exactly when the change does. A sealer ([`seal`], run in
//! the background by every instance, one at a time) then gives the entries
//! their place in a single SHA-256 hash chain: entry `n` stores the hash of
//! entry `n-1` and its own hash over both. [`verify`] recomputes the chain
//! and names the first entry whose content, place or link no longer matches.
//!
//! Appending does not touch the chain, so the hot paths (grading thousands of
//! attempts at the end of an exam) never queue on one chain head; sealing
//! happens within about a second. What the chain cannot show on its own is
//! the removal of the newest entries: `audit verify` prints the head
//! (sequence and hash) so operators can note it elsewhere.
use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::entities::audit_log;
use crate::error::AppError;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Kinds of entries (the `kind` column).
pub mod kind {
    pub const ATTEMPT_GRADED: &str = "attempt.graded";
    pub const ATTEMPT_REGRADED: &str = "attempt.regraded";
    pub const ATTEMPT_EXTRA_TIME: &str = "attempt.extra_time";
    pub const ATTEMPT_REOPENED: &str = "attempt.reopened";
    pub const SESSION_APPROVED: &str = "session.approved";
    pub const CERTIFICATE: &str = "certificate.";
    pub const PRACTICAL_MARK: &str = "practical.mark";
    pub const PRACTICAL_RESULT: &str = "practical.result";
    pub const APPEAL_DECIDED: &str = "appeal.decided";
}

/// Appends one entry in the caller's transaction.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: Option<Uuid>,
    kind: &str,
    subject_type: &str,
    subject_id: impl ToString,
    data: serde_json::Value,
) -> Result<(), DbErr> {
    audit_log::Entity::insert(audit_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        at: Set(Utc::now()),
        actor_id: Set(actor),
        kind: Set(kind.into()),
        subject_type: Set(subject_type.into()),
        subject_id: Set(subject_id.to_string()),
        data: Set(data.to_string()),
        seq: Set(None),
        prev_hash: Set(None),
        hash: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The hash of one entry at its place in the chain. Every field is length
/// prefixed, so no two different entries share an input.
pub fn entry_hash(seq: i64, prev_hash: &str, e: &audit_log::Model) -> String {
    let mut h = Sha256::new();
    let actor = e.actor_id.map(|a| a.to_string()).unwrap_or_default();
    let at = e.at.to_rfc3339_opts(SecondsFormat::Micros, true);
    let seq = seq.to_string();
    let id = e.id.to_string();
    for field in [
        seq.as_str(),
        prev_hash,
        id.as_str(),
        at.as_str(),
        actor.as_str(),
        e.kind.as_str(),
        e.subject_type.as_str(),
        e.subject_id.as_str(),
        e.data.as_str(),
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

async fn head(db: &impl ConnectionTrait) -> Result<(i64, String), DbErr> {
    let last = audit_log::Entity::find()
        .filter(audit_log::Column::Seq.is_not_null())
        .order_by_desc(audit_log::Column::Seq)
        .one(db)
        .await?;
    Ok(match last {
        Some(e) => (e.seq.unwrap_or(0), e.hash.unwrap_or_default()),
        None => (0, GENESIS.to_string()),
    })
}

/// Gives up to `batch` unsealed entries their place in the chain, oldest
/// first; returns how many. Instances take turns (the SQLite write gate, or
/// a PostgreSQL advisory lock).
pub async fn seal(db: &DatabaseConnection, batch: u64) -> Result<u64, AppError> {
    let pending = audit_log::Entity::find()
        .select_only()
        .column(audit_log::Column::Id)
        .filter(audit_log::Column::Seq.is_null())
        .into_tuple::<Uuid>()
        .one(db)
        .await?;
    if pending.is_none() {
        return Ok(0);
    }
    crate::db::write_tx(db, move |txn| {
        Box::pin(async move {
            if txn.get_database_backend() == DbBackend::Postgres {
                txn.execute_unprepared("SELECT pg_advisory_xact_lock(7234001)")
                    .await?;
            }
            let (mut seq, mut prev) = head(txn).await?;
            let entries = audit_log::Entity::find()
                .filter(audit_log::Column::Seq.is_null())
                .order_by_asc(audit_log::Column::At)
                .order_by_asc(audit_log::Column::Id)
                .limit(batch)
                .all(txn)
                .await?;
            let n = entries.len() as u64;
            for e in entries {
                seq += 1;
                let hash = entry_hash(seq, &prev, &e);
                audit_log::Entity::update_many()
                    .col_expr(audit_log::Column::Seq, Expr::value(seq))
                    .col_expr(audit_log::Column::PrevHash, Expr::value(prev.clone()))
                    .col_expr(audit_log::Column::Hash, Expr::value(hash.clone()))
                    .filter(audit_log::Column::Id.eq(e.id))
                    .exec(txn)
                    .await?;
                prev = hash;
            }
            Ok(n)
        })
    })
    .await
}

/// Seals everything pending (in batches).
pub async fn seal_all(db: &DatabaseConnection) -> Result<u64, AppError> {
    let mut total = 0;
    loop {
        let n = seal(db, 1000).await?;
        total += n;
        if n == 0 {
            return Ok(total);
        }
    }
}

/// Background sealer: seals pending entries about once a second.
pub async fn run_sealer(db: DatabaseConnection, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        if let Err(e) = seal_all(&db).await {
            tracing::warn!(error = ?e, "audit sealer pass failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            _ = stop.changed() => {
                let _ = seal_all(&db).await;
                break;
            }
        }
    }
}

/// The first entry where the chain breaks.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BrokenLink {
    /// The place the entry should have.
    pub seq: i64,
    /// The entry found there, when there is one.
    pub id: Option<Uuid>,
    pub kind: Option<String>,
    pub at: Option<DateTime<Utc>>,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    /// Entries whose place and hash check out.
    pub verified: i64,
    /// Entries not sealed yet (appended in the last second or so, or while
    /// no instance ran).
    pub pending: u64,
    pub head_seq: i64,
    pub head_hash: String,
    pub broken: Option<BrokenLink>,
}

/// Recomputes the whole chain, in order, and stops at the first break.
pub async fn verify(db: &impl ConnectionTrait) -> Result<Verification, DbErr> {
    let pending = audit_log::Entity::find()
        .filter(audit_log::Column::Seq.is_null())
        .count(db)
        .await?;
    let mut expected = 1i64;
    let mut prev = GENESIS.to_string();
    loop {
        let page = audit_log::Entity::find()
            .filter(audit_log::Column::Seq.gte(expected))
            .order_by_asc(audit_log::Column::Seq)
            .limit(2000)
            .all(db)
            .await?;
        if page.is_empty() {
            break;
        }
        for e in page {
            let seq = e.seq.unwrap_or(0);
            let broken = |reason: String, found: Option<&audit_log::Model>| BrokenLink {
                seq: expected,
                id: found.map(|e| e.id),
                kind: found.map(|e| e.kind.clone()),
                at: found.map(|e| e.at),
                reason,
            };
            let reason = if seq != expected {
                Some((
                    format!("entry {expected} is missing (the next one found is {seq})"),
                    None,
                ))
            } else if e.prev_hash.as_deref() != Some(prev.as_str()) {
                Some((
                    "its link to the previous entry does not match that entry's hash".to_string(),
                    Some(&e),
                ))
            } else if e.hash.as_deref() != Some(entry_hash(seq, &prev, &e).as_str()) {
                Some((
                    "its content no longer matches its hash: the entry was changed after it was recorded".to_string(),
                    Some(&e),
                ))
            } else {
                None
            };
            if let Some((reason, found)) = reason {
                return Ok(Verification {
                    verified: expected - 1,
                    pending,
                    head_seq: expected - 1,
                    head_hash: prev,
                    broken: Some(broken(reason, found)),
                });
            }
            prev = e.hash.unwrap_or_default();
            expected += 1;
        }
    }
    Ok(Verification {
        verified: expected - 1,
        pending,
        head_seq: expected - 1,
        head_hash: prev,
        broken: None,
    })
}

/// An entry as the audit pages and API show it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EntryView {
    pub seq: Option<i64>,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub kind: String,
    pub subject_type: String,
    pub subject_id: String,
    pub data: serde_json::Value,
    pub hash: Option<String>,
}

/// Entries about one subject, oldest first.
pub async fn for_subject(
    db: &impl ConnectionTrait,
    subject_type: &str,
    subject_id: &str,
) -> Result<Vec<EntryView>, DbErr> {
    Ok(audit_log::Entity::find()
        .filter(audit_log::Column::SubjectType.eq(subject_type))
        .filter(audit_log::Column::SubjectId.eq(subject_id))
        .order_by_asc(audit_log::Column::At)
        .order_by_asc(audit_log::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| EntryView {
            seq: e.seq,
            at: e.at,
            actor_id: e.actor_id,
            kind: e.kind,
            subject_type: e.subject_type,
            subject_id: e.subject_id,
            data: serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null),
            hash: e.hash,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(data: &str) -> audit_log::Model {
        audit_log::Model {
            id: Uuid::nil(),
            at: DateTime::from_timestamp(1_700_000_000, 123_456_000).unwrap_or_default(),
            actor_id: None,
            kind: "attempt.graded".into(),
            subject_type: "attempt".into(),
            subject_id: "x".into(),
            data: data.into(),
            seq: None,
            prev_hash: None,
            hash: None,
        }
    }

    #[test]
    fn the_hash_covers_every_field_and_the_link() {
        let a = entry(r#"{"score":5.0}"#);
        let h = entry_hash(1, GENESIS, &a);
        assert_eq!(h.len(), 64);
        assert_eq!(h, entry_hash(1, GENESIS, &a.clone()));
        assert_ne!(h, entry_hash(2, GENESIS, &a));
        assert_ne!(h, entry_hash(1, &h, &a));
        assert_ne!(h, entry_hash(1, GENESIS, &entry(r#"{"score":9.0}"#)));
        let mut b = a.clone();
        b.kind = "attempt.regraded".into();
        assert_ne!(h, entry_hash(1, GENESIS, &b));
        // Length prefixes: moving a character between fields changes the hash.
        let mut c = a.clone();
        c.subject_type = "attemp".into();
        c.subject_id = "tx".into();
        assert_ne!(h, entry_hash(1, GENESIS, &c));
    }
}
