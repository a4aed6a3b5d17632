//! The `dsrflow` binary, run as a user would: `deadline`, `migrate`, `token`, `audit verify`,
//! configuration errors, `serve` and `--help`.
//!
//! Every run clears the `DSRFLOW_*` environment and works in its own temporary directory, so
//! nothing leaks in from the developer's shell or out into the repository.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use dsrflow_store::Store;
use dsrflow_store::sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

/// How long a spawned `serve` may take to print its address (a bound, not a sleep).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// `dsrflow` with a clean environment, run in `dir`.
pub(crate) fn dsrflow(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_dsrflow"));
    cmd.current_dir(dir)
        .env_remove("DSRFLOW_DATABASE_URL")
        .env_remove("DSRFLOW_CONFIG")
        .env_remove("DSRFLOW_LISTEN")
        .stdin(Stdio::null());
    // Also any DSRFLOW_SECTION__KEY override the developer may have exported.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("DSRFLOW_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Runs `dsrflow args…` in `dir` to completion.
pub(crate) fn run(dir: &Path, args: &[&str]) -> Output {
    dsrflow(dir).args(args).output().expect("run dsrflow")
}

/// Runs `dsrflow args…` in `dir` without blocking the async runtime.
async fn run_async(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = dsrflow(dir);
    cmd.args(args);
    tokio::process::Command::from(cmd)
        .output()
        .await
        .expect("run dsrflow")
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A one-line summary of a run, for assertion messages.
pub(crate) fn show(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    )
}

/// A `sqlite://` URL for a file `name` in `dir`.
pub(crate) fn sqlite_url(dir: &Path, name: &str) -> String {
    format!("sqlite://{}", dir.join(name).display())
}

/// A migrated SQLite database `x.db` in `dir` (commands other than `serve`, `worker` and
/// `migrate` never create one); returns its URL.
pub(crate) fn migrated_db(dir: &Path) -> String {
    let url = sqlite_url(dir, "x.db");
    let out = run(dir, &["--database-url", &url, "migrate"]);
    assert!(out.status.success(), "{}", show(&out));
    url
}

/// Whether `text` mentions `event {seq}` as a whole number (so event 1 is not event 12).
fn names_event(text: &str, seq: i64) -> bool {
    let needle = format!("event {seq}");
    text.match_indices(&needle).any(|(i, _)| {
        !text[i + needle.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

// ---------------------------------------------------------------------------------------------
// deadline
// ---------------------------------------------------------------------------------------------

/// Runs `dsrflow deadline --json …` and returns the parsed object, asserting success.
fn deadline_json(dir: &Path, args: &[&str]) -> serde_json::Map<String, Value> {
    let mut all = vec!["deadline", "--json"];
    all.extend_from_slice(args);
    let out = run(dir, &all);
    assert!(
        out.status.success(),
        "dsrflow {all:?} failed: {}",
        show(&out)
    );
    let v: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("dsrflow {all:?} did not print JSON ({e}): {}", show(&out)));
    match v {
        Value::Object(map) => map,
        other => panic!("dsrflow {all:?} printed {other}, not an object"),
    }
}

#[test]
fn every_worked_example_of_the_legal_deadline_table_holds_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    // (received, regime, extra options, expected deadline): DEADLINES.md, "Worked examples".
    let examples: &[(&str, &str, &[&str], &str)] = &[
        ("2026-03-10T10:00:00+01:00", "gdpr", &[], "2026-04-10"),
        ("2026-09-03T09:00:00+02:00", "gdpr", &[], "2026-10-05"),
        ("2026-01-31T12:00:00+01:00", "gdpr", &[], "2026-03-02"),
        ("2028-01-31T12:00:00+01:00", "gdpr", &[], "2028-02-29"),
        ("2026-03-31T12:00:00+02:00", "gdpr", &[], "2026-04-30"),
        ("2026-03-06T12:00:00+01:00", "gdpr", &[], "2026-04-07"),
        ("2026-11-25T12:00:00+01:00", "gdpr", &[], "2026-12-28"),
        ("2026-03-09T23:30:00Z", "gdpr", &[], "2026-04-10"),
        (
            "2026-01-31T12:00:00+01:00",
            "gdpr",
            &["--extended"],
            "2026-04-30",
        ),
        (
            "2026-03-02T09:00:00+01:00",
            "gdpr",
            &["--pause", "2026-03-03..2026-03-12"],
            "2026-04-13",
        ),
        ("2026-09-03T09:00:00+01:00", "uk-gdpr", &[], "2026-10-05"),
        (
            "2026-01-31T09:00:00Z",
            "uk-gdpr",
            &["--identity-received", "2026-02-10"],
            "2026-03-10",
        ),
        ("2026-01-09", "ccpa", &[], "2026-02-23"),
    ];
    let mut failures = Vec::new();
    for &(received, regime, extra, expected) in examples {
        let mut args = vec!["--regime", regime, "--received", received];
        args.extend_from_slice(extra);
        let obj = deadline_json(dir.path(), &args);
        for key in [
            "regime",
            "receipt_day",
            "deadline",
            "deadline_end",
            "extension_notice_by",
        ] {
            if !obj.contains_key(key) {
                failures.push(format!("{args:?}: key {key:?} missing from {obj:?}"));
            }
        }
        if obj.get("regime") != Some(&Value::from(regime)) {
            failures.push(format!(
                "{args:?}: regime {:?}, expected {regime:?}",
                obj.get("regime")
            ));
        }
        if obj.get("deadline") != Some(&Value::from(expected)) {
            failures.push(format!(
                "{args:?}: deadline {:?}, expected {expected:?}",
                obj.get("deadline")
            ));
        }
        if extra.contains(&"--extended")
            && obj.get("extension_notice_by") != Some(&Value::from("2026-03-02"))
        {
            failures.push(format!(
                "{args:?}: extension_notice_by {:?}, expected \"2026-03-02\"",
                obj.get("extension_notice_by")
            ));
        }
        if received == "2026-03-09T23:30:00Z"
            && obj.get("receipt_day") != Some(&Value::from("2026-03-10"))
        {
            failures.push(format!(
                "{args:?}: receipt_day {:?}, expected \"2026-03-10\" (already 10 March in Brussels)",
                obj.get("receipt_day")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_period_of_a_gdpr_request_received_on_31_january_ends_at_midnight_brussels_time_on_2_march() {
    let dir = tempfile::tempdir().unwrap();
    let obj = deadline_json(
        dir.path(),
        &[
            "--regime",
            "gdpr",
            "--received",
            "2026-01-31T12:00:00+01:00",
        ],
    );
    assert_eq!(obj.get("deadline"), Some(&Value::from("2026-03-02")));
    assert_eq!(
        obj.get("deadline_end"),
        Some(&Value::from("2026-03-02T23:00:00Z")),
        "{obj:?}"
    );
}

#[test]
fn the_plain_text_deadline_output_names_the_deadline_day() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "deadline",
            "--regime",
            "gdpr",
            "--received",
            "2026-01-31T12:00:00+01:00",
        ],
    );
    assert!(out.status.success(), "{}", show(&out));
    let text = stdout(&out);
    let line = text
        .lines()
        .find(|l| l.starts_with("deadline:"))
        .unwrap_or_else(|| panic!("no deadline line in:\n{text}"));
    assert!(line.contains("2026-03-02"), "{line}");
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "text output must not be JSON:\n{text}"
    );
}

#[test]
fn an_unknown_regime_is_refused_with_the_list_of_valid_regimes() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &["deadline", "--regime", "eu", "--received", "2026-01-31"],
    );
    assert!(!out.status.success(), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("--regime"), "{err}");
    for regime in [
        "gdpr", "uk-gdpr", "ccpa", "vcdpa", "lgpd", "nfadp", "quebec",
    ] {
        assert!(err.contains(regime), "{regime} missing from: {err}");
    }
    assert!(stdout(&out).is_empty(), "{}", show(&out));
}

#[test]
fn a_received_value_that_is_not_a_date_is_refused_naming_the_option() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &["deadline", "--regime", "gdpr", "--received", "yesterday"],
    );
    assert!(!out.status.success(), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("--received"), "{err}");
    assert!(err.contains("yesterday"), "{err}");
    assert!(stdout(&out).is_empty(), "{}", show(&out));
}

