//! `dsrflow serve --demo`: the reference user (a managed-Odoo hosting provider) with its SQL
//! databases, SaaS processors and manual systems, so the main job can be seen end to end
//! without any setup.
//!
//! The data map is `examples/odoo-hoster/dsrflow.toml`, built into the binary. Its SQL systems
//! are SQLite files created (fresh on every start) in the data directory next to the database
//! file; its SaaS processors are in-process stand-ins implementing each API's documented shapes
//! (`dsrflow_standins`). `alice@example.com` is present in every system, with one
//! invoice under tax retention and a direct-marketing profile; `bob@example.org` is there too,
//! to show that nothing of his leaks into her answers. A simulated support agent completes
//! manual tasks after a few seconds so the walkthrough runs unattended (in production a person
//! does it from the API or the dashboard).
//!
//! The configuration the demo runs with is written to `<data dir>/demo/dsrflow.toml`, and its
//! API token to `<data dir>/demo/api-token` (kept across restarts): the other commands run
//! beside the demo (`connector list`, `ingest-mail`, …) find both there, as `serve --demo`
//! does.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use dsrflow_app::App;
use dsrflow_app::systems::Systems;
use dsrflow_domain::Actor;
use dsrflow_domain::TaskStatus;
use dsrflow_domain::lifecycle::Reason;
use dsrflow_standins::{
    crisp, google_analytics, hotjar, klaviyo, loki, meta, odoo, posthog, stripe,
};
use tokio::task::JoinHandle;

use crate::config::{self, Config, Overrides};

/// The demo configuration, with `@DEMO_DIR@` and `@STANDIN_<NAME>@` placeholders.
pub const DEMO_CONFIG: &str = include_str!("../../../examples/odoo-hoster/dsrflow.toml");

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.org";

/// The name of the demo's API token.
pub const TOKEN_NAME: &str = "demo";

/// Where the demo writes the configuration it runs with.
pub fn config_path(data_dir: &Path) -> PathBuf {
    data_dir.join("demo").join("dsrflow.toml")
}

/// Where the demo keeps its API token, so a restart keeps it.
pub fn token_path(data_dir: &Path) -> PathBuf {
    data_dir.join("demo").join("api-token")
}

/// Where the demo keeps its accounts' passwords (demo data only, readable by the owner alone).
pub fn accounts_path(data_dir: &Path) -> PathBuf {
    data_dir.join("demo").join("accounts")
}

/// The demo's dashboard accounts — an admin (the controller's contact), an officer and a viewer
/// — with their passwords, kept from the last start when they still work, else set anew.
pub async fn accounts(
    app: &App,
    data_dir: &Path,
    admin: &str,
) -> anyhow::Result<Vec<(String, dsrflow_domain::account::Role, String)>> {
    use dsrflow_app::accounts::{self, NewPassword};
    use dsrflow_domain::account::Role;
    let path = accounts_path(data_dir);
    let saved = std::fs::read_to_string(&path).unwrap_or_default();
    let wanted = [
        (admin.to_lowercase(), Role::Admin),
        ("officer@hostodoo.example".to_owned(), Role::Officer),
        ("viewer@hostodoo.example".to_owned(), Role::Viewer),
    ];
    let mut out = Vec::new();
    for (email, role) in wanted {
        let kept = saved
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .find(|(e, _)| *e == email)
            .map(|(_, p)| p.to_owned());
        if let Some(p) = kept
            && accounts::check_password(app, &email, &p)
                .await
                .unwrap_or(false)
        {
            out.push((email, role, p));
            continue;
        }
        let password = match accounts::add(app, Actor::Cli, &email, role, NewPassword::Generate)
            .await
        {
            Ok(Some(p)) => p,
            Ok(None) => anyhow::bail!("demo account {email}: no password generated"),
            // It exists (an earlier start): give it a new password.
            Err(dsrflow_app::AppError::Conflict(_)) => {
                accounts::set_password(app, Actor::Cli, &email, NewPassword::Generate)
                    .await
                    .map_err(|e| anyhow::anyhow!("demo account {email}: {e}"))?
                    .ok_or_else(|| anyhow::anyhow!("demo account {email}: no password generated"))?
            }
            Err(e) => anyhow::bail!("demo account {email}: {e}"),
        };
        out.push((email, role, password));
    }
    let text: String = out.iter().map(|(e, _, p)| format!("{e}\t{p}\n")).collect();
    if path.exists() {
        std::fs::remove_file(&path)
            .with_context(|| format!("cannot replace {}", path.display()))?;
    }
    config::write_private(&path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(out)
}

/// The running demo: its configuration, systems and the stand-ins serving them.
pub struct Demo {
    /// The configuration it runs with (written to [`Demo::config_file`]).
    pub config: Config,
    /// The data map and connectors.
    pub systems: Systems,
    /// Where its files are.
    pub dir: PathBuf,
    /// The configuration file it wrote.
    pub config_file: PathBuf,
    _standins: Vec<JoinHandle<()>>,
}

/// Secrets the stand-ins accept, handed to the connectors from memory (they open nothing but
/// the demo's own in-process stand-ins).
pub fn secrets() -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("DEMO_ODOO_API_KEY", odoo::OdooSeed::default().api_key),
        ("DEMO_STRIPE_KEY", stripe::StripeSeed::default().api_key),
        ("DEMO_KLAVIYO_KEY", klaviyo::KlaviyoSeed::default().api_key),
        (
            "DEMO_CRISP_IDENTIFIER",
            crisp::CrispSeed::default().identifier,
        ),
        ("DEMO_CRISP_KEY", crisp::CrispSeed::default().key),
        ("DEMO_POSTHOG_KEY", posthog::PosthogSeed::default().api_key),
        (
            "DEMO_HOTJAR_CLIENT_ID",
            hotjar::HotjarSeed::default().client_id,
        ),
        (
            "DEMO_HOTJAR_CLIENT_SECRET",
            hotjar::HotjarSeed::default().client_secret,
        ),
        (
            "DEMO_GA_TOKEN",
            google_analytics::GoogleAnalyticsSeed::default().access_token,
        ),
        ("DEMO_META_TOKEN", meta::MetaSeed::default().access_token),
        ("DEMO_LOKI_TOKEN", loki::LokiSeed::default().token),
    ])
}

