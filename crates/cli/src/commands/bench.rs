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
use dsrflow_store::scratch::Scratch;
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
        let scratch = Scratch::create(admin)
            .await
            .context("create a scratch database with --postgres-url")?;
        let result = bench_backend("postgres", scratch.url(), &args).await;
        scratch.drop_database().await?;
        result?;
    } else {
        println!(
            "(PostgreSQL not measured: pass --postgres-url or set DSRFLOW_BENCH_POSTGRES_URL)"
        );
    }
    Ok(ExitCode::SUCCESS)
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
    // Numbers the baseline's references and link selectors, which are unique.
    let seq = Arc::new(AtomicI64::new(0));
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
/// event), each with the store's own one-row write, in one plain write transaction: the naive
/// way, without grouping or batching.
async fn bare_insert(store: &Store, seq: &AtomicI64, i: usize) -> anyhow::Result<()> {
    use dsrflow_domain::channel::{Channel, Language};
    use dsrflow_domain::identity::SecretPurpose;
    use dsrflow_domain::message::{Audience, MailStatus};
    use dsrflow_domain::{AuditAction, Regime, RequestKind, RequestStatus, SubjectEmail};
    use dsrflow_store::entity::{outbox, request, request_subject, verification};

    let id = uuid::Uuid::now_v7();
    #[expect(clippy::disallowed_methods, reason = "benchmark wall-clock stamps")]
    let now = chrono::Utc::now();
    let day = now.date_naive();
    let n = seq.fetch_add(1, Ordering::Relaxed);
    let email = SubjectEmail::parse(&format!("bench{i}@example.com"))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let tx = store.write().await?;
    dsrflow_store::requests::insert(
        &*tx,
        request::Model {
            id,
            reference: format!("BENCH-{n}"),
            kind: RequestKind::Erasure,
            status: RequestStatus::AwaitingVerification,
            regime: Regime::Gdpr,
            calendar: None,
            time_zone: "Europe/Brussels".to_owned(),
            channel: Channel::Api,
            language: Language::En,
            received_at: now,
            receipt_day: day,
            deadline: day,
            due_at: now,
            extension_notice_by: Some(day),
            extension_notice_end: Some(now),
            extended_at: None,
            extension_reason: None,
            status_reason: None,
            forwarded_to: None,
            identity_verified_at: None,
            details: Some("benchmark request".to_owned()),
            corrections: None,
            created_by: "token:bench".to_owned(),
            created_at: now,
            updated_at: now,
            closed_at: None,
            version: 0,
            status_token_hash: Some(format!("{n:064x}")),
        },
        request_subject::Model {
            request_id: id,
            email: email.clone(),
            name: None,
            account_id: None,
            phone: None,
        },
    )
    .await?;
    dsrflow_store::verifications::insert(
        &*tx,
        verification::Model {
            id: uuid::Uuid::now_v7(),
            selector: format!("bench{n:012}"),
            verifier_hash: "2".repeat(64),
            purpose: SecretPurpose::Identity,
            request_ids: format!("[\"{id}\"]"),
            expires_at: now,
            used_at: None,
            attempts: 0,
            created_at: now,
        },
    )
    .await?;
    for template in ["acknowledgement", "verify_identity"] {
        dsrflow_store::outbox::insert(
            &*tx,
            outbox::Model {
                id: uuid::Uuid::now_v7(),
                dedupe_key: Some(format!("{template}:{id}")),
                request_id: Some(id),
                task_id: None,
                template: template.to_owned(),
                language: "en".to_owned(),
                audience: Audience::Subject,
                to_address: Some(email.as_str().to_owned()),
                to_masked: "b***@e***.com".to_owned(),
                subject: format!("[BENCH-{n}] We received your request"),
                body: Some(vec![0u8; 1800]),
                message_id: format!("<dsr-{template}-{id}@bench.invalid>"),
                in_reply_to: None,
                status: MailStatus::Pending,
                attempts: 0,
                last_error: None,
                next_attempt_at: None,
                lease_until: None,
                created_at: now,
                sent_at: None,
                updated_at: now,
                version: 0,
            },
        )
        .await?;
    }
    dsrflow_store::audit::append(
        &*tx,
        dsrflow_store::audit::NewEvent {
            request_id: Some(id),
            actor: Actor::Cli,
            action: AuditAction::RequestCreated,
            data: json!({"kind": "erasure"}),
            at: now,
        },
    )
    .await?;
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