#[test]
fn an_extension_under_a_regime_without_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "deadline",
            "--regime",
            "lgpd",
            "--received",
            "2026-01-31",
            "--extended",
        ],
    );
    assert!(!out.status.success(), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("extension"), "{err}");
    assert!(err.contains("lgpd"), "{err}");
    assert!(stdout(&out).is_empty(), "{}", show(&out));
}

#[test]
fn a_pause_answered_before_it_was_asked_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "deadline",
            "--regime",
            "gdpr",
            "--received",
            "2026-03-02T09:00:00+01:00",
            "--pause",
            "2026-03-12..2026-03-03",
        ],
    );
    assert!(!out.status.success(), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.to_lowercase().contains("pause"), "{err}");
    assert!(stdout(&out).is_empty(), "{}", show(&out));
}

// ---------------------------------------------------------------------------------------------
// migrate
// ---------------------------------------------------------------------------------------------

#[test]
fn migrating_the_same_sqlite_file_twice_succeeds_both_times() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path(), "x.db");
    let first = run(dir.path(), &["--database-url", &url, "migrate"]);
    assert!(first.status.success(), "first migrate: {}", show(&first));
    assert!(dir.path().join("x.db").is_file(), "x.db was not created");
    let second = run(dir.path(), &["--database-url", &url, "migrate"]);
    assert!(second.status.success(), "second migrate: {}", show(&second));
    assert!(
        stdout(&second).contains("migrations applied"),
        "{}",
        show(&second)
    );
}