/// The SHA-256 of a lower-cased address, as ad platforms hold it.
fn sha256_hex(email: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(email.to_lowercase().as_bytes()))
}

async fn sqlite_file(path: &Path, statements: &[&str]) -> anyhow::Result<()> {
    if path.exists() {
        std::fs::remove_file(path).with_context(|| format!("cannot reset {}", path.display()))?;
    }
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = dsrflow_store::sea_orm::Database::connect(url).await?;
    for sql in statements {
        dsrflow_store::sea_orm::ConnectionTrait::execute_unprepared(&db, sql).await?;
    }
    db.close().await?;
    Ok(())
}

/// Prepares the demo for a server listening on `addr`: fresh data stores, stand-ins on loopback
/// ports, the configuration (the user's file, if any, under the demo's data map) written to
/// the data directory and validated.
pub async fn prepare(
    user_file: Option<&Path>,
    base: &Config,
    addr: SocketAddr,
) -> anyhow::Result<Demo> {
    std::fs::create_dir_all(base.data_dir.join("demo"))
        .with_context(|| format!("cannot create {}", base.data_dir.display()))?;
    // Absolute paths, so the written configuration works from any directory.
    let data_dir = std::fs::canonicalize(&base.data_dir)
        .with_context(|| format!("cannot resolve {}", base.data_dir.display()))?;
    let dir = data_dir.join("demo");
    sqlite_file(
        &dir.join("odoo-billing.db"),
        &[
            "CREATE TABLE res_partner (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, phone TEXT, street TEXT, newsletter INTEGER NOT NULL DEFAULT 1)",
            "CREATE TABLE account_move (id INTEGER PRIMARY KEY, partner_id INTEGER NOT NULL REFERENCES res_partner(id), name TEXT, invoice_date TEXT, amount_total REAL)",
            "CREATE TABLE mail_message (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES res_partner(id), date TEXT, body TEXT)",
            "INSERT INTO res_partner (id, name, email, phone, street) VALUES (1, 'Alice Martin', 'Alice@Example.com', '+32 470 12 34 56', 'Rue de la Loi 16, 1000 Brussels'), (2, 'Bob Peeters', 'bob@example.org', NULL, 'Meir 1, 2000 Antwerp')",
            "INSERT INTO account_move (partner_id, name, invoice_date, amount_total) VALUES (1, 'INV/2026/00042', '2026-01-31', 49.0), (2, 'INV/2026/00043', '2026-01-31', 99.0)",
            "INSERT INTO mail_message (author_id, date, body) VALUES (1, '2026-02-01', 'Could you upgrade my plan?'), (1, '2026-02-03', 'Thanks!'), (2, '2026-02-02', 'Hello')",
        ],
    )
    .await?;
    // Alice and Bob signed up a few weeks ago, so the anti-fraud log still holds them.
    let today = dsrflow_app::Clock::now(&dsrflow_app::SystemClock).date_naive();
    let signup_rows = format!(
        "INSERT INTO signup_ip (email, ip, signed_up_on) VALUES ('alice@example.com', '198.51.100.7', '{}'), ('bob@example.org', '203.0.113.9', '{}')",
        today - chrono::TimeDelta::days(40),
        today - chrono::TimeDelta::days(20)
    );
    sqlite_file(
        &dir.join("hosting-logs.db"),
        &[
            "CREATE TABLE login_event (id INTEGER PRIMARY KEY, email TEXT, ip TEXT, at TEXT)",
            "INSERT INTO login_event (email, ip, at) VALUES ('alice@example.com', '198.51.100.7', '2026-02-10T08:00:00Z'), ('alice@example.com', '198.51.100.7', '2026-02-11T08:00:00Z'), ('bob@example.org', '203.0.113.9', '2026-02-10T09:00:00Z')",
            // The sign-up anti-fraud log: kept under legitimate interest, for a bounded time.
            "CREATE TABLE signup_ip (id INTEGER PRIMARY KEY, email TEXT, ip TEXT, signed_up_on TEXT)",
            &signup_rows,
        ],
    )
    .await?;

    let mut handles = Vec::new();
    let mut urls: BTreeMap<&str, String> = BTreeMap::new();
    macro_rules! start {
        ($key:literal, $standin:expr) => {{
            let s = $standin;
            let (addr, handle) = dsrflow_standins::serve(s.router).await?;
            urls.insert($key, format!("http://{addr}"));
            handles.push(handle);
        }};
    }
    start!(
        "ODOO",
        odoo::odoo(odoo::OdooSeed {
            db: "hostodoo".to_owned(),
            login: "dsr-bot@hostodoo.example".to_owned(),
            records: vec![
                odoo::OdooRecord::new("res.partner", 7, "Alice Martin", ALICE),
                odoo::OdooRecord::new("crm.lead", 31, "Alice Martin - upgrade to 8 workers", ALICE),
                odoo::OdooRecord::new("res.partner", 8, "Bob Peeters", BOB),
            ],
            ..Default::default()
        })
    );
    start!(
        "STRIPE",
        stripe::stripe(stripe::StripeSeed {
            customers: vec![
                stripe::StripeCustomer::new("cus_Alice0001", ALICE, "Alice Martin"),
                stripe::StripeCustomer::new("cus_Bob000001", BOB, "Bob Peeters"),
            ],
            ..Default::default()
        })
    );
    start!(
        "KLAVIYO",
        klaviyo::klaviyo(klaviyo::KlaviyoSeed {
            profiles: vec![
                klaviyo::KlaviyoProfile::new("01HALICE", ALICE, "Alice"),
                klaviyo::KlaviyoProfile::new("01HBOB", BOB, "Bob"),
            ],
            ..Default::default()
        })
    );
    start!(
        "CRISP",
        crisp::crisp(crisp::CrispSeed {
            website_id: "hostodoo-website".to_owned(),
            profiles: vec![
                crisp::CrispProfile::new("people-alice", ALICE, "Alice"),
                crisp::CrispProfile::new("people-bob", BOB, "Bob"),
            ],
            conversations: vec![
                crisp::CrispConversation::new(
                    "session-alice-1",
                    "people-alice",
                    &["Hi, my Odoo is slow", "It works again, thank you"],
                ),
                crisp::CrispConversation::new("session-bob-1", "people-bob", &["Hello"]),
            ],
            ..Default::default()
        })
    );
    start!(
        "POSTHOG",
        posthog::posthog(posthog::PosthogSeed {
            persons: vec![
                posthog::PosthogPerson::new("0190aaaa-0000-7000-8000-00000000a11c", ALICE),
                posthog::PosthogPerson::new("0190bbbb-0000-7000-8000-000000000b0b", BOB),
            ],
            ..Default::default()
        })
    );
    start!(
        "HOTJAR",
        hotjar::hotjar(hotjar::HotjarSeed {
            organization_id: "4242".to_owned(),
            users: vec![ALICE.to_owned(), BOB.to_owned()],
            ..Default::default()
        })
    );
    start!(
        "META",
        meta::meta(meta::MetaSeed {
            audience_members: vec![sha256_hex(ALICE), sha256_hex(BOB)],
            ..Default::default()
        })
    );
    start!(
        "LOKI",
        loki::loki(loki::LokiSeed {
            lines: vec![
                format!("level=info msg=\"portal login\" user={ALICE} ip=198.51.100.7"),
                format!("level=warn msg=\"payment retry\" customer={ALICE}"),
                format!("level=info msg=\"portal login\" user={BOB} ip=203.0.113.9"),
            ],
            ..Default::default()
        })
    );
    start!(
        "GOOGLE_ANALYTICS",
        google_analytics::google_analytics(google_analytics::GoogleAnalyticsSeed::default())
    );

    let mut text = DEMO_CONFIG.replace("@DEMO_DIR@", &dir.display().to_string());
    for (key, url) in &urls {
        text = text.replace(&format!("@STANDIN_{key}@"), url);
    }
    let mut raw =
        config::load_raw(user_file, Some(&text)).context("the built-in demo configuration")?;
    raw.server.listen = addr.to_string();
    raw.server
        .public_url
        .get_or_insert_with(|| format!("http://{addr}"));
    raw.server.data_dir = Some(data_dir.display().to_string());
    // The database the demo runs on (flag, variable or file): a SQLite path made absolute; a
    // PostgreSQL URL without its password, if it has one (give it again with --database-url).
    raw.database.url = absolute_sqlite_url(&base.database_url)
        .unwrap_or_else(|| dsrflow_store::redact_url(&base.database_url));
    let config_file = config_path(&data_dir);
    write_config(&config_file, &raw)?;
    let mut config =
        config::validate(raw, &Overrides::default()).context("the built-in demo configuration")?;
    // The file holds no password: keep the URL as given.
    config.database_url = base.database_url.clone();
    config.secrets = secrets();
    let systems = config
        .systems()
        .context("the built-in demo configuration")?;
    Ok(Demo {
        config,
        systems,
        dir,
        config_file,
        _standins: handles,
    })
}

