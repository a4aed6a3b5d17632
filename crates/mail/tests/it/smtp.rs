//! A real SMTP round trip against aiosmtpd (ignored unless asked for: it needs Python's
//! aiosmtpd, which `.ci/run` installs).

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use dsrflow_mail::{MailError, SmtpRelay, Transport, TransportKind};
use mail_parser::MessageParser;

use crate::support::REFERENCE;
use crate::transport::{assert_delivered, mailer, outgoing};

const REJECTED: &str = "nobody@example.org";
const BUSY: &str = "busy@example.org";

/// The sink process; killed and reaped on drop.
struct Sink {
    child: Child,
    port: u16,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Fails the test, saying what to install, when Python's aiosmtpd is missing (these tests are
/// ignored unless asked for, so they never pass without running).
fn require_aiosmtpd() {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "this test needs Python's aiosmtpd: pip install aiosmtpd (.ci/run does)"
    );
}

/// Starts the sink, reads the port it prints, then waits until a TCP connect succeeds, all
/// within a deadline (never a fixed sleep).
fn start_sink() -> Sink {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("smtp_sink.py");
    std::fs::write(&script, include_str!("smtp_sink.py")).unwrap();
    let out = dir.path().join("received");
    let mut child = Command::new("python3")
        .arg(&script)
        .arg(&out)
        .args(["--reject", REJECTED, "--tempfail", BUSY])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);

    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .unwrap_or_default();
    let port: u16 = match line
        .trim()
        .strip_prefix("PORT ")
        .and_then(|p| p.parse().ok())
    {
        Some(port) => port,
        None => {
            let _ = child.kill();
            panic!("the SMTP sink did not start (printed {line:?})");
        }
    };
    let sink = Sink {
        child,
        port,
        out,
        _dir: dir,
    };
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return sink;
        }
        assert!(
            Instant::now() < deadline,
            "the SMTP sink never accepted connections"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn received(out: &Path) -> Vec<(Vec<u8>, String)> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(out)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    names.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    names.sort();
    names
        .into_iter()
        .map(|p| {
            let env = std::fs::read_to_string(p.with_extension("env")).unwrap();
            (std::fs::read(&p).unwrap(), env)
        })
        .collect()
}

#[tokio::test]
#[ignore = "needs Python\'s aiosmtpd: pip install aiosmtpd (.ci/run does)"]
async fn a_message_sent_over_smtp_arrives_with_both_parts_and_the_headers() {
    require_aiosmtpd();
    let sink = start_sink();
    let relay = SmtpRelay::from_url(&format!("smtp://127.0.0.1:{}", sink.port)).unwrap();
    relay.test_connection().await.unwrap();
    let m = mailer(Transport::Smtp(relay));

    let info = m.send(&outgoing("zoe@example.org")).await.unwrap();

    assert_eq!(info.transport, TransportKind::Smtp);
    assert!(info.detail.starts_with("250"), "{}", info.detail);
    let got = received(&sink.out);
    assert_eq!(got.len(), 1);
    let (raw, envelope) = &got[0];
    assert_eq!(envelope, "privacy@example.com\nzoe@example.org\n");
    assert_delivered(raw, "zoe@example.org");
    let parsed = MessageParser::default().parse(raw).unwrap();
    assert!(
        parsed
            .subject()
            .unwrap()
            .contains(&format!("[{REFERENCE}]"))
    );
    let text = parsed.body_text(0).unwrap();
    let link = text
        .lines()
        .find(|l| l.contains("/status/"))
        .expect("the status link is in the text part");
    assert!(
        link.trim()
            .starts_with("https://privacy.example.com/status/"),
        "{link}"
    );
}

#[tokio::test]
#[ignore = "needs Python\'s aiosmtpd: pip install aiosmtpd (.ci/run does)"]
async fn a_550_reply_is_a_permanent_error_with_the_address_masked() {
    require_aiosmtpd();
    let sink = start_sink();
    let relay = SmtpRelay::from_url(&format!("smtp://127.0.0.1:{}", sink.port)).unwrap();
    let m = mailer(Transport::Smtp(relay));

    let err = m.send(&outgoing(REJECTED)).await.unwrap_err();

    assert!(
        matches!(
            err,
            MailError::Permanent {
                code: Some(550),
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.to_string().contains(REJECTED), "{err}");
    assert!(err.to_string().contains("n***@e***.org"), "{err}");
    assert!(received(&sink.out).is_empty());

    // The pooled connection is still usable for the next message.
    m.send(&outgoing("zoe@example.org")).await.unwrap();
    assert_eq!(received(&sink.out).len(), 1);
}

#[tokio::test]
#[ignore = "needs Python\'s aiosmtpd: pip install aiosmtpd (.ci/run does)"]
async fn a_451_reply_is_a_transient_error() {
    require_aiosmtpd();
    let sink = start_sink();
    let relay = SmtpRelay::from_url(&format!("smtp://127.0.0.1:{}", sink.port)).unwrap();
    let err = mailer(Transport::Smtp(relay))
        .send(&outgoing(BUSY))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            MailError::Transient {
                code: Some(451),
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.to_string().contains(BUSY), "{err}");
}

#[tokio::test]
async fn a_closed_port_is_a_transient_error() {
    // Bind to get a free port, then close it: nothing listens there any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let relay = SmtpRelay::from_url(&format!("smtp://127.0.0.1:{port}")).unwrap();

    let err = mailer(Transport::Smtp(relay))
        .send(&outgoing("zoe@example.org"))
        .await
        .unwrap_err();

    assert!(
        matches!(err, MailError::Transient { code: None, .. }),
        "{err}"
    );
}
