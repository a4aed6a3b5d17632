//! The privacy@ mailbox over real IMAP: a Dovecot server started for each test (Debian's
//! `dovecot-imapd`, installed by `.ci/run`) on loopback ports with a test user and a test CA.
//! Messages appended over IMAP become requests with the mailbox's receipt time; each is marked
//! and processed once; malformed or oversized mail never stops the poll; TLS and STARTTLS are
//! verified against the CA; bad credentials are refused without repeating them.

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use dsrflow_app::inbox::{Ingested, poll};
use dsrflow_app::settings::InboxSettings;
use dsrflow_mail::imap::{ImapError, ImapInbox, ImapSettings};
use futures::TryStreamExt;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    date_time_ymd,
};

use crate::support::{Backend, TestApp};

const FR_ACCESS: &[u8] =
    include_bytes!("../../../mail/tests/fixtures/inbound/fr_access_qp_latin1.eml");
const OUT_OF_OFFICE: &[u8] =
    include_bytes!("../../../mail/tests/fixtures/inbound/out_of_office.eml");
const DE_TWO_RIGHTS: &[u8] =
    include_bytes!("../../../mail/tests/fixtures/inbound/de_access_and_erasure.eml");
const NO_KIND: &[u8] = include_bytes!("../../../mail/tests/fixtures/inbound/no_kind.eml");

const USER: &str = "privacy";
const PASSWORD: &str = "s3cret-imap-pass";