// ---------------------------------------------------------------------------------------------
// token
// ---------------------------------------------------------------------------------------------

#[test]
fn creating_a_token_prints_exactly_one_line_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let url = migrated_db(dir.path());
    let out = run(
        dir.path(),
        &["--database-url", &url, "token", "create", "billing-app"],
    );
    assert!(out.status.success(), "{}", show(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{}", show(&out));
    assert!(lines[0].starts_with("dsr_"), "{}", show(&out));
    assert!(
        lines[0].len() > "dsr_".len() + 20,
        "token too short: {}",
        lines[0]
    );
    assert!(!lines[0].contains(char::is_whitespace), "{:?}", lines[0]);
}

#[test]
fn creating_a_token_with_a_taken_name_fails_without_printing_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let url = migrated_db(dir.path());
    let first = run(
        dir.path(),
        &["--database-url", &url, "token", "create", "billing-app"],
    );
    assert!(first.status.success(), "{}", show(&first));
    let again = run(
        dir.path(),
        &["--database-url", &url, "token", "create", "billing-app"],
    );
    assert!(!again.status.success(), "{}", show(&again));
    assert!(!stdout(&again).contains("dsr_"), "{}", show(&again));
    assert!(!stderr(&again).contains("dsr_"), "{}", show(&again));
    let err = stderr(&again);
    assert!(err.contains("already exists"), "{err}");
    assert!(err.contains("name"), "{err}");
}

#[test]
fn a_token_name_with_spaces_or_punctuation_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = migrated_db(dir.path());
    let out = run(
        dir.path(),
        &["--database-url", &url, "token", "create", "bad name!"],
    );
    assert!(!out.status.success(), "{}", show(&out));
    assert!(!stdout(&out).contains("dsr_"), "{}", show(&out));
    assert!(stderr(&out).contains("name"), "{}", show(&out));
    let list = run(dir.path(), &["--database-url", &url, "token", "list"]);
    assert!(list.status.success(), "{}", show(&list));
    assert!(!stdout(&list).contains("bad name"), "{}", show(&list));
}

#[test]
fn listing_tokens_shows_their_names_but_never_their_values() {
    let dir = tempfile::tempdir().unwrap();
    let url = migrated_db(dir.path());
    let created = run(
        dir.path(),
        &["--database-url", &url, "token", "create", "billing-app"],
    );
    assert!(created.status.success(), "{}", show(&created));
    let secret = stdout(&created).trim().to_owned();
    assert!(secret.starts_with("dsr_"), "{}", show(&created));

    let list = run(dir.path(), &["--database-url", &url, "token", "list"]);
    assert!(list.status.success(), "{}", show(&list));
    let text = stdout(&list);
    assert!(
        text.lines()
            .any(|l| l.split('\t').next() == Some("billing-app")),
        "{text}"
    );
    assert!(
        !text.contains(&secret),
        "token list shows the token:\n{text}"
    );
    assert!(!stderr(&list).contains(&secret), "{}", show(&list));
}

