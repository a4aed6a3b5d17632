//! Test harness: a real server on 127.0.0.1:0 over a fresh database (a temporary SQLite file,
//! or a fresh PostgreSQL database when DSRFLOW_TEST_POSTGRES_URL is set), with a fixed clock.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use dsrflow_app::jobs::MemoryQueue;
use dsrflow_app::systems::{SystemConfig, Systems};
use dsrflow_app::{App, FixedClock, Settings, Store};
use dsrflow_domain::Actor;
use dsrflow_store::sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::Value;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database that is removed when dropped.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl TestDb {
    /// Creates one. The PostgreSQL variants are ignored unless asked for; asked for
    /// without `DSRFLOW_TEST_POSTGRES_URL`, they fail saying so (never pass without running).
    pub async fn create(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("tempdir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                Some(TestDb::Sqlite { _dir: dir, url })
            }
            Backend::Postgres => {
                let admin_url = std::env::var("DSRFLOW_TEST_POSTGRES_URL").expect(
                    "this test needs PostgreSQL: set DSRFLOW_TEST_POSTGRES_URL (.ci/run does)",
                );
                let name = format!("dsrflow_t_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("connect to DSRFLOW_TEST_POSTGRES_URL");
                admin
                    .execute_raw(Statement::from_string(
                        admin.get_database_backend(),
                        format!("CREATE DATABASE {name}"),
                    ))
                    .await
                    .expect("create test database");
                let _ = admin.close().await;
                let url = replace_db_name(&admin_url, &name);
                Some(TestDb::Postgres {
                    admin_url,
                    name,
                    url,
                })
            }
        }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres {
            admin_url, name, ..
        } = self
        {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime; use a thread with its own.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    if let Ok(admin) = Database::connect(&admin_url).await {
                        let _ = admin
                            .execute_raw(Statement::from_string(
                                admin.get_database_backend(),
                                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                            ))
                            .await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// A running server with a client and an API token.
pub struct TestApp {
    pub addr: SocketAddr,
    pub app: App,
    pub clock: Arc<FixedClock>,
    pub client: reqwest::Client,
    /// A token without the vouch right.
    pub token: String,
    /// A token with the vouch right.
    pub vouch_token: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    /// Jobs enqueued by use cases; tests run them with [`TestApp::drain`].
    pub queue: Arc<MemoryQueue>,
    /// A scratch directory for target databases and files.
    pub dir: tempfile::TempDir,
    /// Every mail the outbox delivered (memory transport).
    pub mail: dsrflow_mail::MemoryOutbox,
    /// Kept alive for the test's duration; dropping it removes the database.
    _db: TestDb,
}

/// The instant tests start at, unless they move the clock.
pub fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test timestamp")
        .with_timezone(&Utc)
}

impl TestApp {
    /// Starts the app at `now` on `backend`; None when the backend is not available.
    pub async fn start(backend: Backend, now: &str) -> Option<TestApp> {
        Self::start_with(backend, now, |_| String::new(), Settings::default()).await
    }

    /// Starts the app with `[[system]]` entries (TOML, built from the scratch directory's path)
    /// and settings.
    pub async fn start_with(
        backend: Backend,
        now: &str,
        systems_toml: impl FnOnce(&std::path::Path) -> String,
        settings: Settings,
    ) -> Option<TestApp> {
        Self::start_full(backend, now, systems_toml, settings, |_| {}).await
    }

    /// Like [`TestApp::start_with`], with a last adjustment of the systems (e.g. a test CA for
    /// OpenDSR callbacks).
    pub async fn start_full(
        backend: Backend,
        now: &str,
        systems_toml: impl FnOnce(&std::path::Path) -> String,
        settings: Settings,
        customize: impl FnOnce(&mut Systems),
    ) -> Option<TestApp> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let db = TestDb::create(backend).await?;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::connect(db.url()).await.expect("connect");
        store.migrate().await.expect("migrate");
        let clock = Arc::new(FixedClock::new(t(now)));
        let queue = Arc::new(MemoryQueue::default());
        let toml_text = systems_toml(dir.path());
        let mut systems = if toml_text.trim().is_empty() {
            Systems::default()
        } else {
            #[derive(serde::Deserialize)]
            struct File {
                system: Vec<SystemConfig>,
                #[serde(default)]
                recipient: Vec<dsrflow_app::systems::RecipientConfig>,
            }
            let file: File = toml::from_str(&toml_text).expect("systems TOML");
            let env = |k: &str| std::env::var(k).ok();
            Systems::from_config(&file.system, &file.recipient, &env).expect("valid systems")
        };
        // Links in mail must point at this server.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut settings = settings;
        settings.public_url = format!("http://{addr}");
        let (transport, mail) = dsrflow_mail::Transport::memory();
        let mailer = dsrflow_mail::Mailer::new(
            transport,
            dsrflow_mail::parse_mailbox("Hostodoo privacy <privacy@hostodoo.example>")
                .expect("from"),
        );
        customize(&mut systems);
        let app = App::new(store, clock.clone(), settings)
            .with_systems(systems)
            .with_jobs(queue.clone())
            .with_mailer(Arc::new(dsrflow_app::outbox::Mailer(mailer)));
        let token = dsrflow_app::tokens::create(&app, Actor::Cli, "test-app", false)
            .await
            .expect("token")
            .secret;
        let vouch_token = dsrflow_app::tokens::create(&app, Actor::Cli, "test-vouch", true)
            .await
            .expect("token")
            .secret;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server_app = app.clone();
        let server = tokio::spawn(async move {
            let _ = dsrflow_web::serve(listener, server_app, async {
                let _ = rx.await;
            })
            .await;
        });
        Some(TestApp {
            addr,
            app,
            clock,
            client: reqwest::Client::new(),
            token,
            vouch_token,
            shutdown: Some(tx),
            server: Some(server),
            queue,
            dir,
            mail,
            _db: db,
        })
    }

    /// The database's URL, for running the `dsrflow` binary against it.
    pub fn db_url(&self) -> &str {
        self._db.url()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// POST JSON with the plain token.
    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request")
    }

    /// Creates a request and returns its JSON body (asserting 201).
    pub async fn create(&self, body: Value) -> Value {
        let resp = self.post("/api/v1/requests", &body).await;
        let status = resp.status();
        let json: Value = resp.json().await.expect("json body");
        assert_eq!(status, 201, "{json}");
        json
    }

    /// How many requests are stored.
    pub async fn count_requests(&self) -> u64 {
        let v: Value = self
            .get("/api/v1/requests")
            .await
            .json()
            .await
            .expect("json");
        v["total"].as_u64().expect("total")
    }

    /// The test clock's current instant.
    pub fn clock_now(&self) -> DateTime<Utc> {
        use dsrflow_app::Clock;
        self.clock.now()
    }

    /// Runs every due job (fan-out, tasks, settling) until none is left.
    pub async fn drain(&self) -> usize {
        dsrflow_app::work::drain(&self.app, &self.queue)
            .await
            .expect("jobs run")
    }

    /// Creates a request with the vouching token and `identity_verified: true` (it skips
    /// verification and goes straight to work).
    pub async fn create_vouched(&self, mut body: Value) -> Value {
        body["identity_verified"] = Value::Bool(true);
        let resp = self
            .client
            .post(self.url("/api/v1/requests"))
            .bearer_auth(&self.vouch_token)
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = resp.status();
        let json: Value = resp.json().await.expect("json body");
        assert_eq!(status, 201, "{json}");
        json
    }

    /// The tasks of a request, by system and action.
    pub async fn tasks(&self, id: &str) -> Vec<Value> {
        let v: Value = self
            .get(&format!("/api/v1/requests/{id}/tasks"))
            .await
            .json()
            .await
            .expect("json");
        v["tasks"].as_array().expect("tasks").clone()
    }

    /// A request's current JSON.
    pub async fn request(&self, id: &str) -> Value {
        self.get(&format!("/api/v1/requests/{id}"))
            .await
            .json()
            .await
            .expect("json")
    }

    /// Runs a raw SQL statement against the app's database (for tampering tests).
    pub async fn sql(&self, sql: &str) {
        let db = self.app.store.db();
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .expect("raw sql");
    }

    /// Stops the server and closes the pool (so the database can be dropped).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            let _ = h.await;
        }
        let _ = self.app.store.db().clone().close().await;
    }
}

