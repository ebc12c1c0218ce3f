//! The single writer of submissions: a thread that takes every waiting submission, stores them
//! all in one transaction (one commit, one fsync) and only then answers each sender. Under load
//! many residents share one commit (group commit); alone, a resident waits for one commit. The
//! batch is one multi-row insert and one tally update; a submission refused on its own (a re-post,
//! a full link, a used invitation) is left out of it without undoing the others. Should the batch
//! fail as a whole, it is stored again one submission at a time, each in a savepoint. Every
//! submission — the survey form, the operators' console, the API — comes through here
//! (`services::survey::Collector`). A sender may hand over several submissions at once (the API's
//! batch endpoint): they are stored in one transaction and answered each on its own.

use std::collections::HashSet;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use tokio::sync::oneshot;

use super::responses::{self, NewAnswer, NewResponse};
use super::{AnyConnection, DbError, DbPool, invitations, links};

/// Jobs are gathered into one commit until it holds this many submissions (a single job
/// larger than this is committed whole, never split).
const MAX_BATCH: usize = 256;
/// Submissions waiting beyond this are refused at once (the resident gets the retry page)
/// rather than queued without bound.
const QUEUE: usize = 4096;

/// A submission ready to store.
pub struct Write {
    pub response: NewResponse,
    pub answers: Vec<NewAnswer>,
    /// Takes a place of the link's cap.
    pub link_id: Option<i64>,
    /// Uses the invitation up.
    pub invitation_id: Option<i64>,
    pub now: NaiveDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the link has reached its cap")]
    Full,
    #[error("the invitation was used")]
    Used,
    #[error("the same form was stored already")]
    Duplicate,
    #[error("the writer is not running")]
    Stopped,
    /// More submissions are waiting than the queue holds: refused at once, nothing stored.
    #[error("the write queue is full")]
    Busy,
    /// The commit itself failed after the batch was written (the connection broke during
    /// COMMIT): the submission may or may not be stored; its receipt code tells.
    #[error("the outcome of the commit is unknown: {0}")]
    Unknown(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for WriteError {
    fn from(e: diesel::result::Error) -> Self {
        WriteError::Db(e.into())
    }
}

/// One sender's submissions and where to send their outcomes (one each, in order).
struct Job {
    writes: Vec<Write>,
    reply: oneshot::Sender<Vec<Result<(), WriteError>>>,
}

/// Which file an SQLite database was opened as (device and inode of the path). A file deleted
/// or replaced under a running server keeps taking writes through the open handles, into a file
/// nobody will open again; the writer compares before acknowledging and refuses instead.
#[derive(Debug, Clone)]
pub struct FileIdentity {
    path: std::path::PathBuf,
    id: (u64, u64),
}

impl FileIdentity {
    /// The identity of the file at `path` now.
    pub fn of(path: &std::path::Path) -> std::io::Result<FileIdentity> {
        Ok(FileIdentity {
            path: path.to_path_buf(),
            id: file_id(path)?,
        })
    }

    /// Whether `path` still names the file that was opened (one `stat`).
    pub fn unchanged(&self) -> bool {
        file_id(&self.path).is_ok_and(|id| id == self.id)
    }
}

#[cfg(unix)]
fn file_id(path: &std::path::Path) -> std::io::Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path)?;
    Ok((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(path: &std::path::Path) -> std::io::Result<(u64, u64)> {
    std::fs::metadata(path).map(|_| (0, 0))
}

pub struct Writer {
    tx: Option<SyncSender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer thread. `file`: for SQLite, the database file as opened, checked
    /// before every acknowledgement.
    pub fn start(pool: DbPool, tz: Tz, file: Option<FileIdentity>) -> Writer {
        let (tx, rx) = sync_channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("pingyi-writer".into())
            .spawn(move || run(pool, tz, file, rx))
            .expect("spawning the writer thread");
        Writer {
            tx: Some(tx),
            thread: Some(thread),
        }
    }

    /// Stores `write`; resolves once it is committed (or refused).
    pub async fn write(&self, write: Write) -> Result<(), WriteError> {
        self.write_many(vec![write])
            .await
            .pop()
            .unwrap_or(Err(WriteError::Stopped))
    }

    /// Stores `writes` in one transaction, each refused or not on its own; resolves once they
    /// are committed, with one outcome each, in order. Takes one place in the queue.
    pub async fn write_many(&self, writes: Vec<Write>) -> Vec<Result<(), WriteError>> {
        let all = |n: usize, e: fn() -> WriteError| (0..n).map(|_| Err(e())).collect();
        let n = writes.len();
        if n == 0 {
            return Vec::new();
        }
        let (reply, done) = oneshot::channel();
        let Some(tx) = self.tx.as_ref() else {
            return all(n, || WriteError::Stopped);
        };
        match tx.try_send(Job { writes, reply }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return all(n, || WriteError::Busy),
            Err(TrySendError::Disconnected(_)) => return all(n, || WriteError::Stopped),
        }
        match done.await {
            Ok(outcomes) if outcomes.len() == n => outcomes,
            _ => all(n, || WriteError::Stopped),
        }
    }

    /// Lets queued submissions finish, then ends the thread.
    pub fn stop(&mut self) {
        drop(self.tx.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(pool: DbPool, tz: Tz, file: Option<FileIdentity>, rx: Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut size = first.writes.len();
        let mut batch = vec![first];
        while size < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => {
                    size += job.writes.len();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        let writes: Vec<&Write> = batch.iter().flat_map(|j| &j.writes).collect();
        let mut outcomes = store(&pool, tz, &writes);
        // A commit into a deleted or replaced file is not durable: nobody will read it again.
        if let Some(file) = &file
            && outcomes.iter().any(Result::is_ok)
            && !file.unchanged()
        {
            tracing::error!(
                path = %file.path.display(),
                "the database file was deleted or replaced under the server; submissions are refused until it is restarted"
            );
            for outcome in outcomes.iter_mut().filter(|o| o.is_ok()) {
                *outcome = Err(WriteError::Db(DbError::FileMissing(
                    file.path.display().to_string(),
                )));
            }
        }
        let mut outcomes = outcomes.into_iter();
        for job in batch {
            let mine = outcomes.by_ref().take(job.writes.len()).collect();
            let _ = job.reply.send(mine);
        }
    }
}

/// One transaction for the batch, with one multi-row insert and one tally update for all of
/// its submissions. Should that fail as a whole (a race with another node's writer), the batch is
/// stored again one submission at a time, each in a savepoint. Returns one outcome each.
fn store(pool: &DbPool, tz: Tz, batch: &[&Write]) -> Vec<Result<(), WriteError>> {
    let mut conn = match pool.get() {
        Ok(c) => c,
        Err(e) => {
            return batch
                .iter()
                .map(|_| Err(WriteError::Db(DbError::Connect(e.to_string()))))
                .collect();
        }
    };
    let mut outcomes: Vec<Result<(), WriteError>> = Vec::with_capacity(batch.len());
    let mut written = false;
    let together = crate::db::write_transaction(&mut conn, |conn| {
        outcomes.clear();
        written = false;
        let keys: Vec<&str> = batch
            .iter()
            .filter_map(|w| w.response.submission_key.as_deref())
            .collect();
        let mut seen: HashSet<String> = responses::existing_submission_keys(conn, &keys)?;
        let mut rows = Vec::with_capacity(batch.len());
        for w in batch {
            // The same form posted twice (or already stored): the first one stands.
            if let Some(key) = &w.response.submission_key
                && !seen.insert(key.clone())
            {
                outcomes.push(Err(WriteError::Duplicate));
                continue;
            }
            if let Some(link) = w.link_id
                && !links::take_place(conn, link, w.now)?
            {
                outcomes.push(Err(WriteError::Full));
                continue;
            }
            if let Some(invitation) = w.invitation_id
                && !invitations::use_once(conn, invitation, w.now)?
            {
                outcomes.push(Err(WriteError::Used));
                continue;
            }
            outcomes.push(Ok(()));
            rows.push((w.response.clone(), w.answers.clone()));
        }
        if !rows.is_empty() {
            responses::insert_batch(conn, tz, &rows)?;
        }
        written = true;
        Ok::<_, DbError>(())
    });
    match together {
        Ok(()) => outcomes,
        // Everything was written and only COMMIT failed (the connection broke there): the
        // database may have committed. Saying "not saved" could be false, so say "unknown".
        Err(e) if written => {
            tracing::warn!(error = %e, size = batch.len(), "commit failed; outcome unknown");
            outcomes
                .into_iter()
                .map(|o| o.and(Err(WriteError::Unknown(e.to_string()))))
                .collect()
        }
        Err(e) if e.is_unavailable() => batch
            .iter()
            .map(|_| Err(WriteError::Db(DbError::Connect(e.to_string()))))
            .collect(),
        Err(e) => {
            tracing::info!(error = %e, size = batch.len(), "batch insert refused; storing one by one");
            store_one_by_one(&mut conn, tz, batch)
        }
    }
}

/// The careful path: a savepoint per submission, so one bad row refuses only itself.
fn store_one_by_one(conn: &mut AnyConnection, tz: Tz, batch: &[&Write]) -> Vec<Result<(), WriteError>> {
    let mut outcomes: Vec<Result<(), WriteError>> = Vec::with_capacity(batch.len());
    let committed = crate::db::write_transaction(conn, |conn| {
        outcomes.clear();
        for w in batch {
            let one = crate::db::write_transaction(conn, |conn| {
                if let Some(link) = w.link_id
                    && !links::take_place(conn, link, w.now)?
                {
                    return Err(WriteError::Full);
                }
                if let Some(invitation) = w.invitation_id
                    && !invitations::use_once(conn, invitation, w.now)?
                {
                    return Err(WriteError::Used);
                }
                responses::insert_batch(conn, tz, &[(w.response.clone(), w.answers.clone())]).map_err(
                    |e| {
                        if e.is_unique_violation() {
                            WriteError::Duplicate
                        } else {
                            WriteError::Db(e)
                        }
                    },
                )?;
                Ok(())
            });
            outcomes.push(one);
        }
        Ok::<_, DbError>(())
    });
    match committed {
        Ok(()) => outcomes,
        Err(e) => {
            tracing::warn!(error = %e, size = batch.len(), "a batch of submissions was not committed");
            batch
                .iter()
                .map(|_| Err(WriteError::Db(DbError::Connect(e.to_string()))))
                .collect()
        }
    }
}
