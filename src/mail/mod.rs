//! Email delivery from the persistent outbox over SMTP (lettre). Anything that sends email
//! stores it in the outbox (`db::outbox::enqueue`); the background worker calls
//! [`deliver_due`], so an SMTP outage delays mail but loses none.

use chrono::{Duration, NaiveDateTime};
use lettre::message::header::ContentType;
use lettre::message::{Attachment as MimeAttachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use crate::config::{SmtpSettings, SmtpTls};
use crate::db::outbox::{self, Attachment, Email};
use crate::db::{AnyConnection, DbError};

/// After this many failed attempts (about two days of backoff) an email is marked failed.
pub const MAX_ATTEMPTS: i32 = 60;
/// How long a sender holds a claimed email before another may try it.
const LEASE_SECS: i64 = 300;

/// Wait before attempt `attempts + 1`: 30 s doubling per attempt, at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let secs = 30_i64.saturating_mul(1_i64 << attempts.clamp(0, 20));
    Duration::seconds(secs.min(3600))
}

pub struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("发件地址无效 invalid sender address PINGYI_SMTP_FROM: {0}")]
    From(String),
    #[error("SMTP: {0}")]
    Smtp(String),
}

impl Mailer {
    pub fn new(settings: &SmtpSettings) -> Result<Self, MailError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| MailError::From(format!("{e}")))?;
        let tls = |host: &str| TlsParameters::new(host.into()).map_err(|e| MailError::Smtp(e.to_string()));
        let mut builder = SmtpTransport::builder_dangerous(&settings.host)
            .port(settings.port)
            .timeout(Some(std::time::Duration::from_secs(20)));
        builder = match settings.tls {
            SmtpTls::None => builder.tls(Tls::None),
            SmtpTls::StartTls => builder.tls(Tls::Required(tls(&settings.host)?)),
            SmtpTls::Tls => builder.tls(Tls::Wrapper(tls(&settings.host)?)),
        };
        if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    fn send(&self, email: &Email, attachments: Vec<Attachment>) -> Result<(), MailError> {
        let mut builder = Message::builder().from(self.from.clone()).subject(&email.subject);
        for to in email.to_addrs.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            builder = builder.to(to
                .parse()
                .map_err(|e| MailError::Smtp(format!("recipient {to}: {e}")))?);
        }
        let mut body = MultiPart::mixed().singlepart(SinglePart::plain(email.body_text.clone()));
        for a in attachments {
            let content_type = ContentType::parse(&a.content_type).unwrap_or(ContentType::TEXT_PLAIN);
            body = body.singlepart(MimeAttachment::new(a.filename).body(a.content, content_type));
        }
        let message = builder
            .multipart(body)
            .map_err(|e| MailError::Smtp(e.to_string()))?;
        self.transport
            .send(&message)
            .map(|_| ())
            .map_err(|e| MailError::Smtp(e.to_string()))
    }
}

/// Sends what is due. Returns (sent, failed attempts). Each email is claimed first, so nodes
/// sharing a database never send the same email at the same time.
pub fn deliver_due(
    conn: &mut AnyConnection,
    mailer: &Mailer,
    now: NaiveDateTime,
) -> Result<(usize, usize), DbError> {
    let (mut sent, mut failed) = (0, 0);
    for id in outbox::due(conn, now, 20)? {
        if !outbox::claim(conn, id, now, now + Duration::seconds(LEASE_SECS))? {
            continue;
        }
        let (email, attachments) = outbox::load(conn, id)?;
        match mailer.send(&email, attachments) {
            Ok(()) => {
                // An invitation's link works once and only its hash is kept: once the email is
                // out, the stored copy says it was sent but no longer holds the link.
                let kept = crate::domain::link::scrub_invitation_links(&email.body_text);
                outbox::mark_sent(conn, id, now, kept.as_deref().unwrap_or(&email.body_text))?;
                tracing::info!(email = id, subject = %email.subject, "email sent");
                sent += 1;
            }
            Err(e) => {
                let give_up = email.attempts + 1 >= MAX_ATTEMPTS;
                outbox::mark_attempt_failed(
                    conn,
                    id,
                    &e.to_string(),
                    now + backoff(email.attempts),
                    give_up,
                )?;
                tracing::warn!(email = id, attempt = email.attempts + 1, error = %e, "email not sent; will retry");
                failed += 1;
            }
        }
    }
    Ok((sent, failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(0), Duration::seconds(30));
        assert_eq!(backoff(1), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(240));
        assert_eq!(backoff(10), Duration::seconds(3600));
        assert_eq!(backoff(1000), Duration::seconds(3600));
    }
}
