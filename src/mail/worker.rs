//! Delivers the outbox: SMTP when configured, otherwise `.eml` files under
//! `<data_dir>/outbox`. Failed deliveries are retried with backoff; a lease
//! keeps two instances from sending one message twice.
use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::configuration::Settings;
use crate::entities::outbox::Model;
use crate::store::outbox;

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

impl Transport {
    pub fn from_settings(s: &Settings) -> anyhow::Result<Transport> {
        let Some(host) = s.smtp.host.as_ref().filter(|h| !h.trim().is_empty()) else {
            return Ok(Transport::Files(s.outbox_dir()));
        };
        let builder = match s.smtp.security.as_str() {
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
            "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
        };
        let mut builder = builder.port(s.smtp.port);
        if let Some(user) = &s.smtp.username {
            let pass = s
                .smtp
                .password
                .as_ref()
                .map(|p| p.expose().to_string())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), pass));
        }
        Ok(Transport::Smtp(builder.build()))
    }

    async fn send(&self, from: &Mailbox, m: &Model) -> anyhow::Result<()> {
        let to: Mailbox = m.to_addr.parse()?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(m.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(m.body_text.clone())?;
        match self {
            Transport::Smtp(t) => {
                t.send(message).await?;
            }
            Transport::Files(dir) => {
                tokio::fs::create_dir_all(dir).await?;
                let path = dir.join(format!("{}.eml", m.id));
                let tmp = dir.join(format!(".{}.eml.tmp", m.id));
                tokio::fs::write(&tmp, message.formatted()).await?;
                tokio::fs::rename(&tmp, &path).await?;
            }
        }
        Ok(())
    }
}

/// Delivers what is due now; returns how many were sent.
pub async fn deliver_due(
    db: &sea_orm::DatabaseConnection,
    settings: &Settings,
    transport: &Transport,
) -> anyhow::Result<usize> {
    let from: Mailbox = settings.smtp.from.parse()?;
    // Writes go through `write_tx` (on SQLite: the write gate, in turn with
    // the exam's writers instead of polling for the file lock).
    let max_attempts = settings.mail.max_attempts;
    if !outbox::has_due(db, chrono::Utc::now(), max_attempts).await? {
        return Ok(0);
    }
    let due = crate::db::write_tx(db, |txn| {
        Box::pin(async move {
            Ok(outbox::claim_due(
                txn,
                chrono::Utc::now(),
                chrono::Duration::seconds(120),
                max_attempts,
                50,
            )
            .await?)
        })
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut sent = 0;
    for m in due {
        let outcome = transport.send(&from, &m).await;
        if let Err(e) = &outcome {
            tracing::warn!(id = %m.id, error = %e, "mail delivery failed; will retry");
        }
        let ok = outcome.is_ok();
        let error = outcome.err().map(|e| e.to_string()).unwrap_or_default();
        crate::db::write_tx(db, |txn| {
            Box::pin(async move {
                if ok {
                    outbox::mark_sent(txn, m.id).await?;
                } else {
                    outbox::mark_failed(txn, &m, &error).await?;
                }
                Ok(())
            })
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        if ok {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Runs until `stop` fires.
pub async fn run(
    db: sea_orm::DatabaseConnection,
    settings: Settings,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let transport = match Transport::from_settings(&settings) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "mail transport misconfigured; mail stays in the outbox");
            return;
        }
    };
    let every = Duration::from_millis(settings.mail.poll_interval_ms.max(50));
    loop {
        if let Err(e) = deliver_due(&db, &settings, &transport).await {
            tracing::warn!(error = %e, "outbox pass failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => break,
        }
    }
}
