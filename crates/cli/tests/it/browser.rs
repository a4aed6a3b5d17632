//! The public pages in a real browser: headless Chromium driven over WebDriver (chromedriver,
//! installed with Debian's `chromium-driver` by `.ci/run`), mail delivered over real SMTP to
//! an aiosmtpd sink. A person fills in the form, receives the confirmation mail, follows the
//! link, confirms, and sees the status page change; bad input shows the field errors. Every
//! page is saved as a PNG screenshot for review in `target/tmp/screenshots/`.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::support::{Backend, TestApp};

/// Where the screenshots go (kept after the run for review).
fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Fails the test, naming what to install, when a tool is missing (the browser test is
/// ignored unless asked for, so it never passes without running).
fn require_tools() {
    let python = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        python,
        "this test needs Python's aiosmtpd: pip install aiosmtpd (.ci/run does)"
    );
    for (tool, path) in [
        ("chromium", "/usr/bin/chromium"),
        ("chromedriver", "/usr/bin/chromedriver"),
    ] {
        assert!(
            Path::new(path).is_file(),
            "this test needs {tool} at {path}: apt-get install chromium chromium-driver (.ci/run does)"
        );
    }
}

/// A child process killed on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// The SMTP sink of the mail crate's tests: every message lands as a `.eml` file in `out`.
fn start_smtp_sink(dir: &Path) -> (Proc, u16, PathBuf) {
    let script = dir.join("smtp_sink.py");
    std::fs::write(&script, include_str!("../../../mail/tests/it/smtp_sink.py")).unwrap();
    let out = dir.join("received");
    let mut child = Command::new("python3")
        .arg(&script)
        .arg(&out)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .trim()
        .strip_prefix("PORT ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("the SMTP sink printed {line:?}"));
    wait_for_port(port, "the SMTP sink");
    (Proc(child), port, out)
}

/// Every message the sink received, parsed, oldest first.
fn received(out: &Path) -> Vec<dsrflow_mail::inbound::Inbound> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(out)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    files.sort_by_key(|p| {
        p.file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0)
    });
    files
        .iter()
        .map(|p| dsrflow_mail::inbound::parse(&std::fs::read(p).unwrap(), None).unwrap())
        .collect()
}

struct Browser {
    client: Client,
    _driver: Proc,
}

async fn start_browser() -> Browser {
    let port = free_port();
    let driver = Proc(
        Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port, "chromedriver");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--lang=en-GB"],
        }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session");
    Browser {
        client,
        _driver: driver,
    }
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

/// The text of an element, waiting (within a deadline) for it to appear: a click that submits
/// a form returns before the next page has loaded.
async fn text_of(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .text()
        .await
        .unwrap()
}

/// Waits (within a deadline) until the browser is at a path starting with `prefix`.
async fn wait_for_path(c: &Client, prefix: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = c.current_url().await.unwrap();
        if url.path().starts_with(prefix) {
            return url.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "still at {url}, expected {prefix}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium, chromedriver and Python's aiosmtpd (.ci/run installs them)"]
async fn a_person_asks_confirms_by_mail_and_follows_the_request_in_a_real_browser() {
    require_tools();
    let mut t = TestApp::start(Backend::Sqlite, "2026-03-02T09:00:00Z")
        .await
        .unwrap();
    let (_sink, smtp_port, inbox) = start_smtp_sink(t.dir.path());
    let transport = dsrflow_mail::Transport::from_settings(
        Some(&format!("smtp://127.0.0.1:{smtp_port}")),
        t.dir.path().join("unused"),
    )
    .unwrap();
    let mailer = dsrflow_mail::Mailer::new(
        transport,
        dsrflow_mail::parse_mailbox("Hostodoo privacy <privacy@hostodoo.example>").unwrap(),
    );
    t.app = t
        .app
        .clone()
        .with_mailer(Arc::new(dsrflow_app::outbox::Mailer(mailer)));
    let browser = start_browser().await;
    let c = &browser.client;

    // The form, in French (the language switcher's link).
    c.goto(&t.url("/request?lang=fr")).await.unwrap();
    assert_eq!(
        c.find(Locator::Css("html"))
            .await
            .unwrap()
            .attr("lang")
            .await
            .unwrap()
            .as_deref(),
        Some("fr")
    );
    screenshot(c, "form-fr").await;

    // Bad input first: no right chosen, a broken address. The errors sit next to the fields
    // and what was typed is kept.
    c.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys("alice@")
        .await
        .unwrap();
    c.find(Locator::Id("name"))
        .await
        .unwrap()
        .send_keys("Alice Martin")
        .await
        .unwrap();
    c.find(Locator::Css("form[action='/request'] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let summary = text_of(c, ".error-summary").await;
    assert!(!summary.is_empty());
    assert!(
        c.find(Locator::Id("email-error")).await.is_ok(),
        "an error next to the address"
    );
    assert!(
        c.find(Locator::Id("kind-error")).await.is_ok(),
        "an error next to the rights"
    );
    assert_eq!(
        c.find(Locator::Id("name"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Alice Martin"),
        "the input is kept"
    );
    screenshot(c, "form-errors-fr").await;
    assert_eq!(t.count_requests().await, 0, "nothing stored on bad input");

    // Now correctly: two rights and the address.
    let email = c.find(Locator::Id("email")).await.unwrap();
    email.clear().await.unwrap();
    email.send_keys("alice@example.com").await.unwrap();
    for id in ["kind-access", "kind-erasure"] {
        c.find(Locator::Id(id))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    c.find(Locator::Css("form[action='/request'] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(c, "/request/sent").await;
    screenshot(c, "sent-fr").await;
    assert_eq!(t.count_requests().await, 2);

    // The mail goes out over SMTP: two acknowledgements and one confirmation link, in French.
    t.drain().await;
    let mails = received(&inbox);
    assert_eq!(mails.len(), 3, "{} messages", mails.len());
    let verify = mails
        .iter()
        .find(|m| m.text().contains("/verify/"))
        .expect("the confirmation mail");
    assert!(
        verify
            .subject()
            .unwrap_or_default()
            .contains("Veuillez confirmer")
    );
    let text = verify.text();
    let start = text.find("http://").unwrap();
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    assert!(link.contains("/verify/"), "{link}");

    // Following the link shows what will be confirmed; only the button confirms.
    c.goto(&link).await.unwrap();
    assert!(text_of(c, "h1").await.contains("Confirmez"));
    screenshot(c, "verify-fr").await;
    let requests: serde_json::Value = t.get("/api/v1/requests").await.json().await.unwrap();
    for r in requests["items"].as_array().unwrap() {
        assert_eq!(r["status"], "awaiting_verification");
    }
    c.find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The status page, in progress.
    let status_url = wait_for_path(c, "/status/").await;
    let state = text_of(c, "main").await;
    assert!(state.contains("En cours"), "{state}");
    screenshot(c, "status-in-progress-fr").await;

    // The work runs; reloading shows the next step.
    t.drain().await;
    c.goto(&status_url).await.unwrap();
    let state = text_of(c, "main").await;
    assert!(state.contains("Presque terminée"), "{state}");
    screenshot(c, "status-review-fr").await;

    // The link a second time: refused, with a way to the status page.
    c.goto(&link).await.unwrap();
    assert!(text_of(c, "h1").await.contains("Déjà confirmée"));
    screenshot(c, "verify-used-fr").await;

    browser.client.close().await.unwrap();
    t.stop().await;
}
