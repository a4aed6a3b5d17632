//! `dsrflow bench intake`: requests accepted per second through the real HTTP API, beside the
//! rate of a bare transaction inserting the same rows into the same database, measured in the
//! same run; prints both and their ratio. Never a pass/fail timing assertion.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use dsrflow_app::{App, Settings, Store, SystemClock};
use dsrflow_domain::Actor;
use dsrflow_store::sea_orm::{ConnectionTrait, Database, DbBackend, Statement, Value};
use futures::future::join_all;
use serde_json::json;

use crate::config::Config;

/// Bench subcommands.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Intake throughput and latency against a bare-insert baseline.
    Intake(IntakeArgs),
    /// Erasures fanned out through the job queue to SQL systems, against the same statements
    /// run directly.
    Fanout(super::bench_fanout::FanoutArgs),
}

/// Options of `bench intake`.
#[derive(Debug, Args)]
pub struct IntakeArgs {
    /// Requests per measurement.
    #[arg(long, default_value_t = 2000)]
    pub requests: usize,
    /// Concurrent clients to measure, comma-separated.
    #[arg(long, default_value = "1,16", value_delimiter = ',')]
    pub clients: Vec<usize>,
    /// A PostgreSQL server URL to measure too (a scratch database is created and dropped).
    #[arg(long, env = "DSRFLOW_BENCH_POSTGRES_URL", value_name = "URL")]
    pub postgres_url: Option<String>,
    /// Skip SQLite.
    #[arg(long)]
    pub no_sqlite: bool,
}

struct Measure {
    rate: f64,
    p50: Duration,
    p99: Duration,
}

fn summarise(total: Duration, mut latencies: Vec<Duration>) -> Measure {
    latencies.sort();
    let pick = |q: f64| -> Duration {
        if latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies[i.min(latencies.len() - 1)]
    };
    Measure {
        rate: latencies.len() as f64 / total.as_secs_f64().max(1e-9),
        p50: pick(0.50),
        p99: pick(0.99),
    }
}