// ---------------------------------------------------------------------------------------------
// audit verify
// ---------------------------------------------------------------------------------------------

/// Runs raw SQL against the database at `url`, as a tamperer would.
async fn tamper(url: &str, sql: &str) {
    let store = Store::connect(url).await.expect("connect");
    let db = store.db();
    let result = db
        .execute_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .expect("tamper");
    assert_eq!(result.rows_affected(), 1, "{sql} must change one row");
    store.close().await.expect("close");
}

/// The highest audit sequence number in the database at `url`.
async fn max_seq(url: &str) -> i64 {
    let store = Store::connect(url).await.expect("connect");
    let db = store.db();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT MAX(seq) AS m FROM audit_event".to_owned(),
        ))
        .await
        .expect("query")
        .expect("one row");
    let m: i64 = row.try_get("", "m").expect("max seq");
    store.close().await.expect("close");
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_says_a_fresh_trail_is_intact() {
    let dir = tempfile::tempdir().unwrap();
    let url = migrated_db(dir.path());
    let created = run_async(
        dir.path(),
        &["--database-url", &url, "token", "create", "billing-app"],
    )
    .await;
    assert!(created.status.success(), "{}", show(&created));
    let out = run_async(dir.path(), &["--database-url", &url, "audit", "verify"]).await;
    assert!(out.status.success(), "{}", show(&out));
    assert!(stdout(&out).contains("intact"), "{}", show(&out));
    assert!(!stdout(&out).contains("BROKEN"), "{}", show(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_fails_and_names_the_event_whose_data_was_edited() {
    let dir = tempfile::tempdir().unwrap();
    let url = migrated_db(dir.path());
    let created = run_async(
        dir.path(),
        &["--database-url", &url, "token", "create", "billing-app"],
    )
    .await;
    assert!(created.status.success(), "{}", show(&created));

    tamper(&url, "UPDATE audit_event SET data = '{}' WHERE seq = 1").await;

    let out = run_async(dir.path(), &["--database-url", &url, "audit", "verify"]).await;
    assert!(!out.status.success(), "{}", show(&out));
    let text = stdout(&out);
    assert!(names_event(&text, 1), "{}", show(&out));
    assert!(!text.contains("intact"), "{}", show(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_fails_and_names_the_newest_event_when_it_was_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let url = migrated_db(dir.path());
    for name in ["billing-app", "crm"] {
        let created = run_async(
            dir.path(),
            &["--database-url", &url, "token", "create", name],
        )
        .await;
        assert!(created.status.success(), "{}", show(&created));
    }
    let newest = max_seq(&url).await;
    assert!(
        newest >= 2,
        "expected two token events, newest seq is {newest}"
    );

    tamper(
        &url,
        "DELETE FROM audit_event WHERE seq = (SELECT MAX(seq) FROM audit_event)",
    )
    .await;

    let out = run_async(dir.path(), &["--database-url", &url, "audit", "verify"]).await;
    assert!(!out.status.success(), "{}", show(&out));
    let text = stdout(&out);
    assert!(
        names_event(&text, newest),
        "event {newest} not named: {}",
        show(&out)
    );
    assert!(!text.contains("intact"), "{}", show(&out));
}

// ---------------------------------------------------------------------------------------------
// configuration
// ---------------------------------------------------------------------------------------------

#[test]
fn a_config_file_with_an_unknown_time_zone_fails_at_start_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dsrflow.toml");
    std::fs::write(&file, "[controller]\ntime_zone = \"Mars/Olympus\"\n").unwrap();
    let url = sqlite_url(dir.path(), "x.db");
    let out = run(
        dir.path(),
        &[
            "--config",
            file.to_str().unwrap(),
            "--database-url",
            &url,
            "migrate",
        ],
    );
    assert!(!out.status.success(), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("controller.time_zone"), "{err}");
    assert!(err.contains("Mars/Olympus"), "{err}");
    assert!(
        !dir.path().join("x.db").exists(),
        "the database was opened despite the invalid configuration"
    );
}

#[test]
fn an_invalid_regime_from_the_environment_fails_at_start_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path(), "x.db");
    let out = dsrflow(dir.path())
        .env("DSRFLOW_CONTROLLER__REGIME", "nope")
        .args(["--database-url", &url, "migrate"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("controller.regime"), "{err}");
    assert!(err.contains("nope"), "{err}");
    assert!(!dir.path().join("x.db").exists(), "the database was opened");
}

#[test]
fn a_config_file_that_does_not_exist_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-config.toml");
    let url = sqlite_url(dir.path(), "x.db");
    let out = run(
        dir.path(),
        &[
            "--config",
            missing.to_str().unwrap(),
            "--database-url",
            &url,
            "migrate",
        ],
    );
    assert!(!out.status.success(), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("no-such-config.toml"), "{err}");
    assert!(err.contains("does not exist"), "{err}");
    assert!(!dir.path().join("x.db").exists(), "the database was opened");
}

// ---------------------------------------------------------------------------------------------
// serve
// ---------------------------------------------------------------------------------------------

/// A running `dsrflow serve`, killed when dropped.
struct Server {
    child: tokio::process::Child,
    addr: String,
    stderr: tokio::task::JoinHandle<String>,
}

impl Server {
    /// Spawns `cmd` (a `serve` command) and waits for its "listening" line on stdout.
    async fn spawn(cmd: std::process::Command) -> Server {
        let mut cmd = tokio::process::Command::from(cmd);
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("spawn dsrflow serve");
        let mut err_pipe = child.stderr.take().expect("stderr");
        let stderr = tokio::spawn(async move {
            let mut s = String::new();
            let _ = err_pipe.read_to_string(&mut s).await;
            s
        });
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = tokio::time::timeout(STARTUP_TIMEOUT, lines.next_line()).await;
        let line = match first {
            Ok(Ok(Some(line))) => line,
            other => {
                let _ = child.kill().await;
                let err = stderr.await.unwrap_or_default();
                panic!("dsrflow serve printed no first line ({other:?}); stderr:\n{err}");
            }
        };
        let Some(addr) = line.strip_prefix("dsrflow listening on http://") else {
            let _ = child.kill().await;
            let err = stderr.await.unwrap_or_default();
            panic!("unexpected first line {line:?}; stderr:\n{err}");
        };
        let addr = addr.trim().to_owned();
        Server {
            child,
            addr,
            stderr,
        }
    }

    /// Stops the server; returns what it wrote to stderr (its log).
    async fn stop(mut self) -> String {
        self.child.kill().await.expect("kill dsrflow serve");
        self.stderr.await.unwrap_or_default()
    }
}

/// GET /healthz; asserts 200 and `"status":"ok"`.
async fn assert_healthy(addr: &str) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let resp = reqwest::Client::new()
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .expect("GET /healthz");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json body");
    assert_eq!(body["status"], "ok", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_no_configuration_answers_healthz_and_creates_dsrflow_db_in_the_working_directory()
 {
    let dir = tempfile::tempdir().unwrap();
    assert!(!dir.path().join("dsrflow.db").exists());
    let mut cmd = dsrflow(dir.path());
    cmd.args(["serve", "--listen", "127.0.0.1:0"]);
    let server = Server::spawn(cmd).await;
    assert!(server.addr.starts_with("127.0.0.1:"), "{}", server.addr);
    assert!(!server.addr.ends_with(":0"), "{}", server.addr);

    assert_healthy(&server.addr).await;
    assert!(
        dir.path().join("dsrflow.db").is_file(),
        "dsrflow.db was not created in the working directory"
    );
    let log = server.stop().await;
    assert!(log.contains("dsrflow listening"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "a log written to a pipe carries no colour codes:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_takes_its_listen_address_from_dsrflow_listen() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path(), "x.db");
    let mut cmd = dsrflow(dir.path());
    cmd.env("DSRFLOW_LISTEN", "127.0.0.1:0")
        .args(["--database-url", &url, "serve"]);
    let server = Server::spawn(cmd).await;
    assert!(server.addr.starts_with("127.0.0.1:"), "{}", server.addr);
    // The default is 127.0.0.1:8080; port 0 must have been given an ephemeral port.
    let port: u16 = server
        .addr
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    assert_ne!(port, 8080, "DSRFLOW_LISTEN was ignored");
    assert_ne!(port, 0);

    assert_healthy(&server.addr).await;
    assert!(dir.path().join("x.db").is_file(), "x.db was not created");
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// --help
// ---------------------------------------------------------------------------------------------

#[test]
fn help_lists_every_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["--help"]);
    assert!(out.status.success(), "{}", show(&out));
    let text = stdout(&out);
    for cmd in ["serve", "migrate", "deadline", "token", "audit"] {
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().next() == Some(cmd)),
            "{cmd} not listed in:\n{text}"
        );
    }
}

#[test]
fn reminders_run_lists_what_is_due_without_sending_on_a_dry_run() {
    let dir = tempfile::tempdir().unwrap();
    let url = migrated_db(dir.path());
    let out = run(
        dir.path(),
        &[
            "--database-url",
            &url,
            "reminders",
            "run",
            "--as-of",
            "2026-03-03",
            "--dry-run",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", show(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["notices"], serde_json::json!([]));
    assert_eq!(v["as_of"], "2026-03-03T08:00:00Z");
    let bad = run(
        dir.path(),
        &[
            "--database-url",
            &url,
            "reminders",
            "run",
            "--as-of",
            "soon",
        ],
    );
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("--as-of"), "{}", show(&bad));
}

#[test]
fn serve_refuses_to_start_with_a_broken_page_override_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("pages");
    std::fs::create_dir_all(pages.join("i18n")).unwrap();
    std::fs::write(pages.join("i18n/fr.toml"), "[form]\ntitle = 3\n").unwrap();
    let file = dir.path().join("dsrflow.toml");
    std::fs::write(
        &file,
        format!("[form]\ntemplates_dir = {:?}\n", pages.to_str().unwrap()),
    )
    .unwrap();
    let url = sqlite_url(dir.path(), "x.db");
    let args = [
        "--config",
        file.to_str().unwrap(),
        "--database-url",
        &url,
        "serve",
        "--listen",
        "127.0.0.1:0",
    ];
    let out = run(dir.path(), &args);
    assert!(!out.status.success(), "{}", show(&out));
    let err = stderr(&out);
    assert!(
        err.contains("invalid configuration: form.templates_dir"),
        "{err}"
    );
    assert!(
        err.contains("i18n/fr.toml") && err.contains("form.title"),
        "{err}"
    );
    assert!(
        !dir.path().join("x.db").exists(),
        "the database was opened despite the broken pages"
    );
}

/// TLS on a loopback connection protects nothing and costs CPU on both ends: dsrflow skips it
/// there unless the URL (or `PGSSLMODE`) names a mode.
#[tokio::test]
#[ignore = "needs PostgreSQL: set DSRFLOW_TEST_POSTGRES_URL (.ci/run does)"]
async fn a_loopback_postgres_connection_skips_tls_unless_the_url_asks_for_it() {
    use dsrflow_store::Store;
    use dsrflow_store::sea_orm::{ConnectionTrait, Statement};
    let url = std::env::var("DSRFLOW_TEST_POSTGRES_URL")
        .expect("this test needs PostgreSQL: set DSRFLOW_TEST_POSTGRES_URL");
    assert!(
        std::env::var_os("PGSSLMODE").is_none(),
        "PGSSLMODE is set and would decide the TLS mode: unset it to run this test"
    );
    async fn uses_tls(store: &Store) -> bool {
        let row = store
            .db()
            .query_one_raw(Statement::from_string(
                store.backend(),
                "SELECT coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false) AS tls",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<bool>("", "tls").unwrap()
    }
    let plain = Store::connect(&url).await.unwrap();
    assert!(!uses_tls(&plain).await, "no TLS to {url}");
    let server_tls = {
        let row = plain
            .db()
            .query_one_raw(Statement::from_string(plain.backend(), "SHOW ssl"))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<String>("", "ssl").unwrap() == "on"
    };
    if server_tls {
        let sep = if url.contains('?') { '&' } else { '?' };
        let asked = Store::connect(&format!("{url}{sep}sslmode=require"))
            .await
            .unwrap();
        assert!(uses_tls(&asked).await, "the URL's sslmode is honoured");
    }
}
