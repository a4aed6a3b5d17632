//! In-memory sliding-window rate limits for the public form: per client address per hour
//! (every POST counts) and per subject address per day (accepted submissions only).
//!
//! A window keeps, per key, the instants of the hits inside it (at most `limit` of them), so
//! memory is bounded by `max_keys × limit` instants; expired keys are pruned as it goes and,
//! when the table is full of live keys, the least recently seen key is evicted. Subject
//! addresses are keyed by their SHA-256, never kept in clear. Time comes from the app's clock,
//! so the limits follow the same `now` as everything else (and tests can move it).
//!
//! The limits live in each process: behind several `dsrflow serve` processes each one counts
//! its own traffic (a proxy with sticky client addresses keeps the per-IP limit exact).

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};
use dsrflow_app::settings::FormSettings;
use sha2::{Digest, Sha256};

/// Most keys one window remembers.
pub const MAX_KEYS: usize = 100_000;

/// Prune expired keys every this many hits.
const PRUNE_EVERY: u64 = 1024;

/// A refused hit: how long until the oldest hit in the window expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    /// Seconds to wait (at least 1), for `Retry-After`.
    pub retry_after_secs: u64,
}

/// A sliding-window counter per key.
#[derive(Debug)]
pub struct SlidingWindow<K> {
    limit: usize,
    window: Duration,
    max_keys: usize,
    inner: Mutex<Inner<K>>,
}

#[derive(Debug)]
struct Inner<K> {
    hits: HashMap<K, VecDeque<DateTime<Utc>>>,
    ops: u64,
}

impl<K: Eq + Hash + Clone> SlidingWindow<K> {
    /// At most `limit` hits per key in any `window`, for at most `max_keys` keys.
    pub fn new(limit: u32, window: Duration, max_keys: usize) -> Self {
        Self {
            limit: usize::try_from(limit.max(1)).unwrap_or(usize::MAX),
            window,
            max_keys: max_keys.max(1),
            inner: Mutex::new(Inner {
                hits: HashMap::new(),
                ops: 0,
            }),
        }
    }

    /// Records a hit for `key` at `now`, or refuses it when the window is full.
    pub fn hit(&self, key: &K, now: DateTime<Utc>) -> Result<(), Limited> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.ops = inner.ops.wrapping_add(1);
        if inner.ops.is_multiple_of(PRUNE_EVERY) {
            self.prune(&mut inner, now);
        }
        if !inner.hits.contains_key(key) && inner.hits.len() >= self.max_keys {
            self.prune(&mut inner, now);
            if inner.hits.len() >= self.max_keys {
                let stalest = inner
                    .hits
                    .iter()
                    .min_by_key(|(_, q)| q.back().copied())
                    .map(|(k, _)| k.clone());
                if let Some(k) = stalest {
                    inner.hits.remove(&k);
                }
            }
        }
        let start = now - self.window;
        let q = inner.hits.entry(key.clone()).or_default();
        while q.front().is_some_and(|t| *t <= start) {
            q.pop_front();
        }
        if q.len() >= self.limit {
            let oldest = q.front().copied().unwrap_or(now);
            let wait = (oldest + self.window - now).num_seconds().max(1);
            return Err(Limited {
                retry_after_secs: u64::try_from(wait).unwrap_or(1),
            });
        }
        q.push_back(now);
        Ok(())
    }

    /// Takes back the last hit of `key` (the submission it stood for was not accepted after
    /// all).
    pub fn undo(&self, key: &K) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(q) = inner.hits.get_mut(key) {
            q.pop_back();
            if q.is_empty() {
                inner.hits.remove(key);
            }
        }
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .hits
            .len()
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn prune(&self, inner: &mut Inner<K>, now: DateTime<Utc>) {
        let start = now - self.window;
        inner
            .hits
            .retain(|_, q| q.back().is_some_and(|t| *t > start));
    }
}

/// The key of a client address: IPv4 as is, IPv6 by its /64 (one subscriber's usual
/// allocation, so rotating addresses inside it does not escape the limit).
pub fn ip_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// The key of a subject address: SHA-256 of its lowercased form (never the address).
pub fn address_key(email: &str) -> [u8; 32] {
    Sha256::digest(email.trim().to_lowercase().as_bytes()).into()
}

/// The form's two limits.
#[derive(Debug)]
pub struct FormLimiter {
    /// Every POST, per client address, per hour.
    pub per_ip: SlidingWindow<IpAddr>,
    /// Accepted submissions, per subject address, per day.
    pub per_address: SlidingWindow<[u8; 32]>,
}

impl FormLimiter {
    /// The limits configured in `[form]`.
    pub fn new(settings: &FormSettings) -> Self {
        Self {
            per_ip: SlidingWindow::new(
                settings.rate_limit_per_ip_per_hour,
                Duration::hours(1),
                MAX_KEYS,
            ),
            per_address: SlidingWindow::new(
                settings.rate_limit_per_address_per_day,
                Duration::days(1),
                MAX_KEYS,
            ),
        }
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_window_refuses_past_its_limit_and_frees_up_as_hits_age() {
        let w = SlidingWindow::new(2, Duration::hours(1), 10);
        assert!(w.hit(&"a", at("2026-03-02T10:00:00Z")).is_ok());
        assert!(w.hit(&"a", at("2026-03-02T10:20:00Z")).is_ok());
        let refused = w.hit(&"a", at("2026-03-02T10:30:00Z")).unwrap_err();
        assert_eq!(refused.retry_after_secs, 30 * 60);
        assert!(w.hit(&"b", at("2026-03-02T10:30:00Z")).is_ok(), "per key");
        assert!(
            w.hit(&"a", at("2026-03-02T11:00:00Z")).is_ok(),
            "10:00 expired"
        );
        assert!(w.hit(&"a", at("2026-03-02T11:05:00Z")).is_err());
    }

    #[test]
    fn an_undone_hit_does_not_count() {
        let w = SlidingWindow::new(1, Duration::days(1), 10);
        let now = at("2026-03-02T10:00:00Z");
        w.hit(&1, now).unwrap();
        w.undo(&1);
        assert!(w.hit(&1, now).is_ok());
        assert!(w.hit(&1, now).is_err());
    }

    #[test]
    fn memory_stays_bounded_by_the_key_limit() {
        let w = SlidingWindow::new(3, Duration::hours(1), 100);
        let now = at("2026-03-02T10:00:00Z");
        for i in 0..1000 {
            w.hit(&i, now + Duration::seconds(i)).unwrap();
        }
        assert_eq!(w.len(), 100);
        // The newest keys are the ones kept.
        assert!(w.hit(&999, now + Duration::seconds(1000)).is_ok());
        // Once every key expired, a new one prunes them all.
        let later = now + Duration::hours(3);
        w.hit(&5000, later).unwrap();
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_slash_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ip_key(a), ip_key(b));
        assert_ne!(ip_key(a), ip_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(ip_key(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn address_keys_ignore_case_and_hide_the_address() {
        assert_eq!(
            address_key("Alice@Example.com"),
            address_key("alice@example.com ")
        );
        assert_ne!(
            address_key("alice@example.com"),
            address_key("bob@example.com")
        );
        assert!(!hex::encode(address_key("alice@example.com")).contains("alice"));
    }
}