/// Runs the benchmark.
pub async fn run(_cfg: Config, cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    let args = match cmd {
        BenchCommand::Intake(args) => args,
        BenchCommand::Fanout(args) => return super::bench_fanout::run(args).await,
    };
    if args.requests == 0 || args.clients.iter().any(|&c| c == 0 || c > 256) {
        bail!("--requests must be positive and --clients between 1 and 256");
    }
    println!(
        "dsrflow bench intake: {} requests per run; ratio = intake rate / bare-insert rate (same database, same run)",
        args.requests
    );
    println!(
        "{:<10} {:>7} {:>12} {:>12} {:>7} {:>9} {:>9} {:>9}",
        "database", "clients", "intake/s", "bare tx/s", "ratio", "p50 ms", "p99 ms", "bare p99"
    );
    if !args.no_sqlite {
        let dir = tempfile::tempdir().context("temporary directory")?;
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        bench_backend("sqlite", &url, &args).await?;
    }
    if let Some(admin) = &args.postgres_url {
        let name = format!("dsrflow_bench_{}", uuid::Uuid::new_v4().simple());
        let admin_db = Database::connect(admin.as_str())
            .await
            .context("connect to --postgres-url")?;
        admin_db
            .execute_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("CREATE DATABASE {name}"),
            ))
            .await?;
        let url = with_database(admin, &name);
        let result = bench_backend("postgres", &url, &args).await;
        admin_db
            .execute_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            ))
            .await?;
        result?;
    } else {
        println!(
            "(PostgreSQL not measured: pass --postgres-url or set DSRFLOW_BENCH_POSTGRES_URL)"
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    if query.is_empty() {
        format!("{root}/{name}")
    } else {
        format!("{root}/{name}?{query}")
    }
}

async fn bench_backend(label: &str, url: &str, args: &IntakeArgs) -> anyhow::Result<()> {
    let store = Store::connect(url).await?;
    store.migrate().await?;
    let app = App::new(store.clone(), Arc::new(SystemClock), Settings::default());
    let token = dsrflow_app::tokens::create(&app, Actor::Cli, "bench", false)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .secret;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(dsrflow_web::serve(listener, app.clone(), async {
        let _ = stop_rx.await;
    }));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let endpoint = format!("http://{addr}/api/v1/requests");
    // Warm up connections, caches and the query planner.
    for i in 0..50 {
        post_one(&client, &endpoint, &token, i).await?;
    }
    // Negative sequence numbers: they never collide with the app's events and, on SQLite, never
    // move the audit head (its trigger only moves it forwards).
    let seq = Arc::new(AtomicI64::new(-1));
    for &clients in &args.clients {
        let intake = run_clients(clients, args.requests, {
            let client = client.clone();
            let endpoint = endpoint.clone();
            let token = token.clone();
            move |i| {
                let client = client.clone();
                let endpoint = endpoint.clone();
                let token = token.clone();
                async move { post_one(&client, &endpoint, &token, i).await }
            }
        })
        .await?;
        let bare = run_clients(clients, args.requests, {
            let store = store.clone();
            let seq = seq.clone();
            move |i| {
                let store = store.clone();
                let seq = seq.clone();
                async move { bare_insert(&store, &seq, i).await }
            }
        })
        .await?;
        println!(
            "{:<10} {:>7} {:>12.0} {:>12.0} {:>6.0}% {:>9.2} {:>9.2} {:>9.2}",
            label,
            clients,
            intake.rate,
            bare.rate,
            100.0 * intake.rate / bare.rate.max(1e-9),
            intake.p50.as_secs_f64() * 1e3,
            intake.p99.as_secs_f64() * 1e3,
            bare.p99.as_secs_f64() * 1e3,
        );
    }
    let _ = stop_tx.send(());
    let _ = server.await;
    store.close().await?;
    Ok(())
}

/// Runs `total` operations over `clients` concurrent workers; returns rate and latencies.
async fn run_clients<F, Fut>(clients: usize, total: usize, op: F) -> anyhow::Result<Measure>
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let started = Instant::now();
    let workers = (0..clients).map(|w| {
        let op = op.clone();
        tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = w;
            while i < total {
                let t0 = Instant::now();
                op(i).await?;
                lat.push(t0.elapsed());
                i += clients;
            }
            anyhow::Ok(lat)
        })
    });
    let mut latencies = Vec::with_capacity(total);
    for r in join_all(workers).await {
        latencies.extend(r??);
    }
    Ok(summarise(started.elapsed(), latencies))
}

async fn post_one(
    client: &reqwest::Client,
    endpoint: &str,
    token: &str,
    i: usize,
) -> anyhow::Result<()> {
    let resp = client
        .post(endpoint)
        .bearer_auth(token)
        .json(&json!({
            "kind": "erasure",
            "subject": {"email": format!("bench{i}@example.com"), "name": "Bench Subject"},
            "details": "benchmark request"
        }))
        .send()
        .await?;
    if resp.status() != 201 {
        bail!("intake answered {}", resp.status());
    }
    Ok(())
}