/// Runs an async test body on SQLite and, when configured, on PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $now:expr, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: &$crate::support::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::support::TestApp::start($crate::support::Backend::Sqlite, $now)
                    .await
                    .expect("sqlite is always available");
                body(&app).await;
                app.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs PostgreSQL: set DSRFLOW_TEST_POSTGRES_URL (.ci/run does)"]
            async fn postgres() {
                let app =
                    $crate::support::TestApp::start($crate::support::Backend::Postgres, $now)
                        .await
                        .expect("PostgreSQL");
                body(&app).await;
                app.stop().await;
            }
        }
    };
}

/// Creates a SQLite database file with the given statements; returns its `sqlite://` URL.
pub async fn sqlite_target(path: &std::path::Path, statements: &[&str]) -> String {
    let url = format!("sqlite://{}", path.display());
    let db = Database::connect(format!("{url}?mode=rwc"))
        .await
        .expect("create target database");
    for sql in statements {
        db.execute_unprepared(sql).await.expect("target statement");
    }
    let _ = db.close().await;
    url
}

/// Runs a query on a SQLite target and returns the first column of every row as text.
pub async fn sqlite_column(url: &str, sql: &str) -> Vec<Option<String>> {
    let db = Database::connect(url).await.expect("open target");
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .expect("target query");
    let out = rows
        .iter()
        .map(|r| {
            r.try_get_by_index::<Option<String>>(0)
                .expect("text column")
        })
        .collect();
    let _ = db.close().await;
    out
}