/// A Dovecot instance for one test; killed on drop.
struct Dovecot {
    child: Child,
    /// Plain/STARTTLS port.
    imap_port: u16,
    /// Implicit-TLS port.
    imaps_port: u16,
    /// The test CA's certificate (PEM file).
    ca_file: PathBuf,
    dir: tempfile::TempDir,
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The Dovecot binary; the test fails, saying what to install, when there is none (the IMAP
/// tests are ignored unless asked for, so they never pass without running).
fn dovecot_binary() -> PathBuf {
    ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .expect("this test needs Dovecot: apt-get install dovecot-imapd (.ci/run does)")
}

/// A CA and a `localhost` certificate it signed: (ca.pem, cert.pem, key.pem) contents.
fn test_pki() -> (String, String, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(DnType::CommonName, "dsrflow IMAP test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = date_time_ymd(2024, 1, 1);
    ca.not_after = date_time_ymd(2040, 1, 1);
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.not_before = date_time_ymd(2024, 1, 1);
    leaf.not_after = date_time_ymd(2040, 1, 1);
    let leaf_pem = leaf.signed_by(&leaf_key, &issuer).unwrap().pem();
    (ca_pem, leaf_pem, leaf_key.serialize_pem())
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

impl Dovecot {
    /// Starts Dovecot and waits (within a deadline, never a fixed sleep) until it accepts
    /// connections.
    fn start() -> Dovecot {
        let binary = dovecot_binary();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // The mail processes run as the `dovecot` user: they must reach the mail folder.
        set_mode(root, 0o755);
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir(root.join(sub)).unwrap();
        }
        set_mode(&root.join("mail"), 0o777);
        let (ca, cert, key) = test_pki();
        std::fs::write(root.join("ca.pem"), ca).unwrap();
        std::fs::write(root.join("cert.pem"), cert).unwrap();
        std::fs::write(root.join("key.pem"), key).unwrap();
        std::fs::write(root.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
        let imap_port = free_port();
        let imaps_port = free_port();
        let r = root.display();
        let conf = format!(
            r#"base_dir = {r}/run
state_dir = {r}/state
instance_name = dsrflow-test-{imap_port}
protocols = imap
listen = 127.0.0.1
log_path = {r}/dovecot.log
ssl = yes
ssl_cert = <{r}/cert.pem
ssl_key = <{r}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 1
mail_location = maildir:{r}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {r}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={r}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
service anvil {{
  chroot =
}}
"#
        );
        std::fs::write(root.join("dovecot.conf"), conf).unwrap();
        let child = Command::new(binary)
            .arg("-F")
            .arg("-c")
            .arg(root.join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let d = Dovecot {
            child,
            imap_port,
            imaps_port,
            ca_file: root.join("ca.pem"),
            dir,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", imaps_port)).is_ok()
                && std::net::TcpStream::connect(("127.0.0.1", imap_port)).is_ok()
            {
                return d;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "dovecot did not start: {}",
                std::fs::read_to_string(d.dir.path().join("dovecot.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Plain settings (the loopback tests); TLS variants below.
    fn settings(&self) -> ImapSettings {
        ImapSettings::new(
            &format!("imap://127.0.0.1:{}?tls=none", self.imap_port),
            USER,
            PASSWORD,
            None,
        )
        .unwrap()
    }

    async fn session(&self) -> async_imap::Session<tokio::net::TcpStream> {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.imap_port))
            .await
            .unwrap();
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.unwrap().unwrap();
        let mut s = client.login(USER, PASSWORD).await.map_err(|e| e.0).unwrap();
        s.select("INBOX").await.unwrap();
        s
    }

    /// Appends a message as a mail server would deliver it, with its INTERNALDATE.
    async fn deliver(&self, raw: &[u8], internal_date: &str) {
        let mut s = self.session().await;
        s.append("INBOX", None, Some(&format!("\"{internal_date}\"")), raw)
            .await
            .unwrap();
        s.logout().await.unwrap();
    }

    /// The flags of every message, by UID.
    async fn flags(&self) -> Vec<(u32, Vec<String>)> {
        let mut s = self.session().await;
        let fetches: Vec<_> = s
            .uid_fetch("1:*", "(UID FLAGS)")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let mut out: Vec<(u32, Vec<String>)> = fetches
            .iter()
            .map(|f| {
                (
                    f.uid.unwrap(),
                    f.flags().map(|fl| format!("{fl:?}")).collect(),
                )
            })
            .collect();
        out.sort();
        s.logout().await.unwrap();
        out
    }

    /// Removes the processed keyword from every message (as if marking had failed).
    async fn unmark_all(&self) {
        let mut s = self.session().await;
        let _: Vec<_> = s
            .uid_store("1:*", "-FLAGS.SILENT ($DsrflowProcessed)")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        s.logout().await.unwrap();
    }
}

fn inbox_settings(imap: ImapSettings) -> InboxSettings {
    InboxSettings {
        imap,
        poll_interval: Duration::from_secs(60),
        batch: 50,
    }
}

async fn start_app(backend: Backend) -> Option<TestApp> {
    TestApp::start(backend, "2026-03-20T09:00:00Z").await
}

async fn messages_over_imap_become_requests_with_the_mailbox_receipt_time(backend: Backend) {
    let dovecot = Dovecot::start();
    let t = start_app(backend).await.expect("a database");
    dovecot
        .deliver(FR_ACCESS, "05-Mar-2026 08:15:00 +0000")
        .await;
    dovecot
        .deliver(OUT_OF_OFFICE, "06-Mar-2026 10:00:00 +0100")
        .await;
    dovecot
        .deliver(
            b"\x00\x01 this is not a mail at all \xff\xfe",
            "07-Mar-2026 11:00:00 +0000",
        )
        .await;
    dovecot
        .deliver(DE_TWO_RIGHTS, "08-Mar-2026 12:00:00 +0200")
        .await;
    dovecot.deliver(NO_KIND, "09-Mar-2026 09:30:00 +0000").await;

    let settings = inbox_settings(dovecot.settings());
    let report = poll(&t.app, &settings).await.unwrap();
    assert_eq!(report.fetched, 5, "{report:?}");
    assert_eq!(report.created, 2, "{report:?}");
    assert_eq!(report.ignored, 1, "{report:?}");
    assert_eq!(
        report.review, 2,
        "the malformed and the unclassifiable mail: {report:?}"
    );
    assert_eq!(report.failed, 0, "{report:?}");

    let Ingested::Created { requests } = &report.outcomes[0] else {
        panic!(
            "the French mail should create a request: {:?}",
            report.outcomes[0]
        );
    };
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].kind.to_string(), "access");
    let fr = t.request(&requests[0].id.to_string()).await;
    // The IMAP INTERNALDATE, not the Received header (4 March) nor the poll time (20 March).
    assert_eq!(fr["received_at"], "2026-03-05T08:15:00Z");
    assert_eq!(fr["channel"], "email");
    assert_eq!(fr["language"], "fr");
    // The deadline runs from the receipt time: one month later.
    assert!(
        fr["due_at"].as_str().unwrap().starts_with("2026-04-0"),
        "{}",
        fr["due_at"]
    );

    let Ingested::Created { requests: two } = &report.outcomes[3] else {
        panic!(
            "the German mail should create requests: {:?}",
            report.outcomes[3]
        );
    };
    assert_eq!(two.len(), 2, "access and erasure");
    let a = t.request(&two[0].id.to_string()).await;
    let b = t.request(&two[1].id.to_string()).await;
    assert_eq!(a["received_at"], "2026-03-08T10:00:00Z");
    assert_eq!(a["received_at"], b["received_at"]);
    assert_eq!(t.count_requests().await, 3);

    // Every message is marked in the mailbox, and read.
    let flags = dovecot.flags().await;
    assert_eq!(flags.len(), 5);
    for (uid, f) in &flags {
        assert!(
            f.iter().any(|x| x.contains("DsrflowProcessed")),
            "uid {uid}: {f:?}"
        );
        assert!(f.iter().any(|x| x.contains("Seen")), "uid {uid}: {f:?}");
    }

    // The review queue holds the two for the officer.
    let queue = dsrflow_app::inbox::review_queue(&t.app).await.unwrap();
    assert_eq!(queue.len(), 2);

    // A second poll finds nothing new.
    let again = poll(&t.app, &settings).await.unwrap();
    assert_eq!(again.fetched, 0, "{again:?}");

    // Stored but not marked (say the connection dropped after the commit): the next poll sees
    // the messages again and recognises every one of them by its UID; nothing is duplicated.
    dovecot.unmark_all().await;
    let third = poll(&t.app, &settings).await.unwrap();
    assert_eq!(third.fetched, 5, "{third:?}");
    assert_eq!(third.ignored, 5, "{third:?}");
    assert_eq!(third.created, 0);
    assert_eq!(t.count_requests().await, 3);
    assert_eq!(
        dsrflow_app::inbox::review_queue(&t.app)
            .await
            .unwrap()
            .len(),
        2
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Dovecot: apt-get install dovecot-imapd (.ci/run does)"]
async fn messages_over_imap_become_requests_on_sqlite() {
    messages_over_imap_become_requests_with_the_mailbox_receipt_time(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Dovecot and PostgreSQL: DSRFLOW_TEST_POSTGRES_URL (.ci/run sets both up)"]
async fn messages_over_imap_become_requests_on_postgres() {
    messages_over_imap_become_requests_with_the_mailbox_receipt_time(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Dovecot: apt-get install dovecot-imapd (.ci/run does)"]
async fn a_message_larger_than_the_limit_is_tagged_and_left_for_a_human() {
    let dovecot = Dovecot::start();
    let t = start_app(Backend::Sqlite).await.unwrap();
    let mut big = FR_ACCESS.to_vec();
    big.extend(std::iter::repeat_n(b'x', 4096));
    big.extend(b"\r\n");
    dovecot.deliver(&big, "05-Mar-2026 08:15:00 +0000").await;
    dovecot
        .deliver(OUT_OF_OFFICE, "05-Mar-2026 09:00:00 +0000")
        .await;
    let mut imap = dovecot.settings();
    imap.max_message_bytes = 2048;
    let settings = inbox_settings(imap);
    let report = poll(&t.app, &settings).await.unwrap();
    assert_eq!(report.too_large, 1, "{report:?}");
    assert_eq!(
        report.fetched, 1,
        "the next message is still read: {report:?}"
    );
    assert_eq!(t.count_requests().await, 0);
    let flags = dovecot.flags().await;
    assert!(flags[0].1.iter().any(|f| f.contains("DsrflowTooLarge")));
    assert!(!flags[0].1.iter().any(|f| f.contains("DsrflowProcessed")));
    // Not tried again at the next poll.
    let again = poll(&t.app, &settings).await.unwrap();
    assert_eq!(again.too_large + again.fetched, 0, "{again:?}");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Dovecot: apt-get install dovecot-imapd (.ci/run does)"]
async fn tls_and_starttls_are_verified_against_the_configured_ca() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dovecot = Dovecot::start();
    dovecot
        .deliver(FR_ACCESS, "05-Mar-2026 08:15:00 +0000")
        .await;
    for url in [
        format!("imaps://localhost:{}", dovecot.imaps_port),
        format!("imap://localhost:{}", dovecot.imap_port),
    ] {
        let trusted = ImapSettings::new(&url, USER, PASSWORD, None)
            .unwrap()
            .with_ca_file(&dovecot.ca_file)
            .unwrap();
        let mut inbox = ImapInbox::open(&trusted).await.unwrap();
        assert_eq!(inbox.pending(10).await.unwrap(), vec![1], "{url}");
        inbox.close().await;
        // Without the CA the server's certificate is refused.
        let untrusted = ImapSettings::new(&url, USER, PASSWORD, None).unwrap();
        let err = ImapInbox::open(&untrusted).await.unwrap_err();
        assert!(matches!(err, ImapError::Tls(_)), "{url}: {err:?}");
        assert!(err.is_transient());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Dovecot: apt-get install dovecot-imapd (.ci/run does)"]
async fn a_wrong_password_is_refused_without_repeating_the_credentials() {
    let dovecot = Dovecot::start();
    // A folder that does not exist names the problem (checked first: after a failed login
    // Dovecot slows down further logins from the same address).
    let missing = ImapSettings::new(
        &format!("imap://127.0.0.1:{}?tls=none", dovecot.imap_port),
        USER,
        PASSWORD,
        Some("Nope"),
    )
    .unwrap();
    let err = ImapInbox::open(&missing).await.unwrap_err();
    assert!(matches!(err, ImapError::Folder(_)), "{err:?}");
    let wrong = ImapSettings::new(
        &format!("imap://127.0.0.1:{}?tls=none", dovecot.imap_port),
        USER,
        "not-the-password",
        None,
    )
    .unwrap();
    let err = ImapInbox::open(&wrong).await.unwrap_err();
    assert_eq!(err, ImapError::Auth);
    assert!(!err.is_transient());
    let text = err.to_string();
    assert!(
        !text.contains("not-the-password") && !text.contains(USER),
        "{text}"
    );
    assert!(!format!("{wrong:?}").contains("not-the-password"));
    // A server that is not there is a transient error.
    let port = free_port();
    let gone = ImapSettings::new(
        &format!("imap://127.0.0.1:{port}?tls=none"),
        USER,
        PASSWORD,
        None,
    )
    .unwrap();
    let err = ImapInbox::open(&gone).await.unwrap_err();
    assert!(matches!(err, ImapError::Connect(_)), "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Dovecot: apt-get install dovecot-imapd (.ci/run does)"]
async fn the_worker_polls_once_per_period_even_when_asked_twice() {
    let dovecot = Dovecot::start();
    let mut settings = dsrflow_app::Settings::default();
    settings.inbox = Some(inbox_settings(dovecot.settings()));
    let t = TestApp::start_with(
        Backend::Sqlite,
        "2026-03-20T09:00:10Z",
        |_| String::new(),
        settings,
    )
    .await
    .unwrap();
    dovecot
        .deliver(FR_ACCESS, "05-Mar-2026 08:15:00 +0000")
        .await;
    dsrflow_worker::periodic_once(&t.app, dsrflow_app::periodic::PeriodicJob::Inbox, None)
        .await
        .unwrap();
    assert_eq!(t.count_requests().await, 1);
    // A second node (or tick) in the same 60 s period does not poll again.
    dovecot
        .deliver(DE_TWO_RIGHTS, "08-Mar-2026 12:00:00 +0200")
        .await;
    dsrflow_worker::periodic_once(&t.app, dsrflow_app::periodic::PeriodicJob::Inbox, None)
        .await
        .unwrap();
    assert_eq!(t.count_requests().await, 1);
    // The next period does.
    t.clock.set(t.clock_now() + chrono::TimeDelta::seconds(60));
    dsrflow_worker::periodic_once(&t.app, dsrflow_app::periodic::PeriodicJob::Inbox, None)
        .await
        .unwrap();
    assert_eq!(t.count_requests().await, 3);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Dovecot: apt-get install dovecot-imapd (.ci/run does)"]
async fn dsrflow_inbox_poll_reads_the_configured_mailbox() {
    let dovecot = Dovecot::start();
    dovecot
        .deliver(FR_ACCESS, "05-Mar-2026 08:15:00 +0000")
        .await;
    dovecot
        .deliver(OUT_OF_OFFICE, "06-Mar-2026 08:15:00 +0000")
        .await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("dsrflow.toml");
    std::fs::write(
        &config,
        format!(
            "[inbox]\nimap_url = \"imap://127.0.0.1:{}?tls=none\"\nuser = \"{USER}\"\npassword = \"env:TEST_IMAP_PASSWORD\"\n",
            dovecot.imap_port
        ),
    )
    .unwrap();
    let db = format!("sqlite://{}/dsrflow.db", dir.path().display());
    let run = |args: &[&str], password: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dsrflow"));
        cmd.arg("--config")
            .arg(&config)
            .args(args)
            .env("DSRFLOW_DATABASE_URL", &db)
            .env_remove("TEST_IMAP_PASSWORD");
        if let Some(p) = password {
            cmd.env("TEST_IMAP_PASSWORD", p);
        }
        cmd.output().unwrap()
    };
    // Without the password in the environment the configuration is refused, naming the key.
    let out = run(&["inbox", "poll", "--json"], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("inbox.password"), "{err}");
    assert!(err.contains("TEST_IMAP_PASSWORD"), "{err}");

    // Only serve, worker and migrate create the database.
    let out = run(&["migrate"], Some(PASSWORD));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["inbox", "poll", "--json"], Some(PASSWORD));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["outcome"], "created");
    assert_eq!(lines[0]["requests"][0]["kind"], "access");
    assert!(lines[0]["requests"][0]["id"].is_string());
    assert_eq!(lines[1]["outcome"], "ignored");
    assert!(lines[1]["reason"].is_string());
    // Nothing personal in the output.
    let all = serde_json::to_string(&lines).unwrap();
    assert!(!all.contains("renee.lefevre"), "{all}");

    let out = run(&["inbox", "poll"], Some(PASSWORD));
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("0 message(s)"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
