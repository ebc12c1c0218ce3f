//! Memory of the public results pages (公示), per node. A published version never changes, so a
//! page rendered from it is kept and served again without touching the database; what may
//! change — whether a version is public, which version is the newest public one — is read
//! from the small list of public versions, itself kept for at most [`INDEX_TTL`] and dropped
//! at once on this node when the office changes it here. See docs/architecture.md.
//! Knows nothing of rendering or SQL: it holds bytes and the list the handlers give it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::db::periods::PublicVersion;

/// How long the list of public versions is trusted before it is read again. Another node's
/// withdrawal takes effect here within this time; this node's at once (see [`PublicResults::forget`]).
pub const INDEX_TTL: Duration = Duration::from_secs(2);
/// Pages kept at most, and their bytes at most; the least recently used go first.
pub const MAX_PAGES: usize = 512;
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

/// A rendered page or file: its body, media type and entity tag.
#[derive(Debug, Clone)]
pub struct Page {
    pub body: Bytes,
    pub content_type: &'static str,
    pub etag: String,
    /// Offered as a download with this file name.
    pub filename: Option<String>,
}

/// The public versions as last read, with a fingerprint that changes whenever the set does.
#[derive(Debug, Clone, Default)]
pub struct Index {
    pub versions: Vec<PublicVersion>,
    pub fingerprint: String,
}

impl Index {
    pub fn new(versions: Vec<PublicVersion>) -> Index {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        for v in &versions {
            hash.update(format!("{}/{}/{}\n", v.label, v.version, v.checksum));
        }
        let fingerprint = hex::encode(&hash.finalize()[..8]);
        Index {
            versions,
            fingerprint,
        }
    }

    /// The newest public version of the period labelled `label`.
    pub fn newest(&self, label: &str) -> Option<&PublicVersion> {
        self.versions
            .iter()
            .filter(|v| v.label == label)
            .max_by_key(|v| v.version)
    }

    /// The newest public version of each period, newest period first.
    pub fn periods(&self) -> Vec<&PublicVersion> {
        let mut seen = std::collections::HashSet::new();
        self.versions
            .iter()
            .filter(|v| seen.insert(v.label.as_str()))
            .collect()
    }
}

struct Entry {
    page: Arc<Page>,
    used: u64,
}

#[derive(Default)]
struct Pages {
    entries: HashMap<String, Entry>,
    bytes: usize,
    clock: u64,
}

/// The memory itself: shared by the node's workers (`AppState::public_results`).
#[derive(Default)]
pub struct PublicResults {
    index: Mutex<Option<(Instant, Arc<Index>)>>,
    pages: Mutex<Pages>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves only cached data behind; keep serving.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl PublicResults {
    /// The list of public versions if read less than [`INDEX_TTL`] ago.
    pub fn fresh_index(&self) -> Option<Arc<Index>> {
        lock(&self.index)
            .as_ref()
            .filter(|(at, _)| at.elapsed() < INDEX_TTL)
            .map(|(_, index)| index.clone())
    }

    pub fn store_index(&self, index: Index) -> Arc<Index> {
        let index = Arc::new(index);
        *lock(&self.index) = Some((Instant::now(), index.clone()));
        index
    }

    /// Drops the list of public versions, so the next request reads it again: called after
    /// this node made a version public or withdrew it. Pages need not go: their keys name the
    /// version (and, for pages listing several periods, the index fingerprint).
    pub fn forget(&self) {
        *lock(&self.index) = None;
    }

    pub fn get(&self, key: &str) -> Option<Arc<Page>> {
        let mut pages = lock(&self.pages);
        pages.clock += 1;
        let now = pages.clock;
        pages.entries.get_mut(key).map(|e| {
            e.used = now;
            e.page.clone()
        })
    }

    pub fn put(&self, key: String, page: Page) -> Arc<Page> {
        let page = Arc::new(page);
        let size = page.body.len();
        if size > MAX_BYTES / 4 {
            return page;
        }
        let mut pages = lock(&self.pages);
        pages.clock += 1;
        let now = pages.clock;
        if let Some(old) = pages.entries.insert(
            key,
            Entry {
                page: page.clone(),
                used: now,
            },
        ) {
            pages.bytes -= old.page.body.len();
        }
        pages.bytes += size;
        while pages.entries.len() > MAX_PAGES || pages.bytes > MAX_BYTES {
            let Some(oldest) = pages
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(gone) = pages.entries.remove(&oldest) {
                pages.bytes -= gone.page.body.len();
            }
        }
        page
    }

    /// Pages held now (for tests and metrics).
    pub fn len(&self) -> usize {
        lock(&self.pages).entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(n: usize) -> Page {
        Page {
            body: Bytes::from(vec![b'x'; n]),
            content_type: "text/plain",
            etag: String::new(),
            filename: None,
        }
    }

    #[test]
    fn the_least_recently_used_page_goes_first_when_full() {
        let cache = PublicResults::default();
        for i in 0..MAX_PAGES {
            cache.put(format!("p{i}"), page(1));
        }
        assert!(cache.get("p0").is_some()); // p0 used again: p1 is now the oldest
        cache.put("new".into(), page(1));
        assert_eq!(cache.len(), MAX_PAGES);
        assert!(cache.get("p0").is_some());
        assert!(cache.get("p1").is_none());
        assert!(cache.get("new").is_some());
    }

    #[test]
    fn bytes_are_bounded_too() {
        let cache = PublicResults::default();
        for i in 0..8 {
            cache.put(format!("big{i}"), page(MAX_BYTES / 5));
        }
        assert!(cache.len() <= 5);
        assert!(lock(&cache.pages).bytes <= MAX_BYTES);
    }

    #[test]
    fn the_index_is_forgotten_on_request() {
        let cache = PublicResults::default();
        cache.store_index(Index::new(Vec::new()));
        assert!(cache.fresh_index().is_some());
        cache.forget();
        assert!(cache.fresh_index().is_none());
    }
}
