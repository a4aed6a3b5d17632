//! The operator's command line beside a running installation: `key generate`, read-only
//! commands that never create a database, `request list|show`, the start page, `--help`.

use std::path::Path;
use std::process::{Output, Stdio};

use serde_json::{Value, json};

use crate::support::{Backend, TestApp};

/// `dsrflow args…` in `dir`, with a clean environment.
fn dsrflow(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_dsrflow"));
    cmd.current_dir(dir).args(args).stdin(Stdio::null());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("DSRFLOW_") {
            cmd.env_remove(key);
        }
    }
    cmd.output().expect("run dsrflow")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn key_generate_prints_a_new_key_once_with_how_to_store_it() {
    let dir = tempfile::tempdir().unwrap();
    let a = dsrflow(dir.path(), &["key", "generate"]);
    let b = dsrflow(dir.path(), &["key", "generate"]);
    assert!(a.status.success(), "{}", text(&a.stderr));
    let key = text(&a.stdout);
    assert_eq!(key.lines().count(), 1, "only the key on stdout: {key}");
    let bytes = base64_len(key.trim());
    assert_eq!(bytes, Some(32), "{key}");
    assert_ne!(key, text(&b.stdout), "every key is new");
    let help = text(&a.stderr);
    assert!(
        help.contains("DSRFLOW_DATA_KEY") && help.contains("back it up"),
        "{help}"
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing is written"
    );
}

/// The decoded length of standard base64 with padding.
fn base64_len(s: &str) -> Option<usize> {
    let valid = s.len().is_multiple_of(4)
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c));
    valid.then(|| s.len() / 4 * 3 - s.chars().filter(|c| *c == '=').count())
}

#[test]
fn postgres_without_a_data_key_says_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dsrflow(
        dir.path(),
        &[
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
            "worker",
        ],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("dsrflow key generate"), "{err}");
    assert!(err.contains("env:DSRFLOW_DATA_KEY"), "{err}");
}

#[test]
fn read_only_commands_on_a_missing_database_exit_2_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("typo.db").display());
    for args in [
        vec!["audit", "verify"],
        vec!["token", "list"],
        vec!["request", "list"],
        vec!["request", "show", "DSR-ABCDEFGH"],
        vec!["mail", "list", "--failed"],
        vec!["inbox", "review"],
        vec!["reminders", "run", "--dry-run"],
        vec!["token", "create", "billing-app"],
    ] {
        let mut all = vec!["--database-url", url.as_str()];
        all.extend(&args);
        let out = dsrflow(dir.path(), &all);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let err = text(&out.stderr);
        assert!(
            err.contains("no database at") && err.contains("typo.db"),
            "{args:?}: {err}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "{args:?} created {left:?}");
    }
}

