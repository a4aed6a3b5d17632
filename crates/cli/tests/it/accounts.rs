//! Dashboard accounts from the command line: `dsrflow user add|list|disable|passwd`, and the
//! admin a server creates on its first start.

use std::io::Write;
use std::process::Stdio;

use crate::cli::{dsrflow, migrated_db, run, show, stderr, stdout};

/// Runs `dsrflow args…` with `input` on standard input.
fn run_with_stdin(dir: &std::path::Path, args: &[&str], input: &str) -> std::process::Output {
    let mut child = dsrflow(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn accounts_are_added_listed_disabled_and_given_new_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let url = migrated_db(dir.path());
    let db = ["--database-url", url.as_str()];
    fn with<'a>(db: &[&'a str; 2], rest: &[&'a str]) -> Vec<&'a str> {
        db.iter().chain(rest).copied().collect()
    }

    // Generated: printed once on stdout, alone.
    let out = run(
        dir.path(),
        &with(
            &db,
            &[
                "user",
                "add",
                "Officer@Hostodoo.example",
                "--role",
                "officer",
            ],
        ),
    );
    assert!(out.status.success(), "{}", show(&out));
    let generated = stdout(&out);
    assert_eq!(generated.lines().count(), 1, "{}", show(&out));
    assert_eq!(generated.trim().len(), 24, "{}", show(&out));
    // Chosen: read from standard input, never printed.
    let out = run_with_stdin(
        dir.path(),
        &with(
            &db,
            &["user", "add", "viewer@hostodoo.example", "--role", "viewer"],
        ),
        "a long enough passphrase\n",
    );
    assert!(out.status.success(), "{}", show(&out));
    assert!(stdout(&out).is_empty(), "{}", show(&out));
    assert!(!stderr(&out).contains("passphrase"), "{}", show(&out));
    // Bad input: changes nothing, says why.
    for (args, input, why) in [
        (
            vec!["user", "add", "x@hostodoo.example", "--role", "root"],
            "",
            "expected admin, officer or viewer",
        ),
        (
            vec!["user", "add", "not-an-address", "--role", "viewer"],
            "",
            "email",
        ),
        (
            vec!["user", "add", "y@hostodoo.example", "--role", "viewer"],
            "short\n",
            "12 to 200 characters",
        ),
        (
            vec!["user", "add", "officer@hostodoo.example", "--role", "admin"],
            "",
            "already exists",
        ),
    ] {
        let out = run_with_stdin(dir.path(), &with(&db, &args), input);
        assert!(!out.status.success(), "{args:?}: {}", show(&out));
        assert!(stderr(&out).contains(why), "{args:?}: {}", show(&out));
        assert!(stdout(&out).is_empty(), "{args:?}: {}", show(&out));
    }
    let list = stdout(&run(dir.path(), &with(&db, &["user", "list"])));
    assert_eq!(
        list,
        "officer@hostodoo.example\tofficer\tactive\nviewer@hostodoo.example\tviewer\tactive\n"
    );
    // The password is stored as an argon2id hash only.
    let raw = std::fs::read(dir.path().join("x.db")).unwrap();
    let raw = String::from_utf8_lossy(&raw);
    assert!(raw.contains("$argon2id$"));
    assert!(!raw.contains(generated.trim()) && !raw.contains("a long enough passphrase"));

    let out = run(
        dir.path(),
        &with(&db, &["user", "disable", "VIEWER@hostodoo.example"]),
    );
    assert!(out.status.success(), "{}", show(&out));
    let again = run(
        dir.path(),
        &with(&db, &["user", "disable", "viewer@hostodoo.example"]),
    );
    assert!(!again.status.success(), "{}", show(&again));
    assert!(stdout(&run(dir.path(), &with(&db, &["user", "list"]))).contains("viewer\tdisabled"));

    let out = run(
        dir.path(),
        &with(&db, &["user", "passwd", "officer@hostodoo.example"]),
    );
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(stdout(&out).trim().len(), 24);
    assert_ne!(stdout(&out), generated);
    let unknown = run(
        dir.path(),
        &with(&db, &["user", "passwd", "nobody@hostodoo.example"]),
    );
    assert!(!unknown.status.success(), "{}", show(&unknown));

    // Each change is in the audit trail, naming the account by id, never by address.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let events = rt.block_on(crate::support::sqlite_column(
        &url,
        "SELECT action || ' ' || data FROM audit_event ORDER BY seq",
    ));
    let events: Vec<String> = events.into_iter().flatten().collect();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "account.created",
            "account.created",
            "account.disabled",
            "account.password_changed"
        ]
    );
    assert!(
        events.iter().all(|e| !e.contains("hostodoo.example")),
        "{events:?}"
    );
}

/// Starts `serve` on a fresh port in `dir`, waits for /healthz, stops it; returns its stdout.
async fn serve_once(dir: &std::path::Path) -> String {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
    let mut cmd = tokio::process::Command::from(dsrflow(dir));
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut child = cmd.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(60),
        out.read_line(&mut first),
    )
    .await
    .expect("serve starts within a minute")
    .unwrap();
    let addr = first
        .trim()
        .strip_prefix("dsrflow listening on ")
        .unwrap_or_else(|| panic!("{first:?}"))
        .to_owned();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let health = reqwest::get(format!("{addr}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    child.kill().await.unwrap();
    let mut rest = String::new();
    out.read_to_string(&mut rest).await.unwrap();
    first + &rest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_start_creates_an_admin_and_prints_its_password_once() {
    let dir = tempfile::tempdir().unwrap();
    let first = serve_once(dir.path()).await;
    let line = first
        .lines()
        .find(|l| l.starts_with("first start: created the admin account"))
        .unwrap_or_else(|| panic!("{first}"));
    let password = line.rsplit(' ').next().unwrap();
    assert_eq!(password.len(), 24, "{line}");
    // With no configuration (no officer or contact address) the admin has a placeholder login.
    assert!(line.contains("account admin@dsrflow.invalid"), "{line}");
    let again = serve_once(dir.path()).await;
    assert!(!again.contains("first start"), "{again}");
    assert!(!again.contains(password), "{again}");
    let url = format!("sqlite://{}", dir.path().join("dsrflow.db").display());
    let list = stdout(&run(dir.path(), &["--database-url", &url, "user", "list"]));
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(list.contains("\tadmin\tactive"), "{list}");
}