/// The rows one intake writes (request, subject, verification link, two outbox messages, audit
/// event, audit head), inserted directly.
async fn bare_insert(store: &Store, seq: &AtomicI64, i: usize) -> anyhow::Result<()> {
    let pg = store.backend() == DbBackend::Postgres;
    let p = |n: usize| if pg { format!("${n}") } else { "?".to_owned() };
    let params =
        |range: std::ops::RangeInclusive<usize>| range.map(p).collect::<Vec<_>>().join(", ");
    let id = uuid::Uuid::now_v7();
    #[expect(clippy::disallowed_methods, reason = "benchmark wall-clock stamps")]
    let now = chrono::Utc::now();
    let day = now.date_naive();
    let n = seq.fetch_sub(1, Ordering::Relaxed);
    let tx = store.write().await?;
    let backend = store.backend();
    let run = |sql: String, values: Vec<Value>| {
        let stmt = Statement::from_sql_and_values(backend, sql, values);
        async { tx.execute_raw(stmt).await }
    };
    run(
        format!(
            "INSERT INTO dsr_request (id, reference, kind, status, regime, calendar, time_zone, channel, language, received_at, receipt_day, deadline, due_at, extension_notice_by, extension_notice_end, details, created_by, created_at, updated_at, version) VALUES ({})",
            params(1..=20)
        ),
        vec![
            id.into(),
            format!("BENCH-{n}").into(),
            "erasure".into(),
            "awaiting_verification".into(),
            "gdpr".into(),
            "BE".into(),
            "Europe/Brussels".into(),
            "api".into(),
            "en".into(),
            now.into(),
            day.into(),
            day.into(),
            now.into(),
            day.into(),
            now.into(),
            "benchmark request".into(),
            "token:bench".into(),
            now.into(),
            now.into(),
            0i32.into(),
        ],
    )
    .await?;
    run(
        format!(
            "INSERT INTO request_subject (request_id, email, name) VALUES ({})",
            params(1..=3)
        ),
        vec![
            id.into(),
            format!("bench{i}@example.com").into(),
            "Bench Subject".into(),
        ],
    )
    .await?;
    // The event and the head update in one statement, as the app does: on PostgreSQL a CTE, on
    // SQLite the trigger that follows every insert into audit_event.
    let audit_insert = format!(
        "INSERT INTO audit_event (seq, occurred_at, request_id, actor, action, data, prev_hash, hash) VALUES ({})",
        params(1..=8)
    );
    run(
        if pg {
            format!(
                "WITH ins AS ({audit_insert} RETURNING seq) UPDATE audit_head SET seq = audit_head.seq FROM ins WHERE audit_head.id = 1"
            )
        } else {
            audit_insert
        },
        vec![
            n.into(),
            now.into(),
            id.into(),
            "token:bench".into(),
            "request.created".into(),
            "{\"kind\":\"erasure\"}".into(),
            "0".repeat(64).into(),
            "1".repeat(64).into(),
        ],
    )
    .await?;
    // The acknowledgement and the confirmation link the intake queues in its outbox, and the
    // link's verification row.
    run(
        format!(
            "INSERT INTO verification (id, selector, verifier_hash, purpose, request_ids, expires_at, attempts, created_at) VALUES ({})",
            params(1..=8)
        ),
        vec![
            uuid::Uuid::now_v7().into(),
            format!("bench{n:012}").into(),
            "2".repeat(64).into(),
            "identity".into(),
            format!("[\"{id}\"]").into(),
            now.into(),
            0i32.into(),
            now.into(),
        ],
    )
    .await?;
    for template in ["acknowledgement", "verify_identity"] {
        let body = vec![0u8; 1800];
        run(
        format!(
            "INSERT INTO outbox (id, dedupe_key, request_id, template, language, audience, to_address, to_masked, subject, body, message_id, status, attempts, created_at, updated_at, version) VALUES ({})",
            params(1..=16)
        ),
        vec![
            uuid::Uuid::now_v7().into(),
            format!("{template}:{id}").into(),
            id.into(),
            template.into(),
            "en".into(),
            "subject".into(),
            format!("bench{i}@example.com").into(),
            "b***@e***.com".into(),
            format!("[BENCH-{n}] We received your request").into(),
            body.into(),
            format!("<dsr-{template}-{id}@bench.invalid>").into(),
            "pending".into(),
            0i32.into(),
            now.into(),
            now.into(),
            0i32.into(),
        ],
    )
    .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_right_rank() {
        let lat: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let m = summarise(Duration::from_secs(1), lat);
        assert_eq!(m.p99, Duration::from_millis(99));
        assert_eq!(m.p50, Duration::from_millis(51));
        assert!((m.rate - 100.0).abs() < 1e-6);
    }
}