#[test]
fn help_describes_the_product_first() {
    let dir = tempfile::tempdir().unwrap();
    let out = dsrflow(dir.path(), &["--help"]);
    let help = text(&out.stdout);
    assert!(
        help.starts_with("dsrflow answers the requests people make about their personal data"),
        "{help}"
    );
    assert!(!help.contains("wiring"), "{help}");
    for cmd in ["request", "mail", "key"] {
        assert!(
            help.lines()
                .any(|l| l.split_whitespace().next() == Some(cmd)),
            "{cmd} not listed:\n{help}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_list_and_show_mask_the_subject_and_a_reveal_is_audited() {
    let t = TestApp::start(Backend::Sqlite, "2026-02-10T09:00:00Z")
        .await
        .unwrap();
    let first = t
        .create(json!({"kind": "erasure", "subject": {"email": "alice@example.com", "name": "Alice Martin"},
            "received_at": "2026-02-02T10:00:00+01:00"}))
        .await;
    let _second = t
        .create(json!({"kind": "access", "subject": {"email": "bob@example.org"}}))
        .await;
    let reference = first["reference"].as_str().unwrap();
    let url = t.db_url().to_owned();
    let cli = |args: &[&str]| {
        let mut all = vec!["--database-url", url.as_str()];
        all.extend(args);
        dsrflow(t.dir.path(), &all)
    };

    let list = cli(&["request", "list", "--open"]);
    let table = text(&list.stdout);
    assert!(list.status.success(), "{}", text(&list.stderr));
    assert_eq!(
        table.lines().count(),
        3,
        "a header and two requests:\n{table}"
    );
    let first_row = table.lines().nth(1).unwrap();
    assert!(
        first_row.starts_with(reference),
        "soonest deadline first:\n{table}"
    );
    assert!(
        first_row.contains("erasure") && first_row.contains("2026-03-02"),
        "{table}"
    );
    assert!(
        !table.contains("alice@") && table.contains("a***@e***.com"),
        "{table}"
    );

    let due = cli(&["request", "list", "--due-before", "2026-03-05", "--json"]);
    let lines: Vec<Value> = text(&due.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "only the request due before 5 March");
    assert_eq!(lines[0]["reference"], reference);
    let bad = cli(&["request", "list", "--due-before", "soon"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("--due-before"),
        "{}",
        text(&bad.stderr)
    );

    let shown = cli(&["request", "show", &reference.to_ascii_lowercase()]);
    let out = text(&shown.stdout);
    assert!(
        out.contains("a***@e***.com (A*** M***)") && !out.contains("alice@"),
        "{out}"
    );
    let id: uuid::Uuid = first["id"].as_str().unwrap().parse().unwrap();
    let reveals = || async {
        dsrflow_store::audit::for_request(t.app.store.db(), id)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.action == "subject.revealed")
            .count()
    };
    assert_eq!(reveals().await, 0, "a masked view is not recorded");
    let revealed = cli(&["request", "show", reference, "--reveal", "--json"]);
    let v: Value = serde_json::from_slice(&revealed.stdout).unwrap();
    assert_eq!(v["subject"]["email"], "alice@example.com");
    assert_eq!(v["subject"]["name"], "Alice Martin");
    assert_eq!(reveals().await, 1, "the reveal is in the audit trail");

    let unknown = cli(&["request", "show", "DSR-NOTHERE"]);
    assert_eq!(unknown.status.code(), Some(2));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_start_page_links_the_form_the_api_document_and_health_in_each_language() {
    let t = TestApp::start(Backend::Sqlite, "2026-02-10T09:00:00Z")
        .await
        .unwrap();
    for (lang, title, intro, form) in [
        (
            "en",
            "Your personal data at the controller",
            "which personal data it holds about you and for a copy, have it corrected or erased, and object to its use. Making a request is free of charge.",
            "Make a request",
        ),
        (
            "fr",
            "Vos données personnelles chez the controller",
            "quelles données personnelles elle détient sur vous et en obtenir une copie, les faire rectifier ou effacer, et vous opposer à leur utilisation. Faire une demande est gratuit.",
            "Faire une demande",
        ),
        (
            "nl",
            "Uw persoonsgegevens bij the controller",
            "welke persoonsgegevens zij over u bewaart en er een kopie van krijgen, ze laten verbeteren of wissen, en bezwaar maken tegen het gebruik ervan. Een verzoek indienen is gratis.",
            "Een verzoek indienen",
        ),
    ] {
        let resp = t
            .client
            .get(t.url(&format!("/?lang={lang}")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = resp.text().await.unwrap();
        for expected in [
            format!("<html lang=\"{lang}\">"),
            title.to_owned(),
            intro.replace('\'', "&#x27;"),
            format!("<a class=\"button\" href=\"/request\">{form}</a>"),
            "href=\"/api/openapi.json\"".to_owned(),
            "href=\"/healthz\"".to_owned(),
        ] {
            assert!(
                html.contains(&expected),
                "{lang}: {expected:?} not in\n{html}"
            );
        }
    }
    t.stop().await;
}