/// `sqlite://relative.db?…` → `sqlite:///absolute/relative.db?…`; None for other databases.
fn absolute_sqlite_url(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    if path.is_empty() || path.contains(":memory:") {
        return None;
    }
    let abs = std::path::absolute(path).ok()?;
    Some(match query {
        Some(q) => format!("sqlite://{}?{q}", abs.display()),
        None => format!("sqlite://{}", abs.display()),
    })
}

fn write_config(path: &Path, raw: &config::RawConfig) -> anyhow::Result<()> {
    let body = toml::to_string(raw).context("the demo configuration cannot be written")?;
    let text = format!(
        "# Written by `dsrflow serve --demo` on every start: the configuration the demo runs with.\n\
         # Commands run beside the demo (same database, no --config) use it; it is also a\n\
         # complete example. Secrets are `env:` references; the demo serves its stand-ins'\n\
         # own from memory.\n\n{body}"
    );
    if path.exists() {
        std::fs::remove_file(path).with_context(|| format!("cannot replace {}", path.display()))?;
    }
    config::write_private(path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The demo's API token (it may vouch for identities): the one kept in the data directory if it
/// still works, else a new value (the old one stops working), kept for the next start.
/// Returns the token and whether it is the kept one.
pub async fn token(app: &App, data_dir: &Path) -> anyhow::Result<(String, bool)> {
    let path = token_path(data_dir);
    if let Ok(saved) = std::fs::read_to_string(&path) {
        let saved = saved.trim();
        if let Ok(Some(caller)) = dsrflow_app::tokens::authenticate(app, saved).await
            && caller.can_vouch
            && caller.actor == Actor::Token(TOKEN_NAME.to_owned())
        {
            return Ok((saved.to_owned(), true));
        }
    }
    let token = dsrflow_app::tokens::reissue(app, Actor::Cli, TOKEN_NAME, true)
        .await
        .map_err(|e| anyhow::anyhow!("demo token: {e}"))?;
    if path.exists() {
        std::fs::remove_file(&path)
            .with_context(|| format!("cannot replace {}", path.display()))?;
    }
    config::write_private(&path, format!("{}\n", token.secret).as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok((token.secret, false))
}

/// A simulated support agent: completes manual tasks a few seconds after they appear, so the
/// demo runs unattended. Objections are upheld.
pub fn spawn_simulated_agent(app: App) -> JoinHandle<()> {
    tokio::spawn(async move {
        let caller = dsrflow_app::requests::Caller {
            actor: dsrflow_domain::Actor::Token("demo-support-agent".to_owned()),
            can_vouch: false,
        };
        let Ok(note) = Reason::parse("Done (simulated by the demo's support agent)") else {
            return;
        };
        let mut tick = tokio::time::interval(Duration::from_secs(3));
        loop {
            tick.tick().await;
            let Ok(tasks) = dsrflow_store::tasks::awaiting_manual(app.store.db(), 50).await else {
                continue;
            };
            for t in tasks {
                let completion = if t.action == dsrflow_domain::TaskAction::Decide {
                    dsrflow_app::work::Completion::Decision { uphold: true }
                } else {
                    dsrflow_app::work::Completion::Done {
                        status: TaskStatus::Succeeded,
                        rule: None,
                        found: Vec::new(),
                    }
                };
                if let Err(e) =
                    dsrflow_app::work::complete(&app, &caller, t.id, completion, note.clone()).await
                {
                    tracing::debug!(error = %e, "demo agent could not complete a task");
                }
            }
        }
    })
}
