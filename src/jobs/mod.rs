//! Background work of every node: delivering the email outbox, the monthly scoring sheet, and
//! removing personal details past their retention (`services::retention`).
//! Each node runs the same loop; the database decides which node does a given run
//! (`db::jobs::claim`) or sends a given email (`db::outbox::claim`).

pub mod monthly;

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::Utc;

use crate::config::Settings;
use crate::db::DbPool;
use crate::mail::{self, Mailer};
use crate::services::{Actor, Ctx, cases, retention};

/// Stops the worker when dropped or told to.
pub struct Worker {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    pub fn start(pool: DbPool, settings: std::sync::Arc<Settings>, node: String) -> Worker {
        let (stop, stopped) = channel();
        let thread = std::thread::Builder::new()
            .name("pingyi-worker".into())
            .spawn(move || run(pool, settings, node, stopped))
            .expect("spawning the worker thread");
        Worker {
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn stop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(pool: DbPool, settings: std::sync::Arc<Settings>, node: String, stopped: Receiver<()>) {
    let mailer = settings.smtp.as_ref().and_then(|s| match Mailer::new(s) {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::error!(error = %e, "email is off");
            None
        }
    });
    let interval = Duration::from_secs(settings.job_interval_secs);
    loop {
        if let Err(e) = tick(&pool, &settings, &node, mailer.as_ref()) {
            tracing::warn!(error = %e, "background work failed; will try again");
        }
        match stopped.recv_timeout(interval) {
            Err(RecvTimeoutError::Timeout) => continue,
            _ => break,
        }
    }
}

fn tick(
    pool: &DbPool,
    settings: &Settings,
    node: &str,
    mailer: Option<&Mailer>,
) -> Result<(), crate::db::DbError> {
    let mut conn = pool.get()?;
    let now = Utc::now().naive_utc();
    monthly::run_if_due(&mut conn, settings, node, now)?;
    // Poor ratings become cases here rather than on the submission path, which stays fast.
    let console = settings
        .public_url
        .as_ref()
        .map(|u| u.as_str().trim_end_matches('/').to_string());
    cases::sweep(&mut conn, settings.time_zone, console.as_deref(), now)?;
    cases::remind(&mut conn, settings.time_zone, console.as_deref(), now)?;
    let purged = retention::purge(
        &mut conn,
        &Ctx::at(Actor::system("system"), settings.time_zone, now),
        &settings.retention,
    )?;
    if !purged.is_empty() {
        tracing::info!(
            comments = purged.comments,
            client_hashes = purged.client_hashes,
            contacts = purged.contacts,
            "personal details past their retention removed"
        );
    }
    if let Some(mailer) = mailer {
        mail::deliver_due(&mut conn, mailer, Utc::now().naive_utc())?;
    }
    Ok(())
}
