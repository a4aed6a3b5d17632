//! Reads that many workers make at the same moment, answered by one query.
//!
//! A caller queues its key and waits for the lead. Whoever holds the lead takes every key
//! queued so far, reads them all with one query, and hands each caller its row; the keys queued
//! meanwhile go in the next query. One worker alone reads at once, as it would without
//! coalescing; eight workers claiming the tasks of one fetch make a few queries, not eight. Each
//! read starts after its caller queued its key, so it sees everything the caller committed
//! before asking.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::Mutex as SyncMutex;

use tokio::sync::{Mutex, oneshot};

use crate::StoreError;

/// Most keys in one query.
const MAX_KEYS: usize = 256;

type Waiter<V> = oneshot::Sender<Result<Option<V>, String>>;

/// A coalescing reader of values `V` by key `K` (see the module documentation).
pub struct Coalesced<K, V> {
    queue: SyncMutex<Vec<(K, Waiter<V>)>>,
    lead: Mutex<()>,
}

impl<K, V> Default for Coalesced<K, V> {
    fn default() -> Self {
        Self {
            queue: SyncMutex::new(Vec::new()),
            lead: Mutex::new(()),
        }
    }
}

impl<K, V> std::fmt::Debug for Coalesced<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coalesced").finish_non_exhaustive()
    }
}

impl<K, V> Coalesced<K, V>
where
    K: Clone + Eq + Hash + Send,
    V: Clone + Send,
{
    /// The value for `key` (None when `read` found nothing for it), read by `read` together
    /// with the keys other callers asked for at the same moment.
    pub async fn get<F, Fut>(&self, key: K, read: F) -> Result<Option<V>, StoreError>
    where
        F: Fn(Vec<K>) -> Fut,
        Fut: Future<Output = Result<HashMap<K, V>, StoreError>>,
    {
        self.run(key, read, false).await
    }

    /// Like [`Coalesced::get`] for a `read` that takes something (claims a row): when several
    /// callers ask for the same key at once, only the first gets the value; the others get
    /// None, as if another worker had taken it first.
    pub async fn take<F, Fut>(&self, key: K, read: F) -> Result<Option<V>, StoreError>
    where
        F: Fn(Vec<K>) -> Fut,
        Fut: Future<Output = Result<HashMap<K, V>, StoreError>>,
    {
        self.run(key, read, true).await
    }

    async fn run<F, Fut>(&self, key: K, read: F, once: bool) -> Result<Option<V>, StoreError>
    where
        F: Fn(Vec<K>) -> Fut,
        Fut: Future<Output = Result<HashMap<K, V>, StoreError>>,
    {
        let (tx, mut answer) = oneshot::channel();
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((key, tx));
        let dropped = || StoreError::Batch("the read was dropped by its batch".to_owned());
        loop {
            let _lead = tokio::select! {
                biased;
                got = &mut answer => return got.map_err(|_| dropped())?.map_err(StoreError::Batch),
                lead = self.lead.lock() => lead,
            };
            match answer.try_recv() {
                Ok(got) => return got.map_err(StoreError::Batch),
                Err(oneshot::error::TryRecvError::Closed) => return Err(dropped()),
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let batch: Vec<(K, Waiter<V>)> = {
                let mut q = self
                    .queue
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let n = q.len().min(MAX_KEYS);
                q.drain(..n).collect()
            };
            if batch.is_empty() {
                // Not answered and not queued: a lead was cancelled while reading for us.
                return Err(dropped());
            }
            let mut keys: Vec<K> = Vec::with_capacity(batch.len());
            for (k, _) in &batch {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
            match read(keys).await {
                Ok(mut found) => {
                    for (k, waiter) in batch {
                        let value = if once {
                            found.remove(&k)
                        } else {
                            found.get(&k).cloned()
                        };
                        // A caller that went away (cancelled) needs no answer.
                        let _ = waiter.send(Ok(value));
                    }
                }
                Err(e) => {
                    let msg = e.to_string();
                    for (_, waiter) in batch {
                        let _ = waiter.send(Err(msg.clone()));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_at_the_same_moment_share_queries_and_each_gets_its_own_value() {
        let reader: Arc<Coalesced<u32, String>> = Arc::default();
        let queries = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        for k in 0..40_u32 {
            let reader = reader.clone();
            let queries = queries.clone();
            handles.push(tokio::spawn(async move {
                reader
                    .get(k, |keys| {
                        let queries = queries.clone();
                        async move {
                            queries.fetch_add(1, Ordering::SeqCst);
                            // A slow query, so that others queue behind it.
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                            Ok(keys
                                .into_iter()
                                .filter(|k| k % 10 != 7)
                                .map(|k| (k, format!("v{k}")))
                                .collect())
                        }
                    })
                    .await
            }));
        }
        for (k, h) in handles.into_iter().enumerate() {
            let got = h.await.expect("joined").expect("read");
            if k % 10 == 7 {
                assert_eq!(got, None, "a key the query did not find is None");
            } else {
                assert_eq!(got, Some(format!("v{k}")));
            }
        }
        let n = queries.load(Ordering::SeqCst);
        assert!((1..40).contains(&n), "40 reads at once took {n} queries");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_taken_value_goes_to_one_caller_only() {
        let reader: Arc<Coalesced<u32, u32>> = Arc::default();
        let queries = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        for _ in 0..8 {
            let reader = reader.clone();
            let queries = queries.clone();
            handles.push(tokio::spawn(async move {
                reader
                    .take(5, |keys| {
                        let queries = queries.clone();
                        async move {
                            queries.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                            Ok(keys.into_iter().map(|k| (k, k)).collect())
                        }
                    })
                    .await
                    .expect("read")
            }));
        }
        let mut got = 0;
        for h in handles {
            if h.await.expect("joined").is_some() {
                got += 1;
            }
        }
        // Each query hands what it took to one caller (a real claim would find nothing left
        // the second time; this read finds it again).
        let n = queries.load(Ordering::SeqCst);
        assert_eq!(got, n, "one caller per query");
        assert!(n < 8, "eight callers at once shared queries ({n})");
    }

    #[tokio::test]
    async fn a_failed_query_fails_every_caller_in_it() {
        let reader: Coalesced<u32, u32> = Coalesced::default();
        let got = reader
            .get(1, |_| async { Err(StoreError::Corrupt("boom".to_owned())) })
            .await;
        assert!(matches!(got, Err(StoreError::Batch(m)) if m.contains("boom")));
        // The next read is not affected.
        let got = reader
            .get(2, |keys| async move {
                Ok(keys.into_iter().map(|k| (k, k * 2)).collect())
            })
            .await
            .expect("read");
        assert_eq!(got, Some(4));
    }
}
